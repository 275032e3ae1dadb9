//! The workload side of the run loop: a sample is input spikes per step, a target per
//! step and a label; a source hands out the samples a plan picks.
//!
//! Every generator's sample implements [`Sample`]; [`AnySample`] holds any of them, so
//! the host's tasks and the firmware's image tasks give the run loop one type. Which
//! sample a plan runs is a [`Pick`]: an inference sample, training sample `index` of an
//! epoch, or test sample `index`. Generated tasks draw test samples from a seed range
//! of their own ([`TEST_SEED_BASE`]), so a test sample is never one trained on.

#[cfg(feature = "audio")]
use crate::audio::{AudioSample, PcmSample, PcmStream};
use crate::cue::CueSample;
use crate::digits::{Image, RateEncoder};
use crate::pattern::Pattern;
use crate::poisson::PoissonInput;
use crate::runner::Want;
use crate::store_recall::StoreRecallSample;
#[cfg(feature = "user")]
use crate::user::{EventSample, FeatureSample};
use crate::{SpikeSource, Spikes};

/// Generated tasks draw test sample `i` with seed index `TEST_SEED_BASE + i`; training
/// and inference samples use indices below it.
pub const TEST_SEED_BASE: u64 = 1 << 40;

/// Which sample of a task a plan runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pick {
    /// Inference sample `i` (learning off, no epochs).
    Run(u32),
    /// Training sample `index` of epoch `epoch` (from 0), of `per_epoch` an epoch.
    Train {
        /// Epoch, from 0.
        epoch: u32,
        /// Sample within the epoch.
        index: u32,
        /// Training samples per epoch.
        per_epoch: u32,
    },
    /// Test sample `i`.
    Test(u32),
}

impl Pick {
    /// The seed index of a generated task's sample: inference sample `i` is `i`,
    /// training sample `i` of epoch `e` is `e * per_epoch + i`, test sample `i` is
    /// `TEST_SEED_BASE + i`.
    pub fn seed_index(self) -> u64 {
        match self {
            Pick::Run(i) => u64::from(i),
            Pick::Train {
                epoch,
                index,
                per_epoch,
            } => u64::from(epoch)
                .wrapping_mul(u64::from(per_epoch))
                .wrapping_add(u64::from(index)),
            Pick::Test(i) => TEST_SEED_BASE.wrapping_add(u64::from(i)),
        }
    }
}

/// One sample: input spikes per step ([`SpikeSource`]), a target per step, a label.
pub trait Sample: SpikeSource {
    /// The target at step `t`. A regression target writes its values (real units,
    /// one per readout) into `values` and returns [`Want::Values`].
    fn want(&self, t: u32, values: &mut [f64]) -> Want;
    /// The class of a classification sample.
    fn label(&self) -> Option<usize>;
    /// The first step with a target, `steps()` when there is none: the run loop
    /// starts the eligibility's horizon before it ([`crate::runner::run_sample`]). The
    /// default asks [`Sample::want`] step by step.
    fn first_target(&self) -> u32 {
        first_by_want(self)
    }
}

/// The first step of the last `window` of `steps` steps (0 when the window holds them
/// all): where the target of a sample with a final window starts.
pub fn window_start(steps: u32, window: u32) -> u32 {
    steps.saturating_sub(window)
}

/// The first step at which `s` wants a target (`steps()` if none), asked step by step.
fn first_by_want<S: Sample + ?Sized>(s: &S) -> u32 {
    let steps = s.steps();
    (0..steps)
        .find(|&t| s.want(t, &mut []) != Want::None)
        .unwrap_or(steps)
}

/// Something that hands out the samples a plan picks: a host task or an image's task.
pub trait Source {
    /// The sample `pick` selects; `None` when the task has no such sample (a digit
    /// index past the data).
    fn sample(&self, pick: Pick) -> Option<AnySample<'_>>;
}

/// A Poisson sample: independent channels, no target.
#[derive(Clone, Copy, Debug)]
pub struct PoissonSample<'a> {
    /// The generator.
    pub gen: &'a PoissonInput,
    /// Seed index of the sample.
    pub index: u64,
    /// Steps.
    pub steps: u32,
}

/// A rate-coded digit: its class over the last `window` steps.
#[derive(Clone, Copy, Debug)]
pub struct DigitSample<'a> {
    /// The encoder.
    pub enc: &'a RateEncoder,
    /// Pixels.
    pub image: Image,
    /// Class.
    pub label: u8,
    /// Seed index of the presentation.
    pub index: u64,
    /// Steps at the end with a valid target.
    pub window: u32,
}

