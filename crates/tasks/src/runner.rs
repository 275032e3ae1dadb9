//! The one run loop: every model of the chip (the chip, the chip in the cycle model,
//! the float twin; [`crate::model`]) runs every workload ([`crate::sample`]) through
//! it, on the host and on the firmware, so all make the same calls in the same order.
//!
//! - [`run_sample`]: per sample, reset the dynamic state; per step, write the input,
//!   step, ask for the target, learn when learning; at the end of a batch, apply. The
//!   eligibility update is gated off where nothing will read it: for the whole of an
//!   inference sample, and in a training sample until the model's eligibility horizon
//!   (a LIF chip, [`neurochip_core::ChipConfig::eligibility_horizon`]) before its first
//!   target.
//! - [`walk`]: a plan's order. Inference samples `Run(i)`; or, for each epoch, the
//!   chip's learning-rate step for the epoch ([`PlanSpec::rate_step`]), the training
//!   samples `Train { epoch, index }` (the last of each batch applies the updates),
//!   then the test samples `Test(i)` with learning off.
//! - [`run_app`]: an image's plan on a chip, as the firmware runs it.
//!
//! A classification sample is predicted as the readout with the largest sum over the
//! target window (the first one on ties). A reward plan (feature `reward`) walks the
//! same order with one episode per sample: learning episodes act from the sampled
//! policy, test ones greedily, and a rewarded episode counts as correct.

#[cfg(feature = "reward")]
use neurochip_core::reward;
use neurochip_core::{Datapath, Memory, StepError};

use crate::app::{AppSpec, PlanSpec, TaskSpec};
use crate::model::{Goal, Model, OnChip, Readout};
#[cfg(feature = "reward")]
use crate::reward_cue;
use crate::sample::{Pick, Sample, Source};
use crate::Spikes;

/// Whether and how a sample learns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Learn {
    /// Inference only.
    Off,
    /// Learn; keep per-sample updates accumulated (mid-batch).
    Accumulate,
    /// Learn, then apply the accumulated updates (end of a batch).
    Apply,
}

/// The target at one step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Want {
    /// Outside the window.
    None,
    /// A class.
    Class(usize),
    /// Regression values, in the buffer passed to [`run_sample`] (real units).
    Values,
}

/// Run one sample on `model`. `x` takes the input of a step and `values` a regression
/// target (one entry per readout; may be empty for tasks without one). `on_step(t,
/// model, want, values)` sees the model after each step. Whatever happens, the sample
/// is ended (and applies its updates only if it completed with `learn` =
/// [`Learn::Apply`]).
pub fn run_sample<M: Model + ?Sized>(
    model: &mut M,
    sample: &(impl Sample + ?Sized),
    learn: Learn,
    x: &mut Spikes,
    values: &mut [f64],
    mut on_step: impl FnMut(u32, &M, Want, &[f64]),
) -> Result<(), M::Error> {
    model.begin_sample();
    // The eligibility update runs only where a learning step will read it: never in
    // an inference sample; in a training sample from the model's horizon before the
    // first target (the eligibility forgets what is older), or from the start without
    // one. `end_sample` sets it again.
    let open = match (learn, model.eligibility_horizon()) {
        (Learn::Off, _) => sample.steps(),
        (_, None) => 0,
        (_, Some(h)) => sample.first_target().saturating_sub(h),
    };
    if open > 0 {
        model.gate_eligibility(false);
    }
    let mut steps = || -> Result<(), M::Error> {
        for t in 0..sample.steps() {
            if t == open && open > 0 {
                model.gate_eligibility(true);
            }
            sample.spikes(t, x);
            model.step(x)?;
            let w = sample.want(t, values);
            if learn != Learn::Off {
                model.learn(match w {
                    Want::None => Goal::None,
                    Want::Class(c) => Goal::Class(c),
                    Want::Values => Goal::Values(values),
                })?;
            }
            on_step(t, model, w, values);
        }
        Ok(())
    };
    match steps() {
        Ok(()) => model.end_sample(learn == Learn::Apply),
        Err(e) => {
            // The error is the news; ending the sample only restores the enables.
            let _ = model.end_sample(false);
            Err(e)
        }
    }
}

