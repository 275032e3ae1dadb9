//! The cycle-level model: the chip's time step moved through the stages of an
//! architecture ([`Arch`]), with cycles, stalls, memory and energy counted.
//!
//! [`CycleModel`] does not compute the network itself: [`CycleChip`] calls the
//! `neurochip-core` datapath ([`Chip`]) for every step, learning step and end of
//! sample, and counts what the hardware does around it. The chip's state is therefore
//! the functional core's, bit for bit (tests compare digests), and the counts come
//! from the same spikes, traces and masks the datapath used.
//!
//! Per time step the stages run one after another, as in a time-multiplexed core:
//!
//! 1. **input**: the input events of this step travel through the AER router into
//!    every core's bounded queue; each core's synapse engine reads
//!    `ceil(neurons_on_core / lanes)` weight words per event. A full queue stalls the
//!    router (back-pressure); stalls are counted.
//! 2. **recurrent**: the same for the spikes of the previous step.
//! 3. **neuron**: every core updates its neurons, `neuron_lanes` per cycle, plus a
//!    cost per emitted spike.
//! 4. **readout**: each new spike reads its readout weight row; then every readout
//!    updates.
//! 5. **learning**: trace updates every step; per-synapse eligibility (exact engine);
//!    on learning steps the learning signal and the weight updates; at the end of a
//!    sample the accumulated updates (per-sample mode).
//!
//! Neurons are split evenly over the cores and every event is broadcast to all of
//! them, so a stage lasts as long as its busiest core. docs/cycle-model.md works one
//! step by hand.

use neurochip_core::learning::{Apply, Engine};
use neurochip_core::memory::Bits;
use neurochip_core::release::{self, Release};
use neurochip_core::reward::{AgentOp, AgentOut, Critic};
use neurochip_core::{Chip, ChipConfig, Datapath, Memory, StepError, StepOutput, Target};
use serde::Serialize;

use crate::arch::{Arch, Bank};

mod report;
mod sram;
#[cfg(test)]
mod tests;

pub(crate) use report::Fit;
pub use report::{CycleReport, SynOps};
use sram::{bits_below, elig_per_synapse};
pub(crate) use sram::{lanes, per_word, place, placed, word_bits, Extent};
pub use sram::{sram, BankUse, Compressed, FitError, StructureUse};

/// Cycles per stage.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Stages {
    /// Fixed cost per step.
    pub overhead: f64,
    /// Input events.
    pub input: f64,
    /// Recurrent events.
    pub recurrent: f64,
    /// Neuron updates.
    pub neuron: f64,
    /// Readout.
    pub readout: f64,
    /// Learning engine.
    pub learning: f64,
}

/// `total` (the parts summed in field order) and `add` (part by part) of a struct of
/// `f64` parts, from its list of parts.
macro_rules! parts {
    ($(#[$doc:meta])* $t:ident { $first:ident $(, $rest:ident)* }) => {
        impl $t {
            $(#[$doc])*
            pub fn total(&self) -> f64 {
                self.$first $(+ self.$rest)*
            }

            pub(crate) fn add(&mut self, o: &$t) {
                self.$first += o.$first;
                $(self.$rest += o.$rest;)*
            }
        }
    };
}

parts! {
    /// All stages.
    Stages { overhead, input, recurrent, neuron, readout, learning }
}

impl Stages {
    /// Every stage divided by `d`.
    pub fn per(&self, d: f64) -> Stages {
        let d = d.max(1.0);
        Stages {
            overhead: self.overhead / d,
            input: self.input / d,
            recurrent: self.recurrent / d,
            neuron: self.neuron / d,
            readout: self.readout / d,
            learning: self.learning / d,
        }
    }
}

/// Energy per part, picojoules.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct EnergySplit {
    /// Synaptic operations.
    pub synapses: f64,
    /// Neuron updates.
    pub neurons: f64,
    /// Readout updates.
    pub readouts: f64,
    /// Learning engine (traces, eligibility, updates).
    pub learning: f64,
    /// Static power over the steps' duration.
    pub static_: f64,
}

parts! {
    /// Sum.
    EnergySplit { synapses, neurons, readouts, learning, static_ }
}

/// What one step (with its learning step) cost.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct StepCost {
    /// Cycles per stage.
    pub cycles: Stages,
    /// Router stall cycles (queue full).
    pub stalls: f64,
    /// Energy.
    pub energy: EnergySplit,
    /// Effective synaptic operations (events times connected targets; through a
    /// release comparator, only the synapses that release).
    pub sops: u64,
}

