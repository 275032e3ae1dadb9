//! Training on the chip (`neurochip run` with learning on) and training the chip
//! beside the float reference (`neurochip verify` with learning on).

use std::io::IsTerminal;
use std::path::Path;

use crate::{dequantize, footprint, quantize, snapshot, twin_rates, Footprint, HostChip};
use bitvec::prelude::*;
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use neurochip_core::learning::{Apply, Engine};
use neurochip_core::Decay;
use neurochip_ref::bptt::{self, cosine};
use neurochip_ref::{Decays, FTarget, LearnParams, Learner, RateScale, Reference, Rule};
use serde::Serialize;

use crate::build::{self, BuildError};
use crate::checkpoint;
use crate::config::Config;
use crate::confusion::Confusion;
use crate::stop::Signal;
use crate::task::{Pick, Task, Want};
use crate::train::{self, ChipModel, Epoch, Plan, RefModel, Score, Trained};
use neurochip_tasks::model::OnChip;
use neurochip_tasks::runner::{self, Learn};

/// What `neurochip run` reports after training.
#[derive(Clone, Debug, Serialize)]
pub struct TrainReport {
    /// Configuration name.
    pub name: String,
    /// Engine.
    pub engine: String,
    /// Per-epoch scores.
    pub epochs: Vec<Epoch>,
    /// Final test accuracy (classification) or `1 - nmse` (regression).
    pub test_accuracy: f64,
    /// Final test loss.
    pub test_loss: f64,
    /// Normalised MSE (regression).
    pub nmse: Option<f64>,
    /// Activity on the final test: fraction of neuron-steps with a spike.
    pub activity: f64,
    /// Test samples scored.
    pub test_samples: usize,
    /// Trace digest after training and testing.
    pub digest: String,
    /// Chip memory per structure, bytes.
    pub footprint: Footprint,
    /// Wall-clock seconds spent training.
    pub train_seconds: f64,
    /// Epochs done in all: a resumed run counts the snapshot's; the `--save` snapshot
    /// holds this many.
    pub epochs_done: u32,
    /// A signal stopped the training early ([`crate::stop`]): `epochs` holds the
    /// finished epochs only, and the test scores are the last finished epoch's.
    pub interrupted: bool,
    /// The signal that stopped it (`SIGINT`, `SIGTERM`), when one did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signal: Option<Signal>,
    /// A classification task's confusion matrix on the test samples scored above
    /// (the final test's own samples: its diagonal sums to `test_accuracy`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confusion: Option<Confusion>,
}

impl TrainReport {
    /// The report as the table `neurochip run` prints after training (after a blank
    /// line).
    pub fn table(&self) -> String {
        use std::fmt::Write;
        let mut o = String::new();
        let _ = writeln!(o, "  {:<28} {:>12}", "engine", self.engine);
        let _ = match self.nmse {
            Some(n) => writeln!(o, "  {:<28} {:>12.4}", "test NMSE", n),
            None => writeln!(
                o,
                "  {:<28} {:>11.1}%",
                format!("test accuracy ({} samples)", self.test_samples),
                100.0 * self.test_accuracy
            ),
        };
        let _ = writeln!(o, "  {:<28} {:>12.4}", "test loss", self.test_loss);
        let rows = [
            ("weight memory (bytes)", self.footprint.weights),
            ("learning state (bytes)", self.footprint.learning),
        ];
        for (k, v) in rows {
            let _ = writeln!(o, "  {k:<28} {v:>12}");
        }
        table_tail(&mut o, 28, self.train_seconds, &self.digest);
        o
    }

    /// For a stopped run, the line that says what was kept and how to go on: the
    /// epochs done of `planned` (the configuration's `train.epochs`, from where this
    /// run started), and the snapshot `save` that holds them.
    pub fn interrupted_line(&self, planned: u32, save: Option<&Path>) -> Option<String> {
        let sig = self.signal?;
        let finished = u32::try_from(self.epochs.len()).unwrap_or(u32::MAX);
        let left = planned.saturating_sub(finished);
        let head = format!(
            "interrupted by {sig}: {finished} of {planned} epochs of this run finished ({} done in all)",
            self.epochs_done
        );
        Some(match save {
            Some(p) => format!(
                "{head}; {} holds the chip with {} epochs done: continue with --resume {} and train.epochs = {left}",
                p.display(),
                self.epochs_done,
                p.display()
            ),
            None => format!("{head}; nothing saved (no --save)"),
        })
    }
}

