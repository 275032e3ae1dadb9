//! Training and testing on the chip, and the same on the float reference.
//!
//! A sample starts from the reset state; every step the input goes in, and inside the
//! target window the learning circuits get the target. Per-sample updates are applied
//! at the end of the sample. Classification predicts the class whose readout summed
//! over the window is largest; the loss is the mean cross-entropy of the softmax over
//! the window. Regression reports the normalised mean squared error,
//! `sum (y - y*)^2 / sum (y* - mean y*)^2`.

use std::convert::Infallible;

use crate::HostChip;
use bitvec::prelude::*;
use neurochip_ref::eprop::softmax;
use neurochip_ref::{FTarget, Learner, Reference};
use neurochip_tasks::app::PlanSpec;
use neurochip_tasks::model::{self, Goal, OnChip};
use neurochip_tasks::runner::{self, Event, Outcome, Walker};
use neurochip_tasks::sample::Sample;
use neurochip_tasks::Spikes;
use serde::Serialize;

use crate::stop::Signal;
use crate::task::{AnySample, Pick, Task, Want};

/// How long to train and test.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Plan {
    /// Epochs.
    pub epochs: u32,
    /// Training samples per epoch.
    pub train_per_epoch: usize,
    /// Test samples after each epoch.
    pub test_samples: usize,
    /// Samples per weight update (per-sample mode).
    pub batch: usize,
    /// Epochs already done (a resumed run continues the sample order from there).
    pub start_epoch: u32,
    /// Halve every learning rate after each this many epochs (0: never;
    /// [`PlanSpec::rate_step`]).
    pub halve_every: u32,
}

/// Score of a set of samples.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct Score {
    /// Samples.
    pub samples: usize,
    /// Mean loss (cross-entropy per window step, or squared error per step).
    pub loss: f64,
    /// Accuracy (classification) or `1 - nmse` clipped at 0 (regression).
    pub accuracy: f64,
    /// Normalised MSE (regression only).
    pub nmse: Option<f64>,
    /// Activity: the fraction of neuron-steps with a spike over these samples
    /// (activation sparsity is one minus this).
    pub activity: f64,
}

#[derive(Default)]
struct Acc {
    spikes: u64,
    neuron_steps: u64,
    n: usize,
    loss: f64,
    loss_n: usize,
    correct: usize,
    se: f64,
    sy: f64,
    syy: f64,
    ny: usize,
    regression: bool,
    /// (label, predicted class) of each classification sample.
    pairs: Vec<(usize, usize)>,
}

impl Acc {
    fn add_step(&mut self, y: &[f64], want: Want, vals: &[f64]) {
        match want {
            Want::None => {}
            Want::Class(c) => {
                let pi = softmax(y);
                self.loss -= pi[c].max(1e-12).ln();
                self.loss_n += 1;
            }
            Want::Values => {
                self.regression = true;
                for (a, b) in y.iter().zip(vals) {
                    self.se += (a - b) * (a - b);
                    self.sy += b;
                    self.syy += b * b;
                    self.ny += 1;
                }
            }
        }
    }

    fn add_spikes(&mut self, spikes: usize, neurons: usize) {
        self.spikes = self.spikes.saturating_add(spikes as u64);
        self.neuron_steps = self.neuron_steps.saturating_add(neurons as u64);
    }

    fn activity(&self) -> f64 {
        self.spikes as f64 / self.neuron_steps.max(1) as f64
    }

    fn end_sample(&mut self, correct: bool) {
        self.n += 1;
        self.correct += usize::from(correct);
    }

    fn score(&self) -> Score {
        if self.regression {
            let ny = self.ny.max(1) as f64;
            let var = self.syy / ny - (self.sy / ny).powi(2);
            let nmse = (self.se / ny) / var.max(1e-12);
            Score {
                samples: self.n,
                loss: self.se / ny,
                accuracy: (1.0 - nmse).max(0.0),
                nmse: Some(nmse),
                activity: self.activity(),
            }
        } else {
            Score {
                samples: self.n,
                loss: self.loss / self.loss_n.max(1) as f64,
                accuracy: self.correct as f64 / self.n.max(1) as f64,
                nmse: None,
                activity: self.activity(),
            }
        }
    }
}

/// Whether and how a sample learns: the run loop's own.
pub use neurochip_tasks::runner::Learn;