/// Totals over a run.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Stats {
    /// Time steps.
    pub steps: u64,
    /// Steps with a learning update.
    pub learn_steps: u64,
    /// Cycles per stage, summed.
    pub cycles: Stages,
    /// Cycles of the busiest step.
    pub max_step_cycles: f64,
    /// Router stall cycles, summed.
    pub stalls: f64,
    /// Most events waiting in a core queue at once.
    pub queue_peak: u32,
    /// Input events.
    pub input_events: u64,
    /// Recurrent events (spikes delivered to the recurrent synapses).
    pub recurrent_events: u64,
    /// Spikes delivered to the readout.
    pub readout_events: u64,
    /// Effective synaptic operations (NeuroBench `Effective_ACs`): events times
    /// connected targets, less the synapses whose release failed.
    pub effective_sops: u64,
    /// Synaptic events to connected targets whose release comparator said no: the
    /// row is read (cycles as without release) but nothing is accumulated.
    pub release_failures: u64,
    /// Dense synaptic operations (NeuroBench `Dense`): every synapse every step.
    pub dense_sops: u64,
    /// Membrane updates (NeuroBench `MembraneUpdates`): neurons and readouts per step.
    pub membrane_updates: u64,
    /// Synapses visited by the learning engine.
    pub learn_synapses: u64,
    /// Words moved to or from external banks.
    pub external_words: f64,
    /// Energy.
    pub energy: EnergySplit,
    /// Finished samples without learning, and their energy.
    pub infer_samples: u64,
    /// Energy of those samples, pJ.
    pub infer_energy_pj: f64,
    /// Finished samples with learning.
    pub train_samples: u64,
    /// Energy of those samples, pJ.
    pub train_energy_pj: f64,
}

/// The cycle model of one chip on one architecture.
#[derive(Clone, Debug)]
pub struct CycleModel {
    arch: Arch,
    dt_s: f64,
    sram: Vec<BankUse>,
    n_in: usize,
    n_rec: usize,
    n_out: usize,
    /// Neurons per core (first `cores` slices).
    slices: Vec<(usize, usize)>,
    /// Weight words one event reads on the busiest core: input, recurrent; readout.
    words_in: f64,
    words_rec: f64,
    words_out: f64,
    /// Learning-engine words per presynaptic row on the busiest core, and per readout row.
    learn_words_row: f64,
    learn_words_out_row: f64,
    /// Connected targets per presynaptic row.
    fan_in: Vec<u32>,
    fan_rec: Vec<u32>,
    fan_out: Vec<u32>,
    /// Per-neuron cycle cost (LIF or ALIF) of the busiest core.
    neuron_cycles: f64,
    trace_words: f64,
    elig_words: f64,
    /// Eligibility (exact engine) and update accumulators (per-sample mode) live in
    /// an external bank.
    elig_external: bool,
    acc_external: bool,
    elig_synapses: u64,
    engine: Engine,
    /// When updates are applied: which of them go through the accumulators.
    apply: Apply,
    learn_hidden: bool,
    dense: u64,
    /// Connectivity changes during training (rewiring): fans are read again after
    /// every learning update.
    rewire: bool,
    /// The chip's eligibility enable: the exact engine's per-synapse eligibility
    /// words are read, updated and costed only while it is set.
    elig_en: bool,
    /// Release probabilities and the chip seed their comparators are keyed with.
    release: Release,
    seed: u64,
    /// Scratch: service start times of the last `queue_depth` events.
    starts: Vec<f64>,
    cur: StepCost,
    sample: (u64, f64, bool),
    /// The totals so far.
    pub stats: Stats,
}

fn row_counts(mask: &Bits, rows: usize, per_row: usize) -> Vec<u32> {
    (0..rows)
        .map(|i| {
            let s = i * per_row;
            mask.get(s..s + per_row)
                .map_or(0, |r| r.count_ones() as u32)
        })
        .collect()
}