/// Any generator's sample.
#[derive(Clone, Copy, Debug)]
pub enum AnySample<'a> {
    /// Poisson input, no target.
    Poisson(PoissonSample<'a>),
    /// A cue-accumulation trial.
    Cue(CueSample),
    /// A store-recall trial.
    StoreRecall(StoreRecallSample),
    /// The frozen pattern-generation sample.
    Pattern(&'a Pattern),
    /// A digit.
    Digit(DigitSample<'a>),
    /// A spoken word as spikes (feature `audio`).
    #[cfg(feature = "audio")]
    Audio(AudioSample<'a>),
    /// A spoken word as sound, through the front end (feature `audio`). The run loop
    /// streams it ([`PcmStream`]).
    #[cfg(feature = "audio")]
    Pcm(PcmSample<'a>),
    /// A user's spike events (`[task] kind = "events"`).
    #[cfg(feature = "user")]
    Events(EventSample<'a>),
    /// A user's feature vector, rate or latency coded (`[task] kind = "features"`).
    #[cfg(feature = "user")]
    Features(FeatureSample<'a>),
    /// `steps` steps of silence with no target (a host digit index past its data).
    Silent {
        /// Steps.
        steps: u32,
        /// Input channels.
        n_inputs: usize,
    },
}

/// The class inside a window, nothing elsewhere.
fn class_if(inside: bool, label: u8) -> Want {
    if inside {
        Want::Class(usize::from(label))
    } else {
        Want::None
    }
}

impl SpikeSource for AnySample<'_> {
    fn n_inputs(&self) -> usize {
        match self {
            AnySample::Poisson(p) => p.gen.n_inputs(),
            AnySample::Cue(s) => s.n_inputs(),
            AnySample::StoreRecall(s) => s.n_inputs(),
            AnySample::Pattern(p) => p.n_inputs(),
            AnySample::Digit(d) => d.enc.n_inputs(),
            #[cfg(feature = "audio")]
            AnySample::Audio(a) => a.raster.n_inputs(),
            #[cfg(feature = "audio")]
            AnySample::Pcm(p) => p.n_inputs(),
            AnySample::Silent { n_inputs, .. } => *n_inputs,
            #[cfg(feature = "user")]
            AnySample::Events(s) => s.n_inputs(),
            #[cfg(feature = "user")]
            AnySample::Features(s) => s.n_inputs(),
        }
    }

    fn steps(&self) -> u32 {
        match self {
            AnySample::Poisson(p) => p.steps,
            AnySample::Cue(s) => s.steps(),
            AnySample::StoreRecall(s) => s.steps(),
            AnySample::Pattern(p) => p.steps(),
            AnySample::Digit(d) => d.enc.steps,
            #[cfg(feature = "audio")]
            AnySample::Audio(a) => a.raster.steps(),
            #[cfg(feature = "audio")]
            AnySample::Pcm(p) => p.steps(),
            AnySample::Silent { steps, .. } => *steps,
            #[cfg(feature = "user")]
            AnySample::Events(s) => s.steps(),
            #[cfg(feature = "user")]
            AnySample::Features(s) => s.steps(),
        }
    }

    fn spikes(&self, t: u32, out: &mut Spikes) {
        match self {
            AnySample::Poisson(p) => p.gen.spikes(p.index, t, out),
            AnySample::Cue(s) => s.spikes(t, out),
            AnySample::StoreRecall(s) => s.spikes(t, out),
            AnySample::Pattern(p) => p.spikes(t, out),
            AnySample::Digit(d) => d.enc.spikes(&d.image, d.index, t, out),
            #[cfg(feature = "audio")]
            AnySample::Audio(a) => a.raster.spikes(t, out),
            #[cfg(feature = "audio")]
            AnySample::Pcm(p) => p.spikes(t, out),
            AnySample::Silent { .. } => out.fill(false),
            #[cfg(feature = "user")]
            AnySample::Events(s) => s.spikes(t, out),
            #[cfg(feature = "user")]
            AnySample::Features(s) => s.spikes(t, out),
        }
    }
}

impl Sample for AnySample<'_> {
    fn want(&self, t: u32, values: &mut [f64]) -> Want {
        match self {
            AnySample::Poisson(_) | AnySample::Silent { .. } => Want::None,
            AnySample::Cue(s) => class_if(s.in_recall(t), s.label()),
            AnySample::StoreRecall(s) => class_if(s.in_recall(t), s.label()),
            AnySample::Pattern(p) => {
                for (k, v) in values.iter_mut().enumerate() {
                    *v = f64::from(p.target(t, k));
                }
                Want::Values
            }
            AnySample::Digit(d) => class_if(t >= window_start(d.enc.steps, d.window), d.label),
            #[cfg(feature = "audio")]
            AnySample::Audio(a) => class_if(a.in_window(t), a.label),
            #[cfg(feature = "audio")]
            AnySample::Pcm(p) => class_if(p.in_window(t), p.label),
            #[cfg(feature = "user")]
            AnySample::Events(s) => user_class(t, s.window, s.steps, s.label),
            #[cfg(feature = "user")]
            AnySample::Features(s) => user_class(t, s.window, s.enc.steps, s.label),
        }
    }

    fn label(&self) -> Option<usize> {
        match self {
            AnySample::Cue(s) => Some(usize::from(s.label())),
            AnySample::StoreRecall(s) => Some(usize::from(s.label())),
            AnySample::Digit(d) => Some(usize::from(d.label)),
            #[cfg(feature = "audio")]
            AnySample::Audio(a) => Some(usize::from(a.label)),
            #[cfg(feature = "audio")]
            AnySample::Pcm(p) => Some(usize::from(p.label)),
            AnySample::Poisson(_) | AnySample::Pattern(_) | AnySample::Silent { .. } => None,
            #[cfg(feature = "user")]
            AnySample::Events(s) => Some(usize::from(s.label)),
            #[cfg(feature = "user")]
            AnySample::Features(s) => Some(usize::from(s.label)),
        }
    }

    fn first_target(&self) -> u32 {
        match self {
            AnySample::Cue(s) => s.recall_start().min(s.steps()),
            AnySample::Digit(d) => window_start(d.enc.steps, d.window),
            #[cfg(feature = "user")]
            AnySample::Events(s) => window_start(s.steps, s.window),
            #[cfg(feature = "user")]
            AnySample::Features(s) => window_start(s.enc.steps, s.window),
            #[cfg(feature = "audio")]
            AnySample::Audio(a) => window_start(a.raster.steps(), a.window),
            #[cfg(feature = "audio")]
            AnySample::Pcm(p) => window_start(p.steps, p.window),
            AnySample::Pattern(_) => 0,
            AnySample::Poisson(p) => p.steps,
            AnySample::Silent { steps, .. } => *steps,
            AnySample::StoreRecall(_) => first_by_want(self),
        }
    }
}

#[cfg(feature = "audio")]
impl Sample for PcmStream<'_> {
    fn want(&self, t: u32, _values: &mut [f64]) -> Want {
        class_if(self.sample().in_window(t), self.sample().label)
    }

    fn label(&self) -> Option<usize> {
        Some(usize::from(self.sample().label))
    }

    fn first_target(&self) -> u32 {
        window_start(self.sample().steps, self.sample().window)
    }
}

/// A user sample's class over its last `window` of `steps` steps.
#[cfg(feature = "user")]
fn user_class(t: u32, window: u32, steps: u32, label: u16) -> Want {
    if t >= window_start(steps, window) {
        Want::Class(usize::from(label))
    } else {
        Want::None
    }
}

/// The first `steps` steps of a sample (a run stopped after a step budget).
#[derive(Clone, Copy, Debug)]
pub struct First<'s, S: ?Sized> {
    /// The sample.
    pub sample: &'s S,
    /// Steps to run at most.
    pub steps: u32,
}

impl<S: Sample + ?Sized> SpikeSource for First<'_, S> {
    fn n_inputs(&self) -> usize {
        self.sample.n_inputs()
    }

    fn steps(&self) -> u32 {
        self.sample.steps().min(self.steps)
    }

    fn spikes(&self, t: u32, out: &mut Spikes) {
        self.sample.spikes(t, out);
    }
}

impl<S: Sample + ?Sized> Sample for First<'_, S> {
    fn want(&self, t: u32, values: &mut [f64]) -> Want {
        self.sample.want(t, values)
    }

    fn first_target(&self) -> u32 {
        self.sample.first_target().min(self.steps())
    }

    fn label(&self) -> Option<usize> {
        self.sample.label()
    }
}
