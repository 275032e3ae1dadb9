//! The cycle model of the applications: the constraint solver and an assembly area
//! (`neurochip run FILE --arch NAME` for a `[solver]` or `[assembly]` file).
//!
//! The application runs as it does on the host and the firmware (same digest); after
//! every step the meter counts what the step did and prices it with the
//! architecture's per-operation cycles and energies, stage by stage as the cycle
//! model of the e-prop chip does ([`crate::cycle`]), with the neurons split evenly
//! over the cores and a stage lasting as long as its busiest core. There is no router
//! queue here: events are priced at the router's injection rate, without stalls.
//!
//! - **Assembly area** (`n` neurons, `n_in` inputs): an input spike reads its
//!   afferent weights on every core, a spike of the last step its recurrent ones
//!   (weight words of STDP weights, each `0..=w_max` and a presence bit); every neuron updates, then the k-cap's
//!   bisection passes over the membranes (32 passes, one compare per neuron lane and
//!   cycle); STDP updates the input and area traces every step, potentiates the
//!   afferent and recurrent row of every spiking neuron and depresses the column of
//!   every presynaptic spike (weight words, at the learning engine's lanes).
//! - **Constraint solver** (`n` variables of `k` values, `n * k` WTA neurons): every
//!   neuron updates every step; a variable that changes its value sends one event
//!   that updates the conflict counters of its neighbours (one decrement for the old
//!   value, one increment for the new: `2 * degree` counter words, read and written
//!   at the synapse lanes). The solver has no weights: its neighbour lists are its
//!   connectivity memory. Its neurons are 8-bit conflict counters, so it fits by bank
//!   capacity rather than by the e-prop core's neuron count; one step is taken as
//!   1 ms for the real-time clock.

use neurochip_tasks::app::Standalone;
use neurochip_tasks::assembly::AssemblySpec;
use neurochip_tasks::solver::SolverSpec;

use crate::apps;
use crate::arch::Arch;
use crate::arch_run::ArchRun;
use crate::config::AppConfig;
use crate::cycle::{lanes, per_word, place, word_bits, CycleReport, Extent, Fit, Stats, StepCost};

/// The time step the solver's real-time clock assumes, seconds.
pub const SOLVER_DT_S: f64 = 1e-3;

/// Run the application of `app` through the cycle model of `arch`.
pub fn run_arch(app: &AppConfig, arch: &Arch) -> Result<ArchRun, String> {
    let bytes = apps::image(app)?;
    let block = neurochip_core::image::decode_app(&bytes).map_err(|e| e.to_string())?;
    match Standalone::decode(block).map_err(|e| e.to_string())? {
        Standalone::Solver(spec) => solver(&app.name, &spec, arch),
        Standalone::Assembly(spec) => assembly(&app.name, &spec, arch),
    }
}

fn fit_error(arch: &Arch, e: impl std::fmt::Display) -> String {
    format!("--arch {}: {e}", arch.name)
}

fn row(name: &'static str, rows: u64, per_row: u64, item_bits: u64) -> Extent {
    Extent {
        name,
        rows,
        per_row,
        item_bits,
        packed: false,
    }
}

/// Totals over the steps, and the cost of the busiest one.
struct Meter {
    stats: Stats,
}

impl Meter {
    fn new() -> Self {
        Meter {
            stats: Stats::default(),
        }
    }

    fn add(&mut self, c: &StepCost) {
        let s = &mut self.stats;
        s.steps += 1;
        s.cycles.add(&c.cycles);
        s.max_step_cycles = s.max_step_cycles.max(c.cycles.total());
        s.effective_sops += c.sops;
        s.energy.add(&c.energy);
    }
}

/// The busiest core's share of `n` items over the architecture's cores.
fn biggest(arch: &Arch, n: usize) -> f64 {
    let cores = (arch.chip.cores as usize).clamp(1, n.max(1));
    n.div_ceil(cores) as f64
}