/// The training plan of a configuration.
pub fn plan(cfg: &Config) -> Plan {
    Plan {
        epochs: cfg.train.epochs,
        train_per_epoch: cfg.train.train_samples as usize,
        test_samples: cfg.train.test_samples as usize,
        batch: cfg.learning.batch as usize,
        start_epoch: 0,
        halve_every: cfg.train.halve_rates_every,
    }
}

/// The last rows of a training run's table, the label column `width` wide: the
/// training time and the digest.
pub(crate) fn table_tail(o: &mut String, width: usize, train_seconds: f64, digest: &str) {
    use std::fmt::Write;
    let _ = writeln!(
        o,
        "  {:<width$} {:>12.1}",
        "training time (s)", train_seconds
    );
    let _ = writeln!(o, "  {:<width$} {:>12}", "digest", digest);
}

/// A progress bar over `total` samples, hidden when stdout is not a terminal or
/// `quiet`.
pub fn progress(total: u64, quiet: bool, what: &str) -> ProgressBar {
    progress_of(total, quiet, what, "samples")
}

/// Run `job` (reward learning) behind a progress bar over its episodes, epochs ×
/// training samples of `cfg`, which `job` hands its episode callback; the bar is
/// gone when it returns.
pub fn with_episode_bar<R>(
    cfg: &Config,
    quiet: bool,
    job: impl FnOnce(&(dyn Fn(u64, u64) + Sync)) -> R,
) -> R {
    let n = u64::from(cfg.train.epochs) * u64::from(cfg.train.train_samples);
    let bar = progress(n, quiet, "chip");
    let r = job(&|done, _| bar.set_position(done));
    bar.finish_and_clear();
    r
}

