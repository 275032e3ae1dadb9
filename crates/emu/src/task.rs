//! Learning tasks as the trainer sees them: input spikes, a target-valid window with
//! its target, and how a sample is scored.

use std::sync::Arc;

use neurochip_tasks::audio::AudioSample;
use neurochip_tasks::cue::CueConfig;
use neurochip_tasks::digits::{Digits, RateEncoder};
use neurochip_tasks::navigation::NavConfig;
use neurochip_tasks::pattern::Pattern;
use neurochip_tasks::poisson::PoissonInput;
use neurochip_tasks::sample::{DigitSample, PoissonSample};
use neurochip_tasks::store_recall::StoreRecallConfig;
use neurochip_tasks::user::{EventSample, FeatureEncoder, FeatureSample};

use crate::dataset::{EventData, FeatureData};

/// What the readout should do at one step: the run loop's own.
pub use neurochip_tasks::runner::Want;
/// Which sample a plan runs, and the run loop's view of a sample.
pub use neurochip_tasks::sample::{AnySample, Pick, Sample, Source};

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
    /// Reward-based navigation: its input follows the agent's moves, so it runs only
    /// as episodes of the actor–critic (`crate::reward`); outside one it is silent.
    Navigation(NavConfig),
    /// Keyword spotting: spoken-word clips through the front end, the class over the
    /// last `window` steps ([`crate::kws`]).
    Audio {
        /// The encoded splits.
        corpus: Arc<crate::kws::Corpus>,
        /// Steps at the end of a clip with a valid target.
        window: u32,
    },
    /// A user's spike events: its classes, target over the last `window` steps.
    Events {
        /// The data set (with its split).
        data: Arc<EventData>,
        /// Input channels.
        n_inputs: usize,
        /// Steps per sample.
        steps: u32,
        /// Steps at the end of a sample with a valid target.
        window: u32,
    },
    /// A user's features, rate or latency coded: its classes, target over the last
    /// `window` steps.
    Features {
        /// The data set (scaled, with its split).
        data: Arc<FeatureData>,
        /// The encoder.
        enc: FeatureEncoder,
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
            Task::Navigation(n) => n.n_inputs(),
            Task::Audio { corpus, .. } => corpus.channels(),
            Task::Events { n_inputs, .. } => *n_inputs,
            Task::Features { enc, .. } => enc.n,
        }
    }

    /// Classes, for classification tasks.
    pub fn n_classes(&self) -> Option<usize> {
        match self {
            Task::Cue(_) | Task::StoreRecall(_) => Some(2),
            Task::Digits { .. } => Some(10),
            Task::Audio { corpus, .. } => Some(corpus.classes.len()),
            Task::Events { data, .. } => Some(data.classes),
            Task::Features { data, .. } => Some(data.classes),
            Task::Poisson { .. } | Task::Pattern(_) | Task::Navigation(_) => None,
        }
    }

    /// The names of a classification task's classes, in label order: the spoken
    /// words of a keyword spotter, `left`/`right` for cue accumulation, the label
    /// numbers otherwise (the digits, the stored bit, a user's labels); `None` for a
    /// task without classes.
    pub fn class_names(&self) -> Option<Vec<String>> {
        match self {
            Task::Audio { corpus, .. } => Some(corpus.classes.clone()),
            Task::Cue(_) => Some(vec!["left".into(), "right".into()]),
            _ => Some((0..self.n_classes()?).map(|c| c.to_string()).collect()),
        }
    }

    /// Whether the task learns by regression.
    pub fn is_regression(&self) -> bool {
        matches!(self, Task::Pattern(_))
    }

    /// Training samples available per epoch (`None`: unbounded, generated).
    pub fn train_size(&self) -> Option<usize> {
        self.split_sizes().map(|(train, _)| train)
    }

    /// Test samples available (`None`: unbounded).
    pub fn test_size(&self) -> Option<usize> {
        self.split_sizes().map(|(_, test)| test)
    }

    /// Training and test samples of a task with a fixed set (`None`: generated).
    fn split_sizes(&self) -> Option<(usize, usize)> {
        match self {
            Task::Digits { train, test, .. } => Some((train.len(), test.len())),
            Task::Audio { corpus, .. } => Some((corpus.train.len(), corpus.test.len())),
            Task::Events { data, .. } => Some((data.split.train.len(), data.split.test.len())),
            Task::Features { data, .. } => Some((data.split.train.len(), data.split.test.len())),
            Task::Pattern(_) => Some((1, 1)),
            _ => None,
        }
    }

    /// The sample `pick` selects. Generated tasks draw it from its seed index
    /// ([`Pick::seed_index`]); pattern generation has one frozen sample; a digit
    /// training sample strides through the training set in a fixed permutation per
    /// epoch (its presentation seed is its position in the set), a test sample is test
    /// digit `i`, an inference sample training digit `i`; a digit index past the data
    /// runs as silence. A spoken-word training sample strides through the training
    /// clips the same way; test and inference sample `i` are test clip `i`.
    pub fn sample(&self, pick: Pick) -> AnySample<'_> {
        match self {
            Task::Poisson { gen, steps } => AnySample::Poisson(PoissonSample {
                gen,
                index: pick.seed_index(),
                steps: *steps,
            }),
            Task::Cue(c) => AnySample::Cue(c.sample(pick.seed_index())),
            Task::StoreRecall(c) => AnySample::StoreRecall(c.sample(pick.seed_index())),
            Task::Pattern(p) => AnySample::Pattern(p),
            Task::Navigation(n) => AnySample::Silent {
                steps: n.action_steps.saturating_mul(n.max_moves),
                n_inputs: n.n_inputs(),
            },
            Task::Digits {
                data,
                train,
                test,
                enc,
                window,
            } => {
                let (index, k) = match pick {
                    Pick::Run(i) => (u64::from(i), train.get(i as usize)),
                    Pick::Train {
                        epoch,
                        index,
                        per_epoch: _,
                    } => {
                        let i = permuted(epoch, index as usize, train.len());
                        (i as u64, train.get(i))
                    }
                    Pick::Test(i) => (pick.seed_index(), test.get(i as usize)),
                };
                match k.and_then(|&k| data.get(k)) {
                    Some((image, label)) => AnySample::Digit(DigitSample {
                        enc,
                        image: *image,
                        label,
                        index,
                        window: *window,
                    }),
                    None => AnySample::Silent {
                        steps: enc.steps,
                        n_inputs: enc.n_inputs(),
                    },
                }
            }
            Task::Audio { corpus, window } => {
                let clip = match pick {
                    Pick::Run(i) | Pick::Test(i) => corpus.test.get(i as usize),
                    Pick::Train { epoch, index, .. } => {
                        let n = corpus.train.len();
                        corpus.train.get(permuted(epoch, index as usize, n))
                    }
                };
                match clip {
                    Some(c) => AnySample::Audio(AudioSample {
                        raster: c.spikes.raster(),
                        label: c.label,
                        window: *window,
                    }),
                    None => AnySample::Silent {
                        steps: corpus.steps,
                        n_inputs: corpus.channels(),
                    },
                }
            }
            Task::Events {
                data,
                n_inputs,
                steps,
                window,
            } => match user_pick(pick, &data.split.train, &data.split.test) {
                Some((_, k)) => {
                    let (steps_of, units) = data.events(k);
                    AnySample::Events(EventSample {
                        steps_of,
                        units,
                        n_inputs: *n_inputs,
                        steps: *steps,
                        label: data.labels[k],
                        window: *window,
                    })
                }
                None => AnySample::Silent {
                    steps: *steps,
                    n_inputs: *n_inputs,
                },
            },
            Task::Features { data, enc, window } => {
                match user_pick(pick, &data.split.train, &data.split.test) {
                    Some((index, k)) => AnySample::Features(FeatureSample {
                        enc,
                        values: data.values(k),
                        index,
                        label: data.labels[k],
                        window: *window,
                    }),
                    None => AnySample::Silent {
                        steps: enc.steps,
                        n_inputs: enc.n,
                    },
                }
            }
        }
    }
}