/// A model the trainer drives sample by sample: the chip or the float twin, or a
/// wrapper that watches one (an experiment's log).
pub trait Trainable {
    /// Run `sample`, learning as `learn` says; add its score to `acc`.
    fn sample(&mut self, sample: &AnySample<'_>, learn: Learn, acc: &mut Scorer);

    /// An epoch finished, its test samples included: `epochs_done` epochs are done in
    /// all (a resumed run counts the snapshot's). A model that keeps checkpoints
    /// ([`crate::checkpoint`]) takes one here; the others do nothing.
    fn end_epoch(&mut self, epochs_done: u32) {
        let _ = epochs_done;
    }

    /// Learn with every learning rate at `2^-k` of the configured one, from the next
    /// sample on (the plan's schedule, [`PlanSpec::rate_step`]).
    fn set_rate_step(&mut self, k: u8);
}

/// Accumulates scores over samples.
#[derive(Default)]
pub struct Scorer(Acc);

impl Scorer {
    /// The score so far.
    pub fn score(&self) -> Score {
        self.0.score()
    }

    /// Run `sample` on `m` through the run loop ([`runner::run_scored`]) and score it.
    /// `x` holds one step's input; the regression target goes through `vals` and the
    /// real-unit readout through `y` (one entry per readout each).
    pub fn run<M: model::Model>(
        &mut self,
        m: &mut M,
        sample: &AnySample<'_>,
        learn: Learn,
        x: &mut Spikes,
        vals: &mut [f64],
        y: &mut [f64],
    ) -> Result<Outcome, M::Error> {
        let mut sums = vec![Default::default(); y.len()];
        let acc = &mut self.0;
        let o = runner::run_scored(m, sample, learn, x, vals, &mut sums, |_, m, w, v| {
            m.readout_real(y);
            acc.add_step(y, w, v);
            acc.add_spikes(m.spikes() as usize, m.neurons());
        })?;
        self.0.end_sample(o.correct);
        if let (Some(label), Some(pred)) = (sample.label(), o.predicted) {
            self.0.pairs.push((label, pred));
        }
        Ok(o)
    }
}

/// Buffers of one sample: the input of a step, a regression target, the readout.
struct Buffers {
    x: BitVec<u32, Lsb0>,
    vals: Vec<f64>,
    y: Vec<f64>,
}

impl Buffers {
    fn new(n_inputs: usize, n_out: usize) -> Self {
        Self {
            x: bitvec![u32, Lsb0; 0; n_inputs],
            vals: vec![0.0; n_out],
            y: vec![0.0; n_out],
        }
    }
}

/// The chip as a trainable model.
pub struct ChipModel {
    /// The chip.
    pub chip: HostChip,
    buf: Buffers,
    quantised: Vec<i32>,
    /// Cycle-level models to step the chip through (`neurochip run --arch`, `sweep
    /// --arch`); empty: the chip alone.
    pub cycles: Vec<crate::CycleModel>,
}

impl ChipModel {
    /// Wrap a chip.
    pub fn new(chip: HostChip, n_inputs: usize) -> Self {
        let o = chip.config().n_out();
        Self {
            chip,
            buf: Buffers::new(n_inputs, o),
            quantised: vec![0; o],
            cycles: Vec::new(),
        }
    }
}

impl Trainable for ChipModel {
    fn sample(&mut self, sample: &AnySample<'_>, learn: Learn, acc: &mut Scorer) {
        let (chip, mut mem) = self.chip.parts();
        let b = &mut self.buf;
        let r = if self.cycles.is_empty() {
            let mut fast = crate::simd::Fast(chip);
            let mut m = OnChip::new(&mut fast, &mut mem, &mut self.quantised);
            acc.run(&mut m, sample, learn, &mut b.x, &mut b.vals, &mut b.y)
        } else {
            let mut cc = crate::CycleChip {
                chip,
                models: &mut self.cycles,
            };
            let mut m = OnChip::new(&mut cc, &mut mem, &mut self.quantised);
            acc.run(&mut m, sample, learn, &mut b.x, &mut b.vals, &mut b.y)
        };
        // A built chip's memories fit its layout, so no step can fail.
        r.unwrap_or_else(|e| unreachable!("{e}"));
    }