impl CycleModel {
    /// The model of the chip `cfg` (memories `mem`, read for masks and adaptation)
    /// on `arch`, with time step `dt_s` seconds; fails when the network does not fit.
    pub fn new(
        arch: &Arch,
        cfg: &ChipConfig,
        mem: &Memory<'_>,
        dt_s: f64,
    ) -> Result<Self, FitError> {
        let sram = sram(cfg, arch)?;
        let (ni, n, o) = (cfg.n_in(), cfg.n_rec(), cfg.n_out());
        let cores = (arch.chip.cores as usize).min(n.max(1));
        let base = n / cores;
        let extra = n % cores;
        let mut slices = Vec::with_capacity(cores);
        let mut start = 0;
        for k in 0..cores {
            let len = base + usize::from(k < extra);
            slices.push((start, len));
            start += len;
        }
        let biggest = slices.iter().map(|s| s.1).max().unwrap_or(0) as u64;
        let wb = u64::from(cfg.formats().weight.bits());
        let lanes = |structure: &str, item_bits: u64, n: u32| lanes(&sram, structure, item_bits, n);
        let l_in = lanes("w_in", wb, arch.chip.synapse_lanes);
        let l_rec = lanes("w_rec", wb, arch.chip.synapse_lanes);
        let l_out = lanes("w_out", wb, arch.chip.synapse_lanes);
        let l_learn = lanes("w_rec", wb, arch.learning.lanes);
        let l = cfg.learning();
        // ALIF neurons have a nonzero adaptation strength; count them on the busiest core.
        let alif_on = |s: &(usize, usize)| {
            mem.beta
                .get(s.0..s.0 + s.1)
                .map_or(0, |b| b.iter().filter(|&&x| x != 0).count())
        };
        let y = &arch.cycles;
        let neuron_cycles = slices
            .iter()
            .map(|s| {
                let a = alif_on(s) as f64;
                let lif = s.1 as f64 - a;
                ((lif * y.neuron + a * y.neuron_alif) / f64::from(arch.chip.neuron_lanes)).ceil()
            })
            .fold(0.0, f64::max);
        let trace_words = if l.engine == Engine::Off {
            0.0
        } else {
            let w = word_bits(&sram, "traces");
            let tb = u64::from(cfg.formats().trace.bits());
            (ni as u64 + 2 * n as u64 + 1).div_ceil(per_word(tb, w)) as f64
        };
        let comp = Compressed::of(cfg);
        // Compressed rows: an event reads its row's share of active synapses on the
        // busiest core (weight and index per entry), on average.
        let ib = bits_below(n as u64);
        let row_words = |budget: u64, rows: usize, structure: &str| -> f64 {
            let per_core = budget as f64 / rows.max(1) as f64 / cores.max(1) as f64;
            let lw = lanes(structure, wb + ib, arch.chip.synapse_lanes) as f64;
            (per_core / lw).ceil()
        };
        let words_in = comp
            .b_in
            .map_or(biggest.div_ceil(l_in) as f64, |b| row_words(b, ni, "w_in"));
        let words_rec = comp
            .b_rec
            .map_or(biggest.div_ceil(l_rec) as f64, |b| row_words(b, n, "w_rec"));
        let per = elig_per_synapse(cfg);
        let (elig_words, elig_synapses) = if per > 0 {
            let eb = u64::from(l.elig.bits());
            let w = word_bits(&sram, "eligibility");
            let lw = per_word(eb, w).min(u64::from(arch.learning.lanes)).max(1);
            if comp.on() {
                let syn = (comp.b_in.unwrap_or((ni * n) as u64)
                    + comp.b_rec.unwrap_or((n * n) as u64))
                    * per;
                ((syn.div_ceil(cores.max(1) as u64).div_ceil(lw)) as f64, syn)
            } else {
                let rows = (ni + n) as u64 * per;
                ((rows * biggest.div_ceil(lw)) as f64, rows * n as u64)
            }
        } else {
            (0.0, 0)
        };
        let external = |structure| placed(&sram, structure).is_some_and(|b| b.external);
        let (elig_external, acc_external) = (external("eligibility"), external("accumulators"));
        Ok(Self {
            arch: arch.clone(),
            dt_s,
            sram,
            n_in: ni,
            n_rec: n,
            n_out: o,
            words_in,
            words_rec,
            rewire: comp.on(),
            elig_en: true,
            release: cfg.release(),
            seed: cfg.seed(),
            words_out: (o as u64).div_ceil(l_out) as f64,
            learn_words_row: biggest.div_ceil(l_learn) as f64,
            learn_words_out_row: (o as u64).div_ceil(l_learn) as f64,
            fan_in: row_counts(mem.mask_in, ni, n),
            fan_rec: row_counts(mem.mask_rec, n, n),
            fan_out: row_counts(mem.mask_out, n, o),
            slices,
            neuron_cycles,
            trace_words,
            elig_words,
            elig_external,
            acc_external,
            elig_synapses,
            engine: l.engine,
            apply: l.apply,
            learn_hidden: l.learn_hidden,
            dense: (ni * n + n * n + n * o) as u64,
            starts: vec![0.0; arch.router.queue_depth as usize],
            cur: StepCost::default(),
            sample: (0, 0.0, false),
            stats: Stats::default(),
        })
    }