impl Task {
    /// The steps of the sample `pick` (without drawing its input).
    pub fn steps(&self, pick: Pick) -> u32 {
        use neurochip_tasks::SpikeSource;
        self.sample(pick).steps()
    }

    /// The input spikes of the sample `pick`, step by step: `steps` rows of
    /// [`Task::n_inputs`] values, row-major, with `steps`. What the chip receives when
    /// a run loop runs that sample (the Python package's `Chip.task_input`).
    pub fn input(&self, pick: Pick) -> (usize, Vec<bool>) {
        use neurochip_tasks::SpikeSource;
        let sample = self.sample(pick);
        let n = self.n_inputs();
        let steps = sample.steps() as usize;
        let mut x = bitvec::bitvec![u32, bitvec::order::Lsb0; 0; n];
        let mut out = Vec::with_capacity(steps * n);
        for t in 0..sample.steps() {
            sample.spikes(t, &mut x);
            out.extend(x.iter().by_vals());
        }
        (steps, out)
    }
}

impl Source for Task {
    /// [`Task::sample`]; the host has every sample.
    fn sample(&self, pick: Pick) -> Option<AnySample<'_>> {
        Some(Task::sample(self, pick))
    }
}

/// The sample of a user's data set that `pick` selects, as digits pick theirs: an
/// inference sample `i` is training sample `i`, a training sample strides through
/// the training set in a fixed permutation per epoch, a test sample `i` is test
/// sample `i`; with its presentation index (the seed index of a rate code's draws).
/// `None` past the set.
fn user_pick(pick: Pick, train: &[usize], test: &[usize]) -> Option<(u64, usize)> {
    match pick {
        Pick::Run(i) => train.get(i as usize).map(|&k| (u64::from(i), k)),
        Pick::Train { epoch, index, .. } => {
            let i = permuted(epoch, index as usize, train.len());
            train.get(i).map(|&k| (i as u64, k))
        }
        Pick::Test(i) => test.get(i as usize).map(|&k| (pick.seed_index(), k)),
    }
}