    fn set_rate_step(&mut self, k: u8) {
        self.chip.chip_mut().set_rate_step(k);
    }
}

/// The float twin: the reference simulator and its learner.
pub struct RefModel {
    /// The simulator.
    pub sim: Reference,
    /// Its learner.
    pub learner: Learner,
    xb: Vec<bool>,
    spiked: usize,
    buf: Buffers,
    /// The learner's rates at rate step 0 (in, rec, out, bias).
    rates: [f64; 4],
}

impl RefModel {
    /// Wrap a reference and learner.
    pub fn new(sim: Reference, learner: Learner, n_inputs: usize) -> Self {
        let o = sim.y.len();
        let p = &learner.p;
        let rates = [p.eta_in, p.eta_rec, p.eta_out, p.eta_bias];
        Self {
            rates,
            sim,
            learner,
            xb: vec![false; n_inputs],
            spiked: 0,
            buf: Buffers::new(n_inputs, o),
        }
    }
}

impl RefModel {
    /// The input of the last step, as the twin took it.
    pub fn input(&self) -> &[bool] {
        &self.xb
    }
}

impl model::Model for RefModel {
    type Value = f64;
    type Error = Infallible;

    fn begin_sample(&mut self) {
        self.sim.reset_state();
        self.learner.reset_state();
    }

    fn step(&mut self, x: &Spikes) -> Result<(), Infallible> {
        for (b, v) in self.xb.iter_mut().zip(x.iter().by_vals()) {
            *b = v;
        }
        self.spiked = self.learner.step(&mut self.sim, &self.xb);
        Ok(())
    }

    fn learn(&mut self, goal: Goal<'_>) -> Result<(), Infallible> {
        let target = match goal {
            Goal::None => FTarget::None,
            Goal::Class(c) => FTarget::Class(c),
            Goal::Values(v) => FTarget::Values(v),
            Goal::Error(e) => FTarget::Error(e),
        };
        self.learner.learn(&mut self.sim, target);
        Ok(())
    }

    fn end_sample(&mut self, apply: bool) -> Result<(), Infallible> {
        if apply {
            self.learner.end_sample(&mut self.sim);
        }
        Ok(())
    }

    fn readout(&self) -> &[f64] {
        &self.sim.y
    }

    fn readout_real(&self, out: &mut [f64]) {
        out.copy_from_slice(&self.sim.y);
    }

    fn spikes(&self) -> u32 {
        self.spiked as u32
    }

    fn neurons(&self) -> usize {
        self.sim.z.len()
    }
}

impl Trainable for RefModel {
    fn sample(&mut self, sample: &AnySample<'_>, learn: Learn, acc: &mut Scorer) {
        let mut b = std::mem::replace(&mut self.buf, Buffers::new(0, 0));
        let r = acc.run(self, sample, learn, &mut b.x, &mut b.vals, &mut b.y);
        self.buf = b;
        match r {
            Ok(_) => {}
            Err(e) => match e {},
        }
    }

    fn set_rate_step(&mut self, k: u8) {
        // The chip's shifts grow by k: the twin's rates halve k times.
        let scale = 0.5f64.powi(i32::from(k));
        let p = &mut self.learner.p;
        let [i, r, o, b] = self.rates;
        (p.eta_in, p.eta_rec, p.eta_out, p.eta_bias) = (i * scale, r * scale, o * scale, b * scale);
    }
}

/// Scores of one epoch.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Epoch {
    /// Epoch number, from 1.
    pub epoch: u32,
    /// Training score (while learning).
    pub train: Score,
    /// Test score (learning off).
    pub test: Score,
}

/// The trainer's side of a plan: runs each sample on a model and keeps the scores.
struct HostRun<'a, F, G> {
    model: &'a mut dyn Trainable,
    task: &'a Task,
    stop: &'a dyn Fn() -> Option<Signal>,
    train: Scorer,
    test: Scorer,
    on_sample: F,
    on_epoch: G,
    epochs: Vec<Epoch>,
    /// The last finished epoch's test samples, classified ([`Trained::classified`]).
    classified: Vec<(usize, usize)>,
}

impl<F: FnMut(u32, usize, &Score), G: FnMut(&Epoch)> Walker for HostRun<'_, F, G> {
    type Error = Signal;

    fn sample(&mut self, pick: Pick, learn: Learn) -> Result<Outcome, Signal> {
        // Between samples: the one under way has finished.
        if let Some(sig) = (self.stop)() {
            return Err(sig);
        }
        let s = self.task.sample(pick);
        if let Pick::Train { epoch, index, .. } = pick {
            self.model.sample(&s, learn, &mut self.train);
            (self.on_sample)(epoch + 1, index as usize + 1, &self.train.score());
        } else {
            self.model.sample(&s, learn, &mut self.test);
        }
        Ok(Outcome::default())
    }

    fn set_rate_step(&mut self, k: u8) {
        self.model.set_rate_step(k);
    }

    fn report(&mut self, event: Event) {
        if let Event::Epoch { epoch, .. } = event {
            let test = std::mem::take(&mut self.test);
            let ep = Epoch {
                epoch,
                train: std::mem::take(&mut self.train).score(),
                test: test.score(),
            };
            self.classified = test.0.pairs;
            self.model.end_epoch(epoch);
            (self.on_epoch)(&ep);
            self.epochs.push(ep);
        }
    }
}