fn assembly(name: &str, spec: &AssemblySpec, arch: &Arch) -> Result<ArchRun, String> {
    let a = &spec.area;
    let (n, m) = (a.n, a.n_in);
    let (nu, mu) = (n as u64, m as u64);
    // A weight is `0..=w_max` plus a presence bit (an absent synapse).
    let wb = u64::from(32 - a.stdp.w_max().leading_zeros()) + 1;
    let sram = place(
        &[
            row("w_in", nu, mu, wb),
            row("w_rec", nu, nu, wb),
            row("neurons", 1, nu, 33),
            row("traces", 1, mu + 2 * nu, 16),
        ],
        arch,
    )
    .map_err(|e| fit_error(arch, e))?;
    let (y, e) = (&arch.cycles, &arch.energy_pj);
    let nb = biggest(arch, n);
    let syn = lanes(&sram, "w_in", wb, arch.chip.synapse_lanes) as f64;
    let learn = lanes(&sram, "w_rec", wb, arch.learning.lanes) as f64;
    let lanes_n = f64::from(arch.chip.neuron_lanes.max(1));
    let trace_words = (mu + 2 * nu).div_ceil(per_word(16, word_bits(&sram, "traces"))) as f64;
    let mut meter = Meter::new();
    let mut last = vec![false; n];
    let mut connected = 0u64;
    let run = apps::assembly_observed(
        spec,
        |x, z| {
            let inputs = x.iter().filter(|&&b| b).count() as f64;
            let before = last.iter().filter(|&&b| b).count() as f64;
            let fired = z.iter().filter(|&&b| b).count() as f64;
            let event = arch.router.cycles_per_event;
            let mut c = StepCost::default();
            c.cycles.overhead = y.step_overhead;
            c.cycles.input = inputs * (event + y.input_event + (nb / syn).ceil() * y.input_word);
            c.cycles.recurrent =
                before * (event + y.recurrent_event + (nb / syn).ceil() * y.recurrent_word);
            // Update, the k-cap's 32 bisection passes, and a push per spike.
            c.cycles.neuron =
                (nb * y.neuron / lanes_n).ceil() + 32.0 * (nb / lanes_n).ceil() + fired * y.spike;
            // STDP: traces; each post spike's afferent and recurrent row; each pre
            // spike's column on the busiest core.
            let visited = fired * (m + n) as f64 + (inputs + before) * nb;
            c.cycles.learning = trace_words * y.trace
                + fired * ((m + n) as f64 / learn).ceil() * y.update_word
                + (inputs + before) * (nb / learn).ceil() * y.update_word;
            // Every synapse of a spiking input or neuron is read (present or not:
            // absent ones are a negative word).
            c.sops = ((inputs + before) * n as f64) as u64;
            c.energy.synapses = c.sops as f64 * e.sop;
            c.energy.neurons = n as f64 * e.neuron;
            c.energy.learning = trace_words * e.trace + visited * e.learn;
            c.energy.static_ = e.static_uw * 1e6 * 1e-3;
            meter.add(&c);
            meter.stats.membrane_updates += nu;
            meter.stats.readout_events += fired as u64;
            meter.stats.dense_sops += nu * (mu + nu);
            last.copy_from_slice(z);
        },
        // Present synapses, for the connection sparsity (absent ones are negative).
        |w| connected = w.iter().filter(|&&x| x >= 0).count() as u64,
    )?;
    let fit = Fit {
        arch,
        dt_s: 1e-3,
        sram: &sram,
    };
    let cycles = fit.report(&meter.stats, n, connected, nu * (mu + nu));
    Ok(arch_run(name, run.digest, cycles))
}

fn arch_run(name: &str, digest: u64, cycles: CycleReport) -> ArchRun {
    ArchRun {
        name: name.to_string(),
        digest: format!("{digest:016x}"),
        test_accuracy: None,
        success_rate: None,
        cycles,
    }
}

fn solver(name: &str, spec: &SolverSpec<'_>, arch: &Arch) -> Result<ArchRun, String> {
    let p = &spec.problem;
    let (n, k) = (p.variables(), p.values());
    let (neurons, entries) = ((n * k) as u64, p.neighbour_entries() as u64);
    let sram = place(
        &[
            // Per neuron an 8-bit conflict count; per variable its value and timer.
            row("neurons", 1, neurons + 2 * n as u64, 8),
            row("masks", 1, entries + n as u64 + 1, 16),
        ],
        arch,
    )
    .map_err(|e| fit_error(arch, e))?;
    let (y, e) = (&arch.cycles, &arch.energy_pj);
    let nb = biggest(arch, n * k);
    let syn = lanes(&sram, "neurons", 8, arch.chip.synapse_lanes) as f64;
    let lanes_n = f64::from(arch.chip.neuron_lanes.max(1));
    let mut meter = Meter::new();
    let mut last = vec![u8::MAX; n];
    let run = apps::solver_observed(spec, |s| {
        let mut c = StepCost::default();
        let (mut events, mut updates) = (0.0, 0u64);
        for (v, (&now, was)) in s.assignment().iter().zip(last.iter_mut()).enumerate() {
            if now != *was {
                let degree = s.problem().neighbours(v).len() as u64;
                let changed = u64::from(now != u8::MAX) + u64::from(*was != u8::MAX);
                updates += changed * degree;
                events += 1.0;
                c.cycles.recurrent += arch.router.cycles_per_event
                    + y.recurrent_event
                    + ((changed * degree) as f64 / syn).ceil() * y.recurrent_word;
                *was = now;
            }
        }
        c.cycles.overhead = y.step_overhead;
        c.cycles.neuron = (nb * y.neuron / lanes_n).ceil() + events * y.spike;
        c.sops = updates;
        c.energy.synapses = updates as f64 * e.sop;
        c.energy.neurons = neurons as f64 * e.neuron;
        c.energy.static_ = e.static_uw * 1e6 * SOLVER_DT_S;
        meter.add(&c);
        meter.stats.membrane_updates += neurons;
        meter.stats.readout_events += events as u64;
        // Every conflict link (a neighbour's same value) every step.
        meter.stats.dense_sops += entries * k as u64;
    })?;
    let fit = Fit {
        arch,
        dt_s: SOLVER_DT_S,
        sram: &sram,
    };
    let cycles = fit.report(&meter.stats, n, entries, (n as u64).pow(2));
    Ok(arch_run(name, run.digest, cycles))
}