    /// The architecture.
    pub fn arch(&self) -> &Arch {
        &self.arch
    }

    /// SRAM use per bank.
    pub fn sram(&self) -> &[BankUse] {
        &self.sram
    }

    /// The cost of the last step (with its learning step).
    pub fn last(&self) -> &StepCost {
        &self.cur
    }

    /// Events through the router into a queue of `queue_depth`, each served in
    /// `service` cycles: returns (cycles until the last is served, stall cycles,
    /// peak queue occupancy).
    fn pipeline(&mut self, events: usize, service: f64) -> (f64, f64, u32) {
        if events == 0 {
            return (0.0, 0.0, 0);
        }
        let r = &self.arch.router;
        let (lat, gap) = (r.latency_cycles, r.cycles_per_event);
        let q = self.starts.len();
        let (mut inject, mut done, mut stalls) = (0.0f64, 0.0f64, 0.0f64);
        let mut peak = 0u32;
        for k in 0..events {
            let natural = if k == 0 { 0.0 } else { inject + gap };
            // The event may enter the queue only when the event `q` places ahead of it
            // has left the queue for the synapse engine.
            let room = if k >= q {
                self.starts[k % q] - lat
            } else {
                0.0
            };
            inject = natural.max(room);
            stalls += inject - natural;
            let arrive = inject + lat;
            let start = arrive.max(done);
            done = start + service;
            // Occupancy when this event arrives: itself and the earlier events that
            // have arrived but not yet started (at most the `q - 1` after event k - q).
            let waiting = (0..q.min(k))
                .filter(|&d| self.starts[(k - 1 - d) % q] > arrive)
                .count() as u32;
            peak = peak.max(waiting.saturating_add(1));
            self.starts[k % q] = start;
        }
        (done, stalls, peak)
    }

    /// Synaptic operations of the events `pre` at chip step `step`, and the releases
    /// that failed. A class that always releases (`p` = [`release::ALWAYS`]) delivers
    /// to every connected synapse of a row (`fan`); otherwise only the connected
    /// synapses of the rows of `pre` (`n_rec` each) that release with probability `p`
    /// count (the comparators of [`neurochip_core::release`], visited in the core's
    /// order), and those that do not have failed.
    fn delivered(
        &self,
        pre: &Bits,
        mask: &Bits,
        fan: &[u32],
        class: u32,
        step: u64,
        p: u32,
    ) -> (u64, u64) {
        if p >= release::ALWAYS {
            let all = pre
                .iter_ones()
                .map(|i| u64::from(fan.get(i).copied().unwrap_or(0)))
                .sum();
            return (all, 0);
        }
        let n_post = self.n_rec;
        let key = release::step_key(self.seed, step, class);
        let (mut yes, mut no) = (0u64, 0u64);
        for i in pre.iter_ones() {
            let start = i * n_post;
            let Some(row) = mask.get(start..start + n_post) else {
                continue;
            };
            for j in row.iter_ones() {
                if release::released_key(key, start + j, p) {
                    yes += 1;
                } else {
                    no += 1;
                }
            }
        }
        (yes, no)
    }