/// [`progress`] counting `unit` ("samples", "grid points").
pub fn progress_of(total: u64, quiet: bool, what: &str, unit: &str) -> ProgressBar {
    if quiet || !std::io::stdout().is_terminal() {
        return ProgressBar::hidden();
    }
    // One set of bars for the process, so that two that run at once (the chip and
    // its float twin in `verify`) draw on lines of their own.
    static BARS: std::sync::OnceLock<MultiProgress> = std::sync::OnceLock::new();
    let pb = BARS
        .get_or_init(MultiProgress::new)
        .add(ProgressBar::new(total));
    pb.set_style(
        ProgressStyle::with_template(&format!(
            "{{prefix:>6}} [{{bar:30}}] {{pos}}/{{len}} {unit}  eta {{eta}}  {{msg}}"
        ))
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    pb.set_prefix(what.to_string());
    pb
}

/// Train `model` on `task` by `plan` behind a progress bar (hidden when `quiet`).
pub fn train_model(
    model: &mut dyn train::Trainable,
    task: &Task,
    plan: &Plan,
    quiet: bool,
    what: &str,
    on_epoch: impl FnMut(&Epoch),
) -> Vec<Epoch> {
    train_model_until(model, task, plan, quiet, what, &|| None, on_epoch).epochs
}

/// [`train_model`], stopping between two samples when `stop` names a signal
/// ([`train::train_until`]).
pub fn train_model_until(
    model: &mut dyn train::Trainable,
    task: &Task,
    plan: &Plan,
    quiet: bool,
    what: &str,
    stop: &dyn Fn() -> Option<Signal>,
    mut on_epoch: impl FnMut(&Epoch),
) -> Trained {
    let per = task
        .train_size()
        .map_or(plan.train_per_epoch, |n| plan.train_per_epoch.min(n));
    let pb = progress(u64::from(plan.epochs) * per as u64, quiet, what);
    let out = train::train_until(
        model,
        task,
        plan,
        stop,
        |e, _, s: &Score| {
            pb.inc(1);
            pb.set_message(format!(
                "epoch {e}  loss {:.3}  acc {:.3}",
                s.loss, s.accuracy
            ));
        },
        |ep| {
            pb.suspend(|| on_epoch(ep));
        },
    );
    pb.finish_and_clear();
    out
}

/// Print one epoch line.
pub fn epoch_line(who: &str, ep: &Epoch) -> String {
    format!(
        "{who:>5} epoch {:>3}  train loss {:.4} acc {:.3}   test loss {:.4} acc {:.3}{}",
        ep.epoch,
        ep.train.loss,
        ep.train.accuracy,
        ep.test.loss,
        ep.test.accuracy,
        ep.test
            .nmse
            .map_or(String::new(), |n| format!("  nmse {n:.4}"))
    )
}

fn engine_name(chip: &HostChip) -> String {
    format!("{:?}", chip.config().learning().engine).to_lowercase()
}

/// Train the chip of `cfg` on its task; `on_epoch` sees each epoch.
pub fn train_chip(
    cfg: &Config,
    quiet: bool,
    on_epoch: impl FnMut(&Epoch),
) -> Result<(TrainReport, HostChip), BuildError> {
    train_chip_with(cfg, quiet, None, None, on_epoch)
}

/// [`train_chip`], starting from the snapshot `resume` (whose epochs done continue the
/// sample order) and saving the final state to `save` (atomically, with the epochs
/// done), so that a run split in two gives the bits of the uninterrupted run.
pub fn train_chip_with(
    cfg: &Config,
    quiet: bool,
    resume: Option<&Path>,
    save: Option<&Path>,
    on_epoch: impl FnMut(&Epoch),
) -> Result<(TrainReport, HostChip), BuildError> {
    let opts = checkpoint::Options {
        resume,
        save,
        ..Default::default()
    };
    checkpoint::train_chip(cfg, quiet, &opts, on_epoch)
}

/// The report of a chip training run: `trained` (its finished epochs, the signal that
/// stopped it) on `model` after `secs` seconds, `epochs_done` epochs done in all. A
/// run that ran to the end scores its last epoch's test (or a test pass when it had
/// no epoch); a stopped one scores its last finished epoch's test, or nothing.
pub(crate) fn report(
    cfg: &Config,
    trained: Trained,
    model: &mut ChipModel,
    task: &Task,
    plan: &Plan,
    secs: f64,
    epochs_done: u32,
) -> TrainReport {
    let (last, classified) = match (trained.stopped, trained.epochs.last()) {
        (None, None) => train::test_classified(model, task, plan.test_samples),
        (_, last) => (last.map(|e| e.test).unwrap_or_default(), trained.classified),
    };
    let chip = &mut model.chip;
    TrainReport {
        name: cfg.name.clone(),
        engine: engine_name(chip),
        test_accuracy: last.accuracy,
        test_loss: last.loss,
        nmse: last.nmse,
        activity: last.activity,
        test_samples: last.samples,
        epochs: trained.epochs,
        digest: format!("{:016x}", chip.digest()),
        footprint: footprint(chip.config()),
        train_seconds: secs,
        epochs_done,
        interrupted: trained.stopped.is_some(),
        signal: trained.stopped,
        confusion: task
            .class_names()
            .map(|c| Confusion::from_pairs(c, &classified)),
    }
}

pub(crate) fn snap_err(flag: &str, p: &Path, e: snapshot::SnapshotError) -> BuildError {
    BuildError {
        file: p.display().to_string(),
        field: flag.into(),
        message: match e {
            snapshot::SnapshotError::Io { what, err, .. } => format!("{what}: {err}"),
            snapshot::SnapshotError::Invalid { reason, .. } => reason,
        },
    }
}

/// `--save`: a snapshot that could not be written is found out before training, not
/// after ([`check_writable`]).
pub fn check_save(save: Option<&Path>) -> Result<(), BuildError> {
    let Some(p) = save else {
        return Ok(());
    };
    check_writable(p).map_err(|e| BuildError {
        file: p.display().to_string(),
        field: "--save".into(),
        message: format!("cannot write the snapshot: {e}"),
    })
}

/// `--save`: write the whole chip state with `epochs` done, atomically.
pub fn save_snapshot(
    save: Option<&Path>,
    chip: &mut HostChip,
    epochs: u32,
) -> Result<(), BuildError> {
    match save {
        Some(p) => snapshot::save_file(p, chip, epochs).map_err(|e| snap_err("--save", p, e)),
        None => Ok(()),
    }
}

/// Whether a file can be written at `path` ([`crate::outputs::writable`]).
pub fn check_writable(path: &Path) -> Result<(), String> {
    crate::outputs::writable(path)
}

/// The last epoch's test score, or a test run when no epoch ran.
pub fn final_test(
    epochs: &[Epoch],
    model: &mut dyn train::Trainable,
    task: &Task,
    plan: &Plan,
) -> Score {
    match epochs.last() {
        Some(e) => e.test,
        None => train::test(model, task, plan.test_samples),
    }
}

/// The float learner that mirrors the chip of `cfg` (the rates of its rule, the chip's
/// decays), on the chip's dequantised network.
pub fn float_twin(cfg: &Config, chip: &mut HostChip) -> (Reference, Learner) {
    let c = *chip.config();
    let l = c.learning();
    let (rates, reg) = twin_rates(&c);
    let mut sim = Reference::new(dequantize(chip));
    sim.psi_levels = if l.engine == Engine::Light {
        l.psi_levels
    } else {
        0
    };
    let feedback = build::learn_spec(cfg).and_then(|s| s.feedback);
    let learner = Learner::new(
        LearnParams {
            rule: if l.engine == Engine::Light {
                Rule::Light
            } else {
                Rule::Exact
            },
            // The chip's circuits: with decay classes (`neurochip_core::classes`) each
            // neuron's and readout's own decay, which the classes hold exactly; without,
            // one presynaptic trace decay (the mean alpha) and one eligibility decay
            // (readout 0's kappa), the same numbers when the network is homogeneous.
            decays: if c.classes().is_on() {
                Decays::Network
            } else {
                Decays::Shared {
                    trace: Decay::from_bits(l.trace_decay).to_num(),
                    kappa: Decay::from_bits(l.elig_decay).to_num(),
                }
            },
            eta_in: rates.eta_in,
            eta_rec: rates.eta_rec,
            eta_out: rates.eta_out,
            eta_bias: rates.eta_bias,
            feedback,
            online: !l.apply.hidden_per_sample(),
            readout_online: !l.apply.readout_per_sample(),
            classification: !build::is_regression(cfg),
            dale: l.dale,
            learn_hidden: l.learn_hidden,
            learn_readout: l.learn_readout,
            reg,
            rate_scale: rate_scale(&c),
        },
        &sim,
    );
    (sim, learner)
}

/// The chip's per-synapse learning-rate multipliers (`2^-offset`, the offsets of
/// `neurochip_core::learning::rate_offset`), for the float reference; `None` when the
/// chip has one rate per layer.
pub fn rate_scale(c: &neurochip_core::ChipConfig) -> Option<RateScale> {
    use neurochip_core::learning::{layer, rate_offset};
    let k = c.learning().lr_spread;
    if k == 0 {
        return None;
    }
    let (ni, n, o) = (c.n_in(), c.n_rec(), c.n_out());
    let of = |layer: u32, len: usize| -> Vec<f64> {
        (0..len)
            .map(|i| 2f64.powi(-(rate_offset(c.seed(), layer, i, k) as i32)))
            .collect()
    };
    Some(RateScale {
        w_in: of(layer::INPUT, ni * n),
        w_rec: of(layer::RECURRENT, n * n),
        w_out: of(layer::READOUT, n * o),
    })
}

/// What `neurochip verify` reports when the configuration learns.
#[derive(Clone, Debug, Serialize)]
pub struct LearnVerifyReport {
    /// Configuration name.
    pub name: String,
    /// Engine.
    pub engine: String,
    /// Chip test accuracy.
    pub test_accuracy: f64,
    /// Float reference test accuracy, trained the same way.
    pub ref_test_accuracy: f64,
    /// `ref_test_accuracy - test_accuracy`, in points.
    pub accuracy_gap_points: f64,
    /// Chip NMSE (regression).
    pub nmse: Option<f64>,
    /// Reference NMSE (regression).
    pub ref_nmse: Option<f64>,
    /// Chip activity on the final test: fraction of neuron-steps with a spike.
    pub activity: f64,
    /// Reference activity on the final test.
    pub ref_activity: f64,
    /// Chip loss and accuracy per epoch.
    pub chip_curve: Vec<Epoch>,
    /// Reference loss and accuracy per epoch.
    pub ref_curve: Vec<Epoch>,
    /// Cosine between the chip's and the reference's weight updates for the first
    /// training sample, from the same weights and inputs.
    pub update_cosine: f64,
    /// Cosine between e-prop and BPTT gradients of the float model on that sample
    /// (exact e-prop with the network's own decays; BPTT with the reset detached,
    /// [`EPROP_BPTT_RESET`]).
    pub eprop_bptt_cosine: f64,
    /// Chip digest after training.
    pub digest: String,
    /// The chip's confusion matrix on its final test (classification).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confusion: Option<Confusion>,
}

impl LearnVerifyReport {
    /// The report as the table `neurochip verify` prints after training side by side
    /// (after a blank line).
    pub fn table(&self) -> String {
        use std::fmt::Write;
        let mut o = String::new();
        let _ = writeln!(o, "  {:<34} {:>10} {:>10}", "", "chip", "float");
        let _ = match (self.nmse, self.ref_nmse) {
            (Some(a), Some(b)) => writeln!(o, "  {:<34} {:>10.4} {:>10.4}", "test NMSE", a, b),
            _ => writeln!(
                o,
                "  {:<34} {:>9.1}% {:>9.1}%",
                "test accuracy",
                100.0 * self.test_accuracy,
                100.0 * self.ref_test_accuracy
            ),
        };
        // The float model's e-prop against BPTT, in the reset convention it used.
        let eprop_row = format!("e-prop/BPTT cosine, {}", EPROP_BPTT_RESET.label());
        let rows = [
            (
                "accuracy gap (points, float - chip)",
                self.accuracy_gap_points,
                2,
            ),
            ("update cosine (chip vs float)", self.update_cosine, 4),
            (eprop_row.as_str(), self.eprop_bptt_cosine, 4),
        ];
        for (k, v, digits) in rows {
            let _ = writeln!(o, "  {k:<34} {v:>10.digits$}");
        }
        let _ = writeln!(o, "  {:<34} {:>10}", "digest", self.digest);
        o
    }
}

/// The reset convention of [`LearnVerifyReport::eprop_bptt_cosine`]: detached, as
/// e-prop's derivation.
pub const EPROP_BPTT_RESET: bptt::Reset = bptt::Reset::Detached;

/// One-sample agreement: (update cosine chip vs float, e-prop vs BPTT cosine with the
/// reset [`EPROP_BPTT_RESET`]).
pub fn one_sample_agreement(cfg: &Config) -> Result<(f64, f64), BuildError> {
    let (net, _) = build::chip(cfg)?;
    let task = build::task(cfg)?;
    // The chip again, in per-sample mode so its update accumulators hold the sample.
    let mut opt = build::quant_options(cfg);
    if let Some(l) = opt.learning.as_mut() {
        l.apply = Apply::Sample;
    }
    let mut chip = quantize(&net, &opt).map_err(|e| BuildError {
        file: cfg.origin.clone(),
        field: "network".into(),
        message: e.to_string(),
    })?;
    let (sim, mut learner) = float_twin(cfg, &mut chip);
    learner.p.online = false;
    learner.p.readout_online = false;
    let fnet = sim.network().clone();
    // One training sample through the run loop, on the chip and on the twin, with
    // the updates accumulated and not applied.
    let sample = task.sample(Pick::Train {
        epoch: 0,
        index: 0,
        per_epoch: 1,
    });
    let o = chip.config().n_out();
    let mut x = bitvec![u32, Lsb0; 0; task.n_inputs()];
    let mut vals = vec![0.0; o];
    {
        let (c, mut mem) = chip.parts();
        let mut q = vec![0; o];
        let mut fast = crate::simd::Fast(c);
        let mut m = OnChip::new(&mut fast, &mut mem, &mut q);
        runner::run_sample(
            &mut m,
            &sample,
            Learn::Accumulate,
            &mut x,
            &mut vals,
            |_, _, _, _| {},
        )
        .unwrap_or_else(|e| unreachable!("{e}"));
    }
    let mut twin = RefModel::new(sim, learner, task.n_inputs());
    let mut xs = Vec::new();
    let mut targets_owned: Vec<(Want, Vec<f64>)> = Vec::new();
    let r = runner::run_sample(
        &mut twin,
        &sample,
        Learn::Accumulate,
        &mut x,
        &mut vals,
        |_, m, w, v| {
            xs.push(m.input().to_vec());
            targets_owned.push((w, v.to_vec()));
        },
    );
    if let Err(e) = r {
        match e {}
    }
    let RefModel { learner, .. } = twin;
    let c = *chip.config();
    let (rates, _) = twin_rates(&c);
    let sh = c.shifts();
    let mf = c.formats().membrane.frac() as i32;
    let rf = c.formats().readout.frac() as i32;
    let mem = chip.mem();
    let conv = |g: &[i32], s: i8, frac: i32, eta: f64| -> Vec<f64> {
        let lsb = 2f64.powi(i32::from(s) - frac);
        g.iter()
            .map(|&q| -f64::from(q) / 65536.0 * lsb / eta)
            .collect()
    };
    // Per-synapse rates (lr_spread): back to gradients, synapse by synapse.
    let scale = rate_scale(&c);
    let unscale = |mut v: Vec<f64>, s: Option<&Vec<f64>>| -> Vec<f64> {
        if let Some(s) = s {
            for (x, f) in v.iter_mut().zip(s) {
                *x /= f;
            }
        }
        v
    };
    let mut fixed = Vec::new();
    let mut float = Vec::new();
    if c.learning().learn_hidden {
        fixed.extend(unscale(
            conv(mem.g_in, sh.input, mf, rates.eta_in),
            scale.as_ref().map(|s| &s.w_in),
        ));
        fixed.extend(unscale(
            conv(mem.g_rec, sh.recurrent, mf, rates.eta_rec),
            scale.as_ref().map(|s| &s.w_rec),
        ));
        float.extend_from_slice(&learner.g.w_in);
        float.extend_from_slice(&learner.g.w_rec);
    }
    if c.learning().learn_readout {
        fixed.extend(unscale(
            conv(mem.g_out, sh.output, rf, rates.eta_out),
            scale.as_ref().map(|s| &s.w_out),
        ));
        float.extend_from_slice(&learner.g.w_out);
    }
    let update_cos = cosine(&fixed, &float);
    // e-prop against BPTT on the float model (exact rule with the network's own decays,
    // reset detached, same sample).
    let targets: Vec<FTarget<'_>> = targets_owned
        .iter()
        .map(|(w, v)| match w {
            Want::None => FTarget::None,
            Want::Class(k) => FTarget::Class(*k),
            Want::Values => FTarget::Values(v),
        })
        .collect();
    let (g_bptt, _) = bptt::gradient(&fnet, &xs, &targets, EPROP_BPTT_RESET);
    let mut sim2 = Reference::new(fnet.clone());
    let mut p = learner.p.clone();
    p.rule = Rule::Exact;
    p.decays = Decays::Network;
    p.online = false;
    p.reg = None;
    let mut l2 = Learner::new(p, &sim2);
    for (xb, t) in xs.iter().zip(&targets) {
        l2.step(&mut sim2, xb);
        l2.learn(&mut sim2, *t);
    }
    let eprop_cos = cosine(&l2.g.flat(), &g_bptt.flat());
    Ok((update_cos, eprop_cos))
}

/// Train the chip and the float reference side by side.
pub fn verify_learning(
    cfg: &Config,
    quiet: bool,
    on_epoch: impl FnMut(&str, &Epoch) + Send,
) -> Result<LearnVerifyReport, BuildError> {
    verify_learning_chip(cfg, quiet, on_epoch).map(|(r, _)| r)
}

/// [`verify_learning`], also returning the trained chip.
///
/// The chip and its float twin train at the same time on two threads
/// (`rayon::join`): they share nothing but the configuration, so each gives the bits
/// it gives alone. `on_epoch` sees their epochs in the order they finish.
pub fn verify_learning_chip(
    cfg: &Config,
    quiet: bool,
    on_epoch: impl FnMut(&str, &Epoch) + Send,
) -> Result<(LearnVerifyReport, HostChip), BuildError> {
    let on_epoch = std::sync::Mutex::new(on_epoch);
    let epoch = |who: &str, e: &Epoch| {
        let mut f = on_epoch
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(who, e);
    };
    let (mut chip0, task) = (build::chip(cfg)?.1, build::task(cfg)?);
    let (sim, learner) = float_twin(cfg, &mut chip0);
    let mut model = RefModel::new(sim, learner, task.n_inputs());
    let plan = plan(cfg);
    // As `reward::verify` does: the chip on one side of a `rayon::join`, its twin on
    // the other.
    let (chip_side, (ref_epochs, last)) = rayon::join(
        || {
            let cosines = one_sample_agreement(cfg)?;
            train_chip(cfg, quiet, |e| epoch("chip", e)).map(|t| (cosines, t))
        },
        || {
            let ref_epochs = train_model(&mut model, &task, &plan, quiet, "float", |e| {
                epoch("float", e)
            });
            let last = final_test(&ref_epochs, &mut model, &task, &plan);
            (ref_epochs, last)
        },
    );
    let ((update_cosine, eprop_bptt_cosine), (rep, chip)) = chip_side?;
    let rep = LearnVerifyReport {
        name: cfg.name.clone(),
        engine: rep.engine.clone(),
        test_accuracy: rep.test_accuracy,
        ref_test_accuracy: last.accuracy,
        accuracy_gap_points: 100.0 * (last.accuracy - rep.test_accuracy),
        nmse: rep.nmse,
        ref_nmse: last.nmse,
        activity: rep.activity,
        ref_activity: last.activity,
        chip_curve: rep.epochs,
        ref_curve: ref_epochs,
        update_cosine,
        eprop_bptt_cosine,
        digest: rep.digest,
        confusion: rep.confusion,
    };
    Ok((rep, chip))
}