/// What one sample of a plan came to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    /// A classification sample predicted its label (a reward episode was rewarded).
    pub correct: bool,
    /// Recurrent spikes in the sample.
    pub spikes: u64,
    /// The class a classification sample predicted (the readout with the largest
    /// sum over its target window); `None` for other samples.
    pub predicted: Option<usize>,
}

/// [`run_sample`], predicting a classification sample's class: `sums` (one per
/// readout) collects the readout over the target window.
pub fn run_scored<M: Model + ?Sized>(
    model: &mut M,
    sample: &(impl Sample + ?Sized),
    learn: Learn,
    x: &mut Spikes,
    values: &mut [f64],
    sums: &mut [<M::Value as Readout>::Sum],
    mut on_step: impl FnMut(u32, &M, Want, &[f64]),
) -> Result<Outcome, M::Error> {
    sums.fill(Default::default());
    let mut spikes = 0u64;
    run_sample(model, sample, learn, x, values, |t, m, w, v| {
        spikes = spikes.wrapping_add(u64::from(m.spikes()));
        if w != Want::None {
            for (acc, &y) in sums.iter_mut().zip(m.readout()) {
                *acc = Readout::accumulate(*acc, y);
            }
        }
        on_step(t, m, w, v);
    })?;
    let predicted = sample.label().and(argmax(sums));
    let correct = sample.label().is_some_and(|l| predicted == Some(l));
    Ok(Outcome {
        correct,
        spikes,
        predicted,
    })
}

/// Index of the largest value (the first on ties); `None` when empty.
pub fn argmax<T: PartialOrd + Copy>(v: &[T]) -> Option<usize> {
    let mut best: Option<(usize, T)> = None;
    for (k, &x) in v.iter().enumerate() {
        if best.is_none_or(|(_, b)| x > b) {
            best = Some((k, x));
        }
    }
    best.map(|(k, _)| k)
}

/// What [`run_app`] reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// An inference sample finished.
    Sample {
        /// Sample index.
        index: u32,
        /// Spikes in the sample.
        spikes: u64,
    },
    /// An epoch finished: training and test counts.
    Epoch {
        /// Epoch, from 1.
        epoch: u32,
        /// Correct training samples (while learning).
        train_correct: u32,
        /// Training samples.
        train_samples: u32,
        /// Correct test samples.
        test_correct: u32,
        /// Test samples.
        test_samples: u32,
    },
    /// A reward episode finished (reward learning; not one of the printed lines).
    Episode {
        /// Seed index of the episode ([`Pick::seed_index`]).
        id: u64,
        /// Whether the choice was rewarded.
        success: bool,
        /// Whether the episode learned (sampled actions) or was greedy.
        learn: bool,
    },
}

impl Event {
    /// Whether the firmware prints this event as a line (per-episode events are for
    /// the host's learning curves only).
    pub fn printed(&self) -> bool {
        !matches!(self, Event::Episode { .. })
    }
}

impl core::fmt::Display for Event {
    /// The line the firmware prints (and `neurochip run-image` on the host).
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match *self {
            Event::Sample { index, spikes } => write!(f, "sample {index} spikes {spikes}"),
            Event::Epoch {
                epoch,
                train_correct,
                train_samples,
                test_correct,
                test_samples,
            } => write!(
                f,
                "epoch {epoch} train {train_correct}/{train_samples} test {test_correct}/{test_samples}"
            ),
            Event::Episode { id, success, learn } => write!(
                f,
                "episode {id} {} reward {}",
                if learn { "learn" } else { "greedy" },
                u8::from(success)
            ),
        }
    }
}

