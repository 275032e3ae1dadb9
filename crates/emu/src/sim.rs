//! `run` and `verify`: the chip on a configuration's input, alone or beside the float
//! reference.

use crate::{dequantize, HostChip};
use bitvec::prelude::*;
use neurochip_core::release;
use neurochip_ref::{Network, Reference};
use serde::Serialize;

use crate::build::{self, BuildError};
use crate::config::Config;
use crate::stop::Signal;
use crate::task::{Pick, Task};
use neurochip_tasks::model::{Model, OnChip};
use neurochip_tasks::runner::{self, Learn};
use neurochip_tasks::sample::First;
use neurochip_tasks::SpikeSource;

/// What `neurochip run` reports.
#[derive(Clone, Debug, Serialize)]
pub struct RunReport {
    /// Configuration name.
    pub name: String,
    /// Trace digest, 16 hex digits.
    pub digest: String,
    /// Steps simulated (all samples).
    pub steps: u64,
    /// Samples simulated.
    pub samples: u32,
    /// Recurrent spikes in total.
    pub spikes: u64,
    /// Mean recurrent firing rate, Hz.
    pub rate_hz: f64,
    /// Fraction of neuron-steps with a spike (activation sparsity is one minus this).
    pub activity: f64,
    /// Synaptic operations in total (events times fan-out).
    pub synops: u64,
    /// Per-neuron spike counts.
    pub spike_counts: Vec<u64>,
    /// Mean readout value per output over the run, real units.
    pub readout_mean: Vec<f64>,
    /// Readout values at the last step, real units.
    pub readout_final: Vec<f64>,
    /// A signal stopped the run between two samples ([`crate::stop`]): the figures
    /// are those of the samples that ran.
    pub interrupted: bool,
    /// The signal that stopped it (`SIGINT`, `SIGTERM`), when one did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signal: Option<Signal>,
    /// Samples the plan has.
    #[serde(skip)]
    pub planned_samples: u32,
}

impl RunReport {
    /// The report as the table `neurochip run` prints.
    pub fn table(&self) -> String {
        use std::fmt::Write;
        let fmt = |v: &[f64]| {
            v.iter()
                .map(|x| format!("{x:.3}"))
                .collect::<Vec<_>>()
                .join(" ")
        };
        let mut o = String::new();
        let _ = writeln!(o, "neurochip run: {}", self.name);
        let _ = writeln!(o, "  steps            {:>12}", self.steps);
        let _ = writeln!(o, "  samples          {:>12}", self.samples);
        let _ = writeln!(o, "  spikes           {:>12}", self.spikes);
        let _ = writeln!(o, "  mean rate        {:>12.2} Hz", self.rate_hz);
        let _ = writeln!(
            o,
            "  activity         {:>12.4} spikes/neuron/step",
            self.activity
        );
        let _ = writeln!(o, "  synaptic ops     {:>12}", self.synops);
        let _ = writeln!(o, "  readout mean     {}", fmt(&self.readout_mean));
        let _ = writeln!(o, "  readout final    {}", fmt(&self.readout_final));
        let _ = writeln!(o, "  digest           {}", self.digest);
        o
    }

    /// For a stopped run, the line that says how far it went.
    pub fn interrupted_line(&self) -> Option<String> {
        let sig = self.signal?;
        Some(format!(
            "interrupted by {sig}: {} of {} samples ran ({} steps); the report holds them",
            self.samples, self.planned_samples, self.steps
        ))
    }
}

/// Simulate the chip of `cfg` on its input.
pub fn run(cfg: &Config, max_steps: Option<u64>) -> Result<RunReport, BuildError> {
    run_until(cfg, max_steps, &|| None)
}

/// [`run`], asking `stop` ([`crate::stop::requested`]) before every sample: when it
/// names a signal, the run ends there and the report says so.
pub fn run_until(
    cfg: &Config,
    max_steps: Option<u64>,
    stop: &dyn Fn() -> Option<Signal>,
) -> Result<RunReport, BuildError> {
    let (_, mut chip) = build::chip(cfg)?;
    let task = build::task(cfg)?;
    Ok(run_chip(cfg, &mut chip, &task, max_steps, stop))
}

/// The inference samples a configuration that does not learn runs: `task.samples`,
/// and for digits at most the training digits there are (inference sample `i` is
/// training digit `i`). `neurochip run` and the image of `neurochip export` both run
/// this many.
pub fn inference_samples(cfg: &Config, task: &Task) -> u32 {
    match task {
        Task::Digits { train, .. } => cfg
            .task
            .samples
            .min(u32::try_from(train.len()).unwrap_or(u32::MAX)),
        Task::Audio { corpus, .. } => cfg
            .task
            .samples
            .min(u32::try_from(corpus.test.len()).unwrap_or(u32::MAX)),
        Task::Events { .. } | Task::Features { .. } => cfg.task.samples.min(
            task.train_size()
                .and_then(|n| u32::try_from(n).ok())
                .unwrap_or(u32::MAX),
        ),
        _ => cfg.task.samples,
    }
}