/// Position of training sample `i` of epoch `epoch` in a set of `n`: a fixed stride
/// through the set per epoch.
pub(crate) fn permuted(epoch: u32, i: usize, n: usize) -> usize {
    let n = n.max(1);
    let stride = [7919usize, 104_729, 1_299_709][epoch as usize % 3] % n;
    let stride = if stride == 0 || gcd(stride, n) != 1 {
        1
    } else {
        stride
    };
    (i * stride + epoch as usize * 31) % n
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::HostChip;

    /// Stepping a chip through a sample's input, from the reset state, is what the
    /// run loop does with that sample (learning off): the same digest.
    #[test]
    fn a_samples_input_steps_the_chip_as_the_run_loop_does() {
        let cfg = crate::config::parse(
            "[network]\ninputs = 40\nneurons = 20\noutputs = 2\n[task]\nkind = \"cue\"\n\
             n_cues = 3\ndelay_ms = 100\nsamples = 2\n",
            "in.toml",
        )
        .unwrap();
        let task = crate::build::task(&cfg).unwrap();
        let (_, mut a) = crate::build::chip(&cfg).unwrap();
        let mut b: HostChip = a.clone();
        crate::sim::run_chip(&cfg, &mut a, &task, None, &|| None);
        let mut spikes = 0;
        for s in 0..2 {
            let (steps, x) = task.input(Pick::Run(s));
            assert_eq!(x.len(), steps * 40);
            b.reset_state();
            for row in x.chunks(40) {
                spikes += b.step(&crate::host::to_bits(row)).unwrap().spikes;
            }
        }
        assert!(spikes > 0);
        assert_eq!(a.digest(), b.digest());
    }
}