    fn before_step(&mut self, mem: &Memory<'_>, input: &Bits, step: u64) {
        let y = self.arch.cycles.clone();
        let mut c = StepCost::default();
        c.cycles.overhead = y.step_overhead;
        // 1. Input events.
        let n_ev = input.count_ones();
        let (t, s1, p1) = self.pipeline(n_ev, y.input_event + self.words_in * y.input_word);
        c.cycles.input = y.input_scan * self.n_in as f64 + t;
        let r = self.release;
        let (sops_in, failed_in) = self.delivered(
            input,
            mem.mask_in,
            &self.fan_in,
            release::class::INPUT,
            step,
            r.p_in,
        );
        // 2. Recurrent events: the spikes of the previous step.
        let r_ev = mem.z.count_ones();
        let (t, s2, p2) =
            self.pipeline(r_ev, y.recurrent_event + self.words_rec * y.recurrent_word);
        c.cycles.recurrent = y.recurrent_scan * self.biggest() as f64 + t;
        let (sops_rec, failed_rec) = self.delivered(
            mem.z,
            mem.mask_rec,
            &self.fan_rec,
            release::class::RECURRENT,
            step,
            r.p_rec,
        );
        self.stats.release_failures += failed_in + failed_rec;
        c.stalls = s1 + s2;
        self.stats.queue_peak = self.stats.queue_peak.max(p1).max(p2);
        self.stats.input_events += n_ev as u64;
        self.stats.recurrent_events += r_ev as u64;
        c.sops = sops_in + sops_rec;
        self.cur = c;
    }

    fn biggest(&self) -> usize {
        self.slices.iter().map(|s| s.1).max().unwrap_or(0)
    }

    fn after_step(&mut self, mem: &Memory<'_>) {
        let y = self.arch.cycles.clone();
        let e = self.arch.energy_pj.clone();
        let mut c = self.cur;
        // 3. Neurons: the busiest core (updates plus its spikes).
        let spikes_on =
            |s: &(usize, usize)| mem.z.get(s.0..s.0 + s.1).map_or(0, |b| b.count_ones());
        let spike_cycles = self
            .slices
            .iter()
            .map(|s| spikes_on(s) as f64 * y.spike)
            .fold(0.0, f64::max);
        c.cycles.neuron = self.neuron_cycles + spike_cycles;
        // 4. Readout.
        let z_ev = mem.z.count_ones();
        c.cycles.readout = z_ev as f64 * (y.readout_event + self.words_out * y.readout_word)
            + self.n_out as f64 * y.readout;
        let out_sops: u64 = mem
            .z
            .iter_ones()
            .map(|j| u64::from(self.fan_out.get(j).copied().unwrap_or(0)))
            .sum();
        c.sops += out_sops;
        self.stats.readout_events += z_ev as u64;
        // 5. Learning state updated every step.
        let mut learn_syn = 0u64;
        if self.engine != Engine::Off {
            let (elig_words, elig_synapses) = if self.elig_en {
                (self.elig_words, self.elig_synapses)
            } else {
                (0.0, 0)
            };
            c.cycles.learning = self.trace_words * y.trace + elig_words * y.eligibility_word;
            c.energy.learning = self.trace_words * e.trace;
            if self.elig_external {
                // Each eligibility word is read and written back.
                let words = 2.0 * elig_words;
                c.cycles.learning += words * y.external_word;
                c.energy.learning += words * e.external_word;
                self.stats.external_words += words;
            }
            learn_syn += elig_synapses;
        }
        c.energy.synapses = c.sops as f64 * e.sop;
        c.energy.neurons = self.n_rec as f64 * e.neuron;
        c.energy.readouts = self.n_out as f64 * e.readout;
        c.energy.learning += learn_syn as f64 * e.learn;
        c.energy.static_ = e.static_uw * 1e6 * self.dt_s;
        self.stats.learn_synapses += learn_syn;
        self.stats.effective_sops += c.sops;
        self.stats.dense_sops += self.dense;
        self.stats.membrane_updates += (self.n_rec + self.n_out) as u64;
        self.stats.steps += 1;
        self.cur = c;
        self.commit(&c, true);
    }

    /// Add `c` to the totals (`new_step`: it is a whole step, else an addition to the
    /// last one).
    fn commit(&mut self, c: &StepCost, new_step: bool) {
        if new_step {
            self.stats.cycles.add(&c.cycles);
            self.stats.stalls += c.stalls;
            self.stats.energy.add(&c.energy);
            self.sample.0 += 1;
            self.sample.1 += c.energy.total();
        }
        self.stats.max_step_cycles = self.stats.max_step_cycles.max(self.cur.cycles.total());
    }