/// Simulate an already built chip, stopping after `max_steps` steps if given, or
/// before a sample when `stop` names a signal.
pub fn run_chip(
    cfg: &Config,
    chip: &mut HostChip,
    stim: &Task,
    max_steps: Option<u64>,
    stop: &dyn Fn() -> Option<Signal>,
) -> RunReport {
    let n = chip.config().n_rec();
    let o = chip.config().n_out();
    let mut x = bitvec![u32, Lsb0; 0; stim.n_inputs()];
    let mut counts = vec![0u64; n];
    let (mut y, mut y_sum) = (vec![0f64; o], vec![0f64; o]);
    let (mut steps, mut spikes, mut synops) = (0u64, 0u64, 0u64);
    let planned = inference_samples(cfg, stim);
    let signal = std::cell::Cell::new(None);
    let ask = || {
        signal.set(stop());
        signal.get().is_some()
    };
    let samples = {
        let (c, mut mem) = chip.parts();
        let mut fast = crate::simd::Fast(c);
        let mut m = OnChip::new(&mut fast, &mut mem, &mut []);
        let run = Span {
            samples: planned,
            max_steps,
            stop: &ask,
        };
        inference(&mut m, stim, run, &mut x, |m| {
            spikes += u64::from(m.last.spikes);
            synops += u64::from(m.last.synops);
            steps += 1;
            for j in m.mem.z.iter_ones() {
                counts[j] += 1;
            }
            m.readout_real(&mut y);
            for (acc, &v) in y_sum.iter_mut().zip(&y) {
                *acc += v;
            }
        })
        // A built chip's memories fit its layout, so no step can fail.
        .unwrap_or_else(|e| unreachable!("{e}"))
        .1
    };
    // A run cut by `max_steps` reports the samples planned, a stopped one those begun.
    let samples = if signal.get().is_some() {
        samples
    } else {
        planned
    };
    let ro_lsb = chip.config().formats().readout.lsb();
    let digest = format!("{:016x}", chip.digest());
    let mem = chip.mem();
    let secs = steps as f64 * cfg.network.dt_ms / 1000.0;
    RunReport {
        name: cfg.name.clone(),
        digest,
        steps,
        samples,
        spikes,
        rate_hz: spikes as f64 / (n as f64 * secs.max(f64::MIN_POSITIVE)),
        activity: spikes as f64 / (n as f64 * steps.max(1) as f64),
        synops,
        spike_counts: counts,
        readout_mean: y_sum.iter().map(|s| s / steps.max(1) as f64).collect(),
        readout_final: mem.y.iter().map(|&y| f64::from(y) * ro_lsb).collect(),
        interrupted: signal.get().is_some(),
        signal: signal.get(),
        planned_samples: planned,
    }
}

/// How far an inference run goes: `samples` samples, at most `max_steps` steps in
/// all when given, and none after `stop` says so (it is asked before each sample).
#[derive(Clone, Copy)]
pub struct Span<'a> {
    /// Samples planned.
    pub samples: u32,
    /// Steps at most, in all.
    pub max_steps: Option<u64>,
    /// Asked before every sample.
    pub stop: &'a dyn Fn() -> bool,
}

impl Span<'_> {
    /// All `samples`, at most `max_steps` steps.
    pub fn all(samples: u32, max_steps: Option<u64>) -> Self {
        Span {
            samples,
            max_steps,
            stop: &|| false,
        }
    }
}

/// An inference run through the run loop: the samples `Pick::Run(0..)` of `task` on
/// `model`, learning off, as far as `span` goes; `on_step` sees the model after each
/// step. Returns the steps run and the samples begun.
pub fn inference<M: Model>(
    model: &mut M,
    task: &Task,
    span: Span<'_>,
    x: &mut neurochip_tasks::Spikes,
    mut on_step: impl FnMut(&M),
) -> Result<(u64, u32), M::Error> {
    let mut steps = 0u64;
    for s in 0..span.samples {
        let left = span.max_steps.map_or(u64::MAX, |m| m.saturating_sub(steps));
        if left == 0 || (span.stop)() {
            return Ok((steps, s));
        }
        let sample = task.sample(Pick::Run(s));
        let first = First {
            sample: &sample,
            steps: u32::try_from(left).unwrap_or(u32::MAX),
        };
        runner::run_sample(model, &first, Learn::Off, x, &mut [], |_, m, _, _| {
            on_step(m)
        })?;
        steps += u64::from(first.steps());
    }
    Ok((steps, span.samples))
}