/// What a plan runs its samples on: [`walk`] picks the samples, a walker runs them.
pub trait Walker {
    /// What a sample can fail with.
    type Error;
    /// Run the sample `pick`, learning as `learn` says.
    fn sample(&mut self, pick: Pick, learn: Learn) -> Result<Outcome, Self::Error>;
    /// A sample or an epoch finished ([`Event::Sample`], [`Event::Epoch`]).
    fn report(&mut self, event: Event);
    /// A training epoch starts: learn with rate step `k` ([`PlanSpec::rate_step`],
    /// [`neurochip_core::Chip::set_rate_step`]).
    fn set_rate_step(&mut self, k: u8);
}

/// Walk a plan: inference samples, or epochs `start_epoch..start_epoch + epochs` of
/// training and testing (a resumed run continues the order). With test samples and
/// either no learning or no epochs to train, the test samples run once, learning off,
/// and report epoch `start_epoch` (0 for a fresh chip): a plan of zero epochs tests the
/// chip as it is, on the host and on the firmware alike.
pub fn walk<W: Walker + ?Sized>(
    plan: &PlanSpec,
    start_epoch: u32,
    w: &mut W,
) -> Result<(), W::Error> {
    let p = plan;
    if (!p.learn || p.epochs == 0) && p.test_samples > 0 {
        let test_correct = test(w, p.test_samples)?;
        w.report(Event::Epoch {
            epoch: start_epoch,
            train_correct: 0,
            train_samples: 0,
            test_correct,
            test_samples: p.test_samples,
        });
        return Ok(());
    }
    if !p.learn {
        for s in 0..p.samples {
            let o = w.sample(Pick::Run(s), Learn::Off)?;
            w.report(Event::Sample {
                index: s,
                spikes: o.spikes,
            });
        }
        return Ok(());
    }
    let per = p.train_per_epoch;
    for e in start_epoch..start_epoch.saturating_add(p.epochs) {
        w.set_rate_step(p.rate_step(e));
        let mut train_correct = 0u32;
        for i in 0..per {
            let last = (i.wrapping_add(1)) % p.batch.max(1) == 0 || i.wrapping_add(1) == per;
            let learn = if last {
                Learn::Apply
            } else {
                Learn::Accumulate
            };
            let pick = Pick::Train {
                epoch: e,
                index: i,
                per_epoch: per,
            };
            train_correct = train_correct.wrapping_add(u32::from(w.sample(pick, learn)?.correct));
        }
        let test_correct = test(w, p.test_samples)?;
        w.report(Event::Epoch {
            epoch: e.wrapping_add(1),
            train_correct,
            train_samples: per,
            test_correct,
            test_samples: p.test_samples,
        });
    }
    Ok(())
}

/// The test samples `Test(i)`, `i < n`, with learning off; how many were correct.
fn test<W: Walker + ?Sized>(w: &mut W, n: u32) -> Result<u32, W::Error> {
    let mut correct = 0u32;
    for i in 0..n {
        correct = correct.wrapping_add(u32::from(w.sample(Pick::Test(i), Learn::Off)?.correct));
    }
    Ok(correct)
}

/// An image's task on a chip, as [`run_app`] walks it.
struct AppRun<'r, 'm, D: ?Sized, R> {
    chip: &'r mut D,
    mem: &'r mut Memory<'m>,
    task: &'r TaskSpec<'r>,
    x: &'r mut Spikes,
    sums: &'r mut [i64],
    report: R,
}

impl<D: Datapath + ?Sized, R: FnMut(Event)> Walker for AppRun<'_, '_, D, R> {
    type Error = StepError;

