//! Learning tasks as the trainer sees them: input spikes, a target-valid window with
//! its target, and how a sample is scored.

use std::sync::Arc;

use neurochip_tasks::cue::CueConfig;
use neurochip_tasks::digits::{Digits, RateEncoder};
use neurochip_tasks::pattern::Pattern;
use neurochip_tasks::poisson::PoissonInput;
use neurochip_tasks::store_recall::StoreRecallConfig;
use neurochip_tasks::Spikes;

/// Sample ids at or above this are test samples (never trained on).
pub use neurochip_tasks::runner::TEST_BASE;

/// What the readout should do at one step: the run loop's own (regression targets are
/// in the trainer's buffer, see [`Task::values`]).
pub use neurochip_tasks::runner::Want;

/// A task the chip can learn or run.
#[derive(Clone, Debug)]
pub enum Task {
    /// Plain Poisson input, no target (inference only).
    Poisson {
        /// Generator.
        gen: PoissonInput,
        /// Steps per sample.
        steps: u32,
    },
    /// Cue accumulation: two classes, target in the recall window.
    Cue(CueConfig),
    /// Store-recall: two classes, target in the recall period.
    StoreRecall(StoreRecallConfig),
    /// Pattern generation: regression on every step of one frozen sample.
    Pattern(Box<Pattern>),
    /// UCI digits, rate coded: ten classes, target over the last `window` steps.
    Digits {
        /// The data set.
        data: Arc<Digits>,
        /// Training indices.
        train: Arc<Vec<usize>>,
        /// Test indices.
        test: Arc<Vec<usize>>,
        /// Encoder.
        enc: RateEncoder,
        /// Steps at the end of a sample with a valid target.
        window: u32,
    },
}

impl Task {
    /// Input channels.
    pub fn n_inputs(&self) -> usize {
        match self {
            Task::Poisson { gen, .. } => gen.n,
            Task::Cue(c) => c.sample(0).n_inputs(),
            Task::StoreRecall(c) => c.sample(0).n_inputs(),
            Task::Pattern(p) => p.n_inputs(),
            Task::Digits { enc, .. } => enc.n_inputs(),
        }
    }

    /// Classes, for classification tasks.
    pub fn n_classes(&self) -> Option<usize> {
        match self {
            Task::Cue(_) | Task::StoreRecall(_) => Some(2),
            Task::Digits { .. } => Some(10),
            Task::Poisson { .. } | Task::Pattern(_) => None,
        }
    }

    /// Whether the task learns by regression.
    pub fn is_regression(&self) -> bool {
        matches!(self, Task::Pattern(_))
    }

    /// Training samples available per epoch (`None`: unbounded, generated).
    pub fn train_size(&self) -> Option<usize> {
        match self {
            Task::Digits { train, .. } => Some(train.len()),
            Task::Pattern(_) => Some(1),
            _ => None,
        }
    }

    /// Test samples available (`None`: unbounded).
    pub fn test_size(&self) -> Option<usize> {
        match self {
            Task::Digits { test, .. } => Some(test.len()),
            Task::Pattern(_) => Some(1),
            _ => None,
        }
    }

    /// Id of training sample `i` of epoch `epoch` (`per_epoch` samples an epoch).
    pub fn train_id(&self, epoch: u32, i: usize, per_epoch: usize) -> u64 {
        match self {
            Task::Digits { train, .. } => {
                // A fixed permutation per epoch: stride through the training set.
                let n = train.len().max(1);
                let stride = [7919usize, 104_729, 1_299_709][epoch as usize % 3] % n;
                let stride = if stride == 0 || gcd(stride, n) != 1 {
                    1
                } else {
                    stride
                };
                ((i * stride + epoch as usize * 31) % n) as u64
            }
            Task::Pattern(_) => 0,
            _ => u64::from(epoch) * per_epoch as u64 + i as u64,
        }
    }

    /// Id of test sample `i`.
    pub fn test_id(&self, i: usize) -> u64 {
        match self {
            Task::Pattern(_) => 0,
            _ => TEST_BASE + i as u64,
        }
    }

    /// Steps of sample `id`.
    pub fn steps(&self, id: u64) -> u32 {
        match self {
            Task::Poisson { steps, .. } => *steps,
            Task::Cue(c) => c.sample(id).steps(),
            Task::StoreRecall(c) => c.sample(id).steps(),
            Task::Pattern(p) => p.steps(),
            Task::Digits { enc, .. } => enc.steps,
        }
    }

    fn image(&self, id: u64) -> Option<(&[u8; 64], u8)> {
        match self {
            Task::Digits {
                data, train, test, ..
            } => {
                let idx = if id >= TEST_BASE {
                    test.get((id - TEST_BASE) as usize)
                } else {
                    train.get(id as usize)
                };
                idx.and_then(|&k| data.get(k))
            }
            _ => None,
        }
    }

    /// Input spikes of step `t` of sample `id`.
    pub fn spikes(&self, id: u64, t: u32, out: &mut Spikes) {
        match self {
            Task::Poisson { gen, .. } => gen.spikes(id, t, out),
            Task::Cue(c) => c.sample(id).spikes(t, out),
            Task::StoreRecall(c) => c.sample(id).spikes(t, out),
            Task::Pattern(p) => p.spikes(t, out),
            Task::Digits { enc, .. } => match self.image(id) {
                Some((img, _)) => enc.spikes(img, id, t, out),
                None => out.fill(false),
            },
        }
    }

    /// Label of a classification sample.
    pub fn label(&self, id: u64) -> Option<usize> {
        match self {
            Task::Cue(c) => Some(c.sample(id).label() as usize),
            Task::StoreRecall(c) => Some(c.sample(id).label() as usize),
            Task::Digits { .. } => self.image(id).map(|(_, l)| l as usize),
            _ => None,
        }
    }

    /// Target at step `t`; regression targets are written into `values`.
    pub fn want(&self, id: u64, t: u32, values: &mut [f64]) -> Want {
        match self {
            Task::Poisson { .. } => Want::None,
            Task::Cue(c) => {
                let s = c.sample(id);
                class_in_recall(s.in_recall(t), s.label() as usize)
            }
            Task::StoreRecall(c) => {
                let s = c.sample(id);
                class_in_recall(s.in_recall(t), s.label() as usize)
            }
            Task::Pattern(p) => {
                for (k, v) in values.iter_mut().enumerate() {
                    *v = f64::from(p.target(t, k));
                }
                Want::Values
            }
            Task::Digits { enc, window, .. } => {
                if t + window >= enc.steps {
                    self.label(id).map_or(Want::None, Want::Class)
                } else {
                    Want::None
                }
            }
        }
    }
}

/// The target of a sample with a recall window: its class inside the window, nothing
/// elsewhere.
fn class_in_recall(in_recall: bool, label: usize) -> Want {
    if in_recall {
        Want::Class(label)
    } else {
        Want::None
    }
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}