/// The refusal of a step budget (`neurochip run --steps`, `verify --steps`, the
/// Python package's `steps=`) on a configuration that learns, from the file `origin`:
/// a training run follows its `[train]` plan.
pub fn steps_on_training(origin: &str) -> String {
    format!(
        "{origin}: --steps applies to inference runs ([learning] engine = \"off\"); a training \
         run follows its [train] plan: set train.epochs, train.train_samples and \
         train.test_samples instead"
    )
}

/// Which float weights the reference runs with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RefWeights {
    /// The chip's weights and parameters, dequantised: only arithmetic differs.
    Dequantized,
    /// The original float weights: quantisation is included in the comparison.
    Float,
}

crate::choice_from_str!(RefWeights, "weight source", [
    "dequantized" => RefWeights::Dequantized,
    "float" => RefWeights::Float,
]);

/// What `neurochip verify` reports.
#[derive(Clone, Debug, Serialize)]
pub struct VerifyReport {
    /// Configuration name.
    pub name: String,
    /// Which weights the reference used.
    pub reference_weights: RefWeights,
    /// Chip trace digest.
    pub digest: String,
    /// Steps compared.
    pub steps: u64,
    /// Chip spikes in total.
    pub spikes: u64,
    /// Reference spikes in total.
    pub ref_spikes: u64,
    /// First step (counted from 1 over all samples) where a spike differs; `None` if
    /// the spike trains agree throughout.
    pub first_mismatch_step: Option<u64>,
    /// Steps compared before the first mismatch.
    pub steps_matched: u64,
    /// RMS membrane error before the first mismatch, in membrane LSBs.
    pub membrane_rms_lsb: f64,
    /// The same, in units of each neuron's threshold.
    pub membrane_rms_thr: f64,
    /// Largest membrane error before the first mismatch, in units of threshold.
    pub membrane_max_thr: f64,
    /// Pearson correlation of per-neuron spike counts over the whole run.
    pub rate_correlation: f64,
    /// RMS readout error over the whole run, real units.
    pub readout_rms: f64,
    /// RMS of the reference readout, for scale.
    pub readout_ref_rms: f64,
    /// Mean firing rate of the chip and of the reference, Hz.
    pub rate_hz: f64,
    /// Mean firing rate of the reference, Hz.
    pub ref_rate_hz: f64,
    /// Chip activity: fraction of neuron-steps with a spike.
    pub activity: f64,
    /// Reference activity.
    pub ref_activity: f64,
    /// RMS membrane difference over all neurons per step, in thresholds (the run
    /// folder's divergence plot; not in the JSON).
    #[serde(skip)]
    pub divergence: Vec<f64>,
}

impl VerifyReport {
    /// The report as the table `neurochip verify` prints, the reference having run
    /// with `weights`.
    pub fn table(&self, weights: RefWeights) -> String {
        use std::fmt::Write;
        let mut o = String::new();
        let _ = writeln!(
            o,
            "neurochip verify: {} (reference weights: {:?})",
            self.name, weights
        );
        let _ = writeln!(o, "  steps compared        {:>10}", self.steps);
        let _ = match self.first_mismatch_step {
            Some(s) => writeln!(o, "  first spike mismatch  {s:>10}"),
            None => writeln!(o, "  first spike mismatch        none"),
        };
        let _ = writeln!(
            o,
            "  membrane RMS error    {:>10.3} LSB = {:.5} thresholds (max {:.5})",
            self.membrane_rms_lsb, self.membrane_rms_thr, self.membrane_max_thr
        );
        let _ = writeln!(o, "  rate correlation      {:>10.4}", self.rate_correlation);
        let _ = writeln!(
            o,
            "  readout RMS error     {:>10.4} (reference readout RMS {:.4})",
            self.readout_rms, self.readout_ref_rms
        );
        let _ = writeln!(
            o,
            "  rate chip / ref       {:>10.2} / {:.2} Hz",
            self.rate_hz, self.ref_rate_hz
        );
        let _ = writeln!(o, "  digest                {}", self.digest);
        o
    }
}

/// Pearson correlation; 1 when both are constant and equal, 0 when one is constant.
pub fn pearson(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len()) as f64;
    if n == 0.0 {
        return 0.0;
    }
    let ma = a.iter().sum::<f64>() / n;
    let mb = b.iter().sum::<f64>() / n;
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        sab += (x - ma) * (y - mb);
        saa += (x - ma) * (x - ma);
        sbb += (y - mb) * (y - mb);
    }
    if saa == 0.0 || sbb == 0.0 {
        return if a == b { 1.0 } else { 0.0 };
    }
    sab / (saa * sbb).sqrt()
}