    /// Read the fans again after the connectivity changed (rewiring).
    fn rewired(&mut self, mem: &Memory<'_>) {
        if self.rewire {
            self.fan_in = row_counts(mem.mask_in, self.n_in, self.n_rec);
            self.fan_rec = row_counts(mem.mask_rec, self.n_rec, self.n_rec);
        }
    }

    /// Cost of a learning step (after `learn` returned true), added to the last step.
    fn learned(&mut self, mem: &Memory<'_>) {
        let y = self.arch.cycles.clone();
        let e = self.arch.energy_pj.clone();
        let biggest = self.biggest() as f64;
        let mut cycles = biggest * self.n_out as f64 * y.signal;
        let mut syn = 0u64;
        // Weight words the update visits.
        let out_words = self.n_rec as f64 * self.learn_words_out_row;
        let mut words = out_words;
        if self.learn_hidden {
            // The light engine visits the rows with a trace, and every row when ALIF
            // columns step with their eps.
            let rows = match self.engine {
                Engine::Exact => self.n_in + self.n_rec,
                _ if self.elig_synapses > 0 => self.n_in + self.n_rec,
                _ => {
                    mem.xbar.iter().filter(|&&x| x != 0).count()
                        + mem.zbar.iter().filter(|&&x| x != 0).count()
                }
            };
            cycles += rows as f64 * self.learn_words_row * y.update_word;
            words += rows as f64 * self.learn_words_row;
            syn += if self.rewire {
                // Active synapses of the rows updated (all rows for the exact engine).
                let fan = |f: &[u32], t: &[u32], i: usize| {
                    let on = self.engine == Engine::Exact
                        || self.elig_synapses > 0
                        || t.get(i).is_some_and(|&x| x != 0);
                    if on {
                        u64::from(f.get(i).copied().unwrap_or(0))
                    } else {
                        0
                    }
                };
                (0..self.n_in)
                    .map(|i| fan(&self.fan_in, mem.xbar, i))
                    .chain((0..self.n_rec).map(|j| fan(&self.fan_rec, mem.zbar, j)))
                    .sum::<u64>()
            } else {
                (rows * self.n_rec) as u64
            };
        }
        cycles += self.n_rec as f64 * self.learn_words_out_row * y.update_word;
        syn += (self.n_rec * self.n_out + self.n_out) as u64;
        let mut pj = syn as f64 * e.learn;
        let held = match self.apply {
            Apply::Online => 0.0,
            Apply::Sample => words,
            Apply::Readout => out_words,
        };
        if held > 0.0 && self.acc_external {
            // The update goes into the accumulators: each word read and written back.
            let moved = 2.0 * held;
            cycles += moved * y.external_word;
            pj += moved * e.external_word;
            self.stats.external_words += moved;
        }
        self.extra_learning(cycles, pj, syn);
        self.stats.learn_steps += 1;
        self.sample.2 = true;
    }

    fn extra_learning(&mut self, cycles: f64, pj: f64, syn: u64) {
        self.cur.cycles.learning += cycles;
        self.cur.energy.learning += pj;
        self.stats.cycles.learning += cycles;
        self.stats.energy.learning += pj;
        self.stats.learn_synapses += syn;
        self.sample.1 += pj;
        self.commit(&StepCost::default(), false);
    }

    /// Cost of applying per-sample accumulators.
    fn applied(&mut self) {
        if self.apply == Apply::Online || self.engine == Engine::Off {
            return;
        }
        let y = self.arch.cycles.clone();
        // Hidden rows held too, or the readout's alone.
        let rows = if self.apply.hidden_per_sample() {
            self.n_in + self.n_rec
        } else {
            0
        };
        let cycles = (rows as f64 * self.learn_words_row
            + self.n_rec as f64 * self.learn_words_out_row)
            * y.update_word;
        let syn = (rows * self.n_rec + self.n_rec * self.n_out) as u64;
        let mut pj = syn as f64 * self.arch.energy_pj.learn;
        let mut cycles = cycles;
        if self.acc_external {
            // Every accumulator word is read once to apply it.
            let words =
                rows as f64 * self.learn_words_row + self.n_rec as f64 * self.learn_words_out_row;
            cycles += words * y.external_word;
            pj += words * self.arch.energy_pj.external_word;
            self.stats.external_words += words;
        }
        self.extra_learning(cycles, pj, syn);
    }