    fn sample(&mut self, pick: Pick, learn: Learn) -> Result<Outcome, StepError> {
        #[cfg(feature = "reward")]
        if let TaskSpec::RewardCue { cue, params } = self.task {
            // One episode: learning ones act from the sampled policy, the others are
            // greedy.
            let (id, learn) = (pick.seed_index(), learn != Learn::Off);
            let ep = reward_cue::run_episode(self.chip, self.mem, cue, params, id, self.x, learn)?;
            let success = ep.success();
            (self.report)(Event::Episode { id, success, learn });
            return Ok(Outcome {
                correct: success,
                spikes: ep.spikes,
                predicted: None,
            });
        }
        #[cfg(feature = "reward")]
        if let TaskSpec::RewardNav { nav, params } = self.task {
            let (id, learn) = (pick.seed_index(), learn != Learn::Off);
            let ep = crate::navigation::run_episode(
                self.chip, self.mem, nav, params, id, self.x, learn,
            )?;
            let success = ep.arrived;
            (self.report)(Event::Episode { id, success, learn });
            return Ok(Outcome {
                correct: success,
                spikes: ep.spikes,
                predicted: None,
            });
        }
        let Some(sample) = self.task.sample(pick) else {
            return Ok(Outcome::default());
        };
        let mut chip = OnChip::new(&mut *self.chip, &mut *self.mem, &mut []);
        // Sound goes through the front end one step at a time, as the chip runs.
        #[cfg(feature = "audio")]
        if let crate::sample::AnySample::Pcm(p) = sample {
            let stream = crate::audio::PcmStream::new(p);
            let (x, sums) = (&mut *self.x, &mut *self.sums);
            return run_scored(&mut chip, &stream, learn, x, &mut [], sums, |_, _, _, _| {});
        }
        run_scored(
            &mut chip,
            &sample,
            learn,
            self.x,
            &mut [],
            self.sums,
            |_, _, _, _| {},
        )
    }

    fn report(&mut self, event: Event) {
        (self.report)(event);
    }

    fn set_rate_step(&mut self, k: u8) {
        self.chip.set_rate_step(k);
    }
}

/// Run an image's plan on a chip: inference samples, or epochs of training and
/// testing. `sums` needs one entry per readout.
pub fn run_app(
    chip: &mut (impl Datapath + ?Sized),
    mem: &mut Memory<'_>,
    app: &AppSpec<'_>,
    x: &mut Spikes,
    sums: &mut [i64],
    report: impl FnMut(Event),
) -> Result<(), StepError> {
    match run_app_until(chip, mem, app, x, sums, &|| false, report) {
        Err(Halt::Error(e)) => Err(e),
        _ => Ok(()),
    }
}

/// [`run_app`], asking `stop` before every sample: when it says so, the walk ends
/// there ([`Halt::Stopped`]), after the sample under way, and what ran stays run.
pub fn run_app_until(
    chip: &mut (impl Datapath + ?Sized),
    mem: &mut Memory<'_>,
    app: &AppSpec<'_>,
    x: &mut Spikes,
    sums: &mut [i64],
    stop: &dyn Fn() -> bool,
    report: impl FnMut(Event),
) -> Result<(), Halt<StepError>> {
    #[cfg(feature = "reward")]
    if let TaskSpec::RewardCue { params, .. } | TaskSpec::RewardNav { params, .. } = &app.task {
        reward::check(chip.config(), params).map_err(|e| Halt::Error(StepError::Reward(e)))?;
    }
    let run = AppRun {
        chip,
        mem,
        task: &app.task,
        x,
        sums,
        report,
    };
    walk(&app.plan, 0, &mut Until { inner: run, stop })
}

/// Why a walk through [`Until`] ended early.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Halt<E> {
    /// A sample failed.
    Error(E),
    /// `stop` said so before a sample.
    Stopped,
}

/// A walker that asks `stop` before each sample of `inner` and ends the walk there.
pub struct Until<'s, W> {
    /// The walker that runs the samples.
    pub inner: W,
    /// Asked before every sample.
    pub stop: &'s dyn Fn() -> bool,
}

impl<W: Walker> Walker for Until<'_, W> {
    type Error = Halt<W::Error>;

    fn sample(&mut self, pick: Pick, learn: Learn) -> Result<Outcome, Self::Error> {
        if (self.stop)() {
            return Err(Halt::Stopped);
        }
        self.inner.sample(pick, learn).map_err(Halt::Error)
    }

    fn report(&mut self, event: Event) {
        self.inner.report(event);
    }

    fn set_rate_step(&mut self, k: u8) {
        self.inner.set_rate_step(k);
    }
}