/// Run the chip and the float reference side by side on the same input.
/// Stops after `max_steps` steps when given.
pub fn verify(
    cfg: &Config,
    weights: RefWeights,
    max_steps: Option<u64>,
) -> Result<VerifyReport, BuildError> {
    let (net, mut chip) = build::chip(cfg)?;
    let stim = build::task(cfg)?;
    let ref_net: Network = match weights {
        RefWeights::Dequantized => dequantize(&mut chip),
        RefWeights::Float => net,
    };
    let thr = ref_net.thr.clone();
    let mut r = Reference::new(ref_net);
    let f = *chip.config();
    let m_lsb = f.formats().membrane.lsb();
    let ro_lsb = f.formats().readout.lsb();
    let n = f.n_rec();
    let mut x = bitvec![u32, Lsb0; 0; stim.n_inputs()];
    let mut xb = vec![false; stim.n_inputs()];
    let (mut c_chip, mut c_ref) = (vec![0f64; n], vec![0f64; n]);
    let (mut steps, mut spikes, mut ref_spikes) = (0u64, 0u64, 0u64);
    let mut first: Option<u64> = None;
    let (mut se_lsb, mut se_thr, mut max_thr, mut n_se) = (0f64, 0f64, 0f64, 0u64);
    let (mut se_ro, mut ss_ro, mut n_ro) = (0f64, 0f64, 0u64);
    let mut divergence = Vec::new();
    for s in 0..inference_samples(cfg, &stim) {
        chip.reset_state();
        r.reset_state();
        let sample = stim.sample(Pick::Run(s));
        for t in 0..sample.steps() {
            if max_steps.is_some_and(|m| steps >= m) {
                break;
            }
            sample.spikes(t, &mut x);
            for (b, v) in xb.iter_mut().zip(x.iter().by_vals()) {
                *b = v;
            }
            // The reference sees the chip's release decisions (neurochip_core::release).
            let (t_chip, rel) = (chip.chip().steps(), f.release());
            let gate = |c: u32, k: usize| {
                let p = if c == release::class::INPUT {
                    rel.p_in
                } else {
                    rel.p_rec
                };
                release::released(f.seed(), t_chip, c, k, p)
            };
            let out = chip.step(&x).unwrap_or_else(|e| unreachable!("{e}"));
            ref_spikes += r.step_gated(&xb, gate) as u64;
            spikes += u64::from(out.spikes);
            steps += 1;
            let mem = chip.mem();
            let mut same = true;
            let mut se_step = 0.0;
            for ((&vc, &vr), &th) in mem.v.iter().zip(&r.v).zip(&thr) {
                let e = (f64::from(vc) * m_lsb - vr) / th;
                se_step += e * e;
            }
            divergence.push((se_step / n.max(1) as f64).sqrt());
            for j in 0..n {
                let zc = mem.z[j];
                if zc {
                    c_chip[j] += 1.0;
                }
                if r.z[j] {
                    c_ref[j] += 1.0;
                }
                same &= zc == r.z[j];
            }
            if first.is_none() {
                for ((&vc, &vr), &th) in mem.v.iter().zip(&r.v).zip(&thr) {
                    let e = f64::from(vc) * m_lsb - vr;
                    se_lsb += (e / m_lsb).powi(2);
                    se_thr += (e / th).powi(2);
                    max_thr = max_thr.max((e / th).abs());
                    n_se += 1;
                }
                if !same {
                    first = Some(steps);
                }
            }
            for (k, &y) in mem.y.iter().enumerate() {
                let e = f64::from(y) * ro_lsb - r.y[k];
                se_ro += e * e;
                ss_ro += r.y[k] * r.y[k];
                n_ro += 1;
            }
        }
    }
    let secs = steps as f64 * cfg.network.dt_ms / 1000.0;
    let rate = |c: u64| c as f64 / (n as f64 * secs.max(f64::MIN_POSITIVE));
    let nse = n_se.max(1) as f64;
    Ok(VerifyReport {
        name: cfg.name.clone(),
        reference_weights: weights,
        digest: format!("{:016x}", chip.digest()),
        steps,
        spikes,
        ref_spikes,
        first_mismatch_step: first,
        steps_matched: first.map_or(steps, |f| f - 1),
        membrane_rms_lsb: (se_lsb / nse).sqrt(),
        membrane_rms_thr: (se_thr / nse).sqrt(),
        membrane_max_thr: max_thr,
        rate_correlation: pearson(&c_chip, &c_ref),
        readout_rms: (se_ro / n_ro.max(1) as f64).sqrt(),
        readout_ref_rms: (ss_ro / n_ro.max(1) as f64).sqrt(),
        rate_hz: rate(spikes),
        ref_rate_hz: rate(ref_spikes),
        activity: spikes as f64 / (n as f64 * steps.max(1) as f64),
        ref_activity: ref_spikes as f64 / (n as f64 * steps.max(1) as f64),
        divergence,
    })
}