/// What a training run came to: the scores of its finished epochs, and the signal that
/// stopped it early, if one did.
#[derive(Clone, Debug)]
pub struct Trained {
    /// The finished epochs (epoch 0: a test pass without learning).
    pub epochs: Vec<Epoch>,
    /// The signal that stopped the run between two samples; `None`: it ran to the end.
    pub stopped: Option<Signal>,
    /// (label, predicted class) of each classification sample of the last finished
    /// epoch's test, in order: its confusion matrix
    /// ([`crate::confusion::Confusion::from_pairs`]).
    pub classified: Vec<(usize, usize)>,
}

/// Walk `plan` (learning or not) through the run loop ([`runner::walk`]), asking `stop`
/// before each sample; the scores of each finished epoch (epoch 0: a test pass
/// without learning).
fn walk(
    model: &mut dyn Trainable,
    task: &Task,
    plan: &PlanSpec,
    start_epoch: u32,
    stop: &dyn Fn() -> Option<Signal>,
    on_sample: impl FnMut(u32, usize, &Score),
    on_epoch: impl FnMut(&Epoch),
) -> Trained {
    let mut run = HostRun {
        model,
        task,
        stop,
        train: Scorer::default(),
        test: Scorer::default(),
        on_sample,
        on_epoch,
        epochs: Vec::new(),
        classified: Vec::new(),
    };
    let stopped = runner::walk(plan, start_epoch, &mut run).err();
    Trained {
        epochs: run.epochs,
        stopped,
        classified: run.classified,
    }
}

/// A count as the run loop takes it.
fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Train `model` on `task` with `plan`; `on_sample` is called after every training
/// sample (for progress bars) and `on_epoch` after every epoch.
pub fn train(
    model: &mut dyn Trainable,
    task: &Task,
    plan: &Plan,
    on_sample: impl FnMut(u32, usize, &Score),
    on_epoch: impl FnMut(&Epoch),
) -> Vec<Epoch> {
    train_until(model, task, plan, &|| None, on_sample, on_epoch).epochs
}

/// [`train`], asking `stop` before every sample (training and test): when it names a
/// signal ([`crate::stop::requested`]), the run stops there, after the sample under
/// way, and returns the epochs finished so far. The model keeps the state it had
/// after the last sample that ran.
pub fn train_until(
    model: &mut dyn Trainable,
    task: &Task,
    plan: &Plan,
    stop: &dyn Fn() -> Option<Signal>,
    on_sample: impl FnMut(u32, usize, &Score),
    on_epoch: impl FnMut(&Epoch),
) -> Trained {
    let per_epoch = task
        .train_size()
        .map_or(plan.train_per_epoch, |n| plan.train_per_epoch.min(n));
    let test = task
        .test_size()
        .map_or(plan.test_samples, |m| plan.test_samples.min(m));
    let p = PlanSpec {
        samples: 0,
        epochs: plan.epochs,
        train_per_epoch: count(per_epoch),
        test_samples: count(test),
        batch: count(plan.batch),
        learn: true,
        halve_every: plan.halve_every,
    };
    walk(model, task, &p, plan.start_epoch, stop, on_sample, on_epoch)
}

/// Score `model` on the test samples, learning off.
pub fn test(model: &mut dyn Trainable, task: &Task, n: usize) -> Score {
    test_classified(model, task, n).0
}

/// [`test()`], with each classification sample's (label, predicted class)
/// ([`Trained::classified`]).
pub fn test_classified(
    model: &mut dyn Trainable,
    task: &Task,
    n: usize,
) -> (Score, Vec<(usize, usize)>) {
    let n = task.test_size().map_or(n, |m| n.min(m));
    let p = PlanSpec {
        samples: 0,
        epochs: 0,
        train_per_epoch: 0,
        test_samples: count(n),
        batch: 1,
        learn: false,
        halve_every: 0,
    };
    let run = walk(model, task, &p, 0, &|| None, |_, _, _| {}, |_| {});
    let score = run.epochs.first().map(|e| e.test).unwrap_or_default();
    (score, run.classified)
}
