//! Training and testing on the chip, and the same on the float reference.
//!
//! A sample starts from the reset state; every step the input goes in, and inside the
//! target window the learning circuits get the target. Per-sample updates are applied
//! at the end of the sample. Classification predicts the class whose readout summed
//! over the window is largest; the loss is the mean cross-entropy of the softmax over
//! the window. Regression reports the normalised mean squared error,
//! `sum (y - y*)^2 / sum (y* - mean y*)^2`.

use crate::HostChip;
use bitvec::prelude::*;
use neurochip_ref::eprop::softmax;
use neurochip_ref::{FTarget, Learner, Reference};
use neurochip_tasks::runner;
use serde::Serialize;

use crate::task::{Task, Want};

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
}

impl Acc {
    fn add_step(&mut self, y: &[f64], want: Want, vals: &[f64], sums: &mut [f64]) {
        match want {
            Want::None => {}
            Want::Class(c) => {
                let pi = softmax(y);
                self.loss -= pi[c].max(1e-12).ln();
                self.loss_n += 1;
                for (s, v) in sums.iter_mut().zip(y) {
                    *s += v;
                }
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

    fn end_sample(&mut self, label: Option<usize>, sums: &[f64]) {
        self.n += 1;
        if let Some(l) = label {
            let best = sums
                .iter()
                .enumerate()
                .fold(
                    (0, f64::NEG_INFINITY),
                    |b, (k, &v)| if v > b.1 { (k, v) } else { b },
                )
                .0;
            if best == l {
                self.correct += 1;
            }
        }
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

/// A model that can run a sample: the chip or the float reference.
pub trait Model {
    /// Run sample `id` of `task`; add its score to `acc`.
    fn sample(&mut self, task: &Task, id: u64, learn: Learn, acc: &mut Scorer);
}

/// Accumulates scores over samples.
#[derive(Default)]
pub struct Scorer(Acc);

impl Scorer {
    /// The score so far.
    pub fn score(&self) -> Score {
        self.0.score()
    }
}

/// The chip as a trainable model.
pub struct ChipModel {
    /// The chip.
    pub chip: HostChip,
    x: BitVec<u32, Lsb0>,
    vals: Vec<f64>,
    vals_q: Vec<i32>,
    y: Vec<f64>,
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
            x: bitvec![u32, Lsb0; 0; n_inputs],
            vals: vec![0.0; o],
            vals_q: vec![0; o],
            y: vec![0.0; o],
            cycles: Vec::new(),
        }
    }
}

impl Model for ChipModel {
    fn sample(&mut self, task: &Task, id: u64, learn: Learn, acc: &mut Scorer) {
        let ro = self.chip.config().formats().readout;
        let lsb = ro.lsb();
        let mut sums = vec![0.0; self.y.len()];
        let (vals, y, x) = (&mut self.vals, &mut self.y, &mut self.x);
        let mut vals_q = std::mem::take(&mut self.vals_q);
        let (chip, mut mem) = self.chip.parts();
        let mut cycle_chip;
        let datapath: &mut dyn neurochip_core::Datapath = if self.cycles.is_empty() {
            chip
        } else {
            cycle_chip = crate::CycleChip {
                chip,
                models: &mut self.cycles,
            };
            &mut cycle_chip
        };
        let fvals = std::cell::RefCell::new(vals);
        runner::run_sample(
            datapath,
            &mut mem,
            task.steps(id),
            x,
            &mut vals_q,
            |t, x| task.spikes(id, t, x),
            |t, q| {
                let mut v = fvals.borrow_mut();
                let w = task.want(id, t, &mut v);
                if w == Want::Values {
                    for (q, v) in q.iter_mut().zip(v.iter()) {
                        *q = ro.saturate((v / lsb).round() as i64);
                    }
                }
                w
            },
            learn,
            |_, m, w| {
                for (y, &q) in y.iter_mut().zip(m.y.iter()) {
                    *y = f64::from(q) * lsb;
                }
                acc.0.add_step(y, w, &fvals.borrow(), &mut sums);
                acc.0.add_spikes(m.z.count_ones(), m.layout.n_rec);
            },
        )
        .unwrap_or_else(|e| unreachable!("{e}"));
        self.vals_q = vals_q;
        acc.0.end_sample(task.label(id), &sums);
    }
}

/// The float reference as a trainable model.
pub struct RefModel {
    /// The simulator.
    pub sim: Reference,
    /// Its learner.
    pub learner: Learner,
    x: Vec<bool>,
    xb: BitVec<u32, Lsb0>,
    vals: Vec<f64>,
}

impl RefModel {
    /// Wrap a reference and learner.
    pub fn new(sim: Reference, learner: Learner, n_inputs: usize) -> Self {
        let o = sim.y.len();
        Self {
            sim,
            learner,
            x: vec![false; n_inputs],
            xb: bitvec![u32, Lsb0; 0; n_inputs],
            vals: vec![0.0; o],
        }
    }
}

impl Model for RefModel {
    fn sample(&mut self, task: &Task, id: u64, learn: Learn, acc: &mut Scorer) {
        let mut sums = vec![0.0; self.vals.len()];
        self.sim.reset_state();
        self.learner.reset_state();
        for t in 0..task.steps(id) {
            task.spikes(id, t, &mut self.xb);
            for (b, v) in self.x.iter_mut().zip(self.xb.iter().by_vals()) {
                *b = v;
            }
            let spikes = self.learner.step(&mut self.sim, &self.x);
            acc.0.add_spikes(spikes, self.sim.z.len());
            let want = task.want(id, t, &mut self.vals);
            if learn != Learn::Off {
                let target = match want {
                    Want::None => FTarget::None,
                    Want::Class(c) => FTarget::Class(c),
                    Want::Values => FTarget::Values(&self.vals),
                };
                self.learner.learn(&mut self.sim, target);
            }
            acc.0.add_step(&self.sim.y, want, &self.vals, &mut sums);
        }
        if learn == Learn::Apply {
            self.learner.end_sample(&mut self.sim);
        }
        acc.0.end_sample(task.label(id), &sums);
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

/// Train `model` on `task` with `plan`; `on_sample` is called after every training
/// sample (for progress bars) and `on_epoch` after every epoch.
pub fn train(
    model: &mut dyn Model,
    task: &Task,
    plan: &Plan,
    mut on_sample: impl FnMut(u32, usize, &Score),
    mut on_epoch: impl FnMut(&Epoch),
) -> Vec<Epoch> {
    let per_epoch = task
        .train_size()
        .map_or(plan.train_per_epoch, |n| plan.train_per_epoch.min(n));
    let mut out = Vec::new();
    for e in plan.start_epoch..plan.start_epoch + plan.epochs {
        let mut tr = Scorer::default();
        for i in 0..per_epoch {
            let last = (i + 1) % plan.batch.max(1) == 0 || i + 1 == per_epoch;
            let learn = if last {
                Learn::Apply
            } else {
                Learn::Accumulate
            };
            model.sample(task, task.train_id(e, i, per_epoch), learn, &mut tr);
            on_sample(e + 1, i + 1, &tr.score());
        }
        let te = test(model, task, plan.test_samples);
        let ep = Epoch {
            epoch: e + 1,
            train: tr.score(),
            test: te,
        };
        on_epoch(&ep);
        out.push(ep);
    }
    out
}

/// Score `model` on the test samples, learning off.
pub fn test(model: &mut dyn Model, task: &Task, n: usize) -> Score {
    let n = task.test_size().map_or(n, |m| n.min(m));
    let mut sc = Scorer::default();
    for i in 0..n {
        model.sample(task, task.test_id(i), Learn::Off, &mut sc);
    }
    sc.score()
}