    /// Close the current sample (called at the start of the next one, and by
    /// [`CycleModel::finish`]).
    fn close_sample(&mut self) {
        let (steps, pj, learned) = std::mem::take(&mut self.sample);
        if steps == 0 {
            return;
        }
        if learned {
            self.stats.train_samples += 1;
            self.stats.train_energy_pj += pj;
        } else {
            self.stats.infer_samples += 1;
            self.stats.infer_energy_pj += pj;
        }
    }

    /// Close the last sample; call once at the end of a run before reading the stats.
    pub fn finish(&mut self) {
        self.close_sample();
    }

    /// A report of the totals so far (call [`CycleModel::finish`] first).
    pub fn report(&self) -> CycleReport {
        let connected: u64 = self
            .fan_in
            .iter()
            .chain(&self.fan_rec)
            .chain(&self.fan_out)
            .map(|&x| u64::from(x))
            .sum();
        let fit = Fit {
            arch: &self.arch,
            dt_s: self.dt_s,
            sram: &self.sram,
        };
        fit.report(&self.stats, self.n_rec, connected, self.dense)
    }
}

/// A chip stepped through cycle models (one per architecture, all counting the same
/// steps): the [`Datapath`] that run loops drive.
pub struct CycleChip<'a> {
    /// The functional chip.
    pub chip: &'a mut Chip,
    /// Its cycle models.
    pub models: &'a mut [CycleModel],
}

impl Datapath for CycleChip<'_> {
    fn begin_sample(&mut self, mem: &mut Memory<'_>) {
        for m in self.models.iter_mut() {
            m.close_sample();
        }
        mem.reset_state();
    }

    fn step(&mut self, mem: &mut Memory<'_>, input: &Bits) -> Result<StepOutput, StepError> {
        let t = self.chip.steps();
        for m in self.models.iter_mut() {
            m.before_step(mem, input, t);
        }
        let out = crate::simd::step(self.chip, mem, input)?;
        for m in self.models.iter_mut() {
            m.after_step(mem);
        }
        Ok(out)
    }

    fn learn(&mut self, mem: &mut Memory<'_>, target: Target<'_>) -> Result<bool, StepError> {
        let did = crate::simd::learn(self.chip, mem, target)?;
        if did {
            for m in self.models.iter_mut() {
                m.learned(mem);
                m.rewired(mem);
            }
        }
        Ok(did)
    }

    fn set_eligibility_enabled(&mut self, on: bool) {
        self.chip.set_eligibility_enabled(on);
        for m in self.models.iter_mut() {
            m.elig_en = on;
        }
    }

    fn end_sample(&mut self, mem: &mut Memory<'_>) -> Result<(), StepError> {
        crate::simd::end_sample(self.chip, mem)?;
        for m in self.models.iter_mut() {
            m.applied();
            m.rewired(mem);
        }
        Ok(())
    }

    /// Priced as the circuits it runs. An agent step: the learning step that
    /// accumulates its update ([`CycleModel`]'s learning cost), a pass over the update
    /// accumulators that decays them by gamma, and, when a TD error is applied, a second
    /// pass that adds `delta * G` to the weights (each pass costs what applying
    /// per-sample updates costs). The end of an episode: the pass that applies the last
    /// TD error, when there was an agent step.
    fn agent(&mut self, mem: &mut Memory<'_>, critic: &mut Critic, op: AgentOp<'_>) -> AgentOut {
        let applies = critic.v_prev.is_some();
        let (action, delta) = self.chip.agent(mem, critic, op)?;
        for m in self.models.iter_mut() {
            if let AgentOp::Act { .. } = op {
                m.learned(mem);
                m.applied();
            }
            if applies {
                m.applied();
            }
        }
        Ok((action, delta))
    }

    fn set_rate_step(&mut self, k: u8) {
        self.chip.set_rate_step(k);
    }
    fn config(&self) -> &ChipConfig {
        self.chip.config()
    }
}
