//! The loop that runs a chip on a task, shared by the host (`neurochip`) and the
//! firmware so both make exactly the same calls in the same order, and so compute the
//! same bits: per sample, reset the dynamic state; per step, write the input, step the
//! chip, ask for the target, learn when learning; at the end of a batch, apply.
//!
//! Training order: for each epoch, training samples `epoch * per_epoch + i`, then test
//! samples `TEST_BASE + i` with learning off. A classification sample is predicted as
//! the readout with the largest raw sum over the target window (the first one on ties).
//! A reward plan (feature `reward`) walks the same order with one episode per sample:
//! learning episodes act from the sampled policy, test ones greedily, and a rewarded
//! episode counts as correct.

#[cfg(feature = "reward")]
use neurochip_core::reward;
use neurochip_core::{Datapath, Memory, StepError, Target};

use crate::app::{AppSpec, TaskSpec};
#[cfg(feature = "reward")]
use crate::reward_cue;
use crate::Spikes;

/// Sample ids at or above this are test samples.
pub const TEST_BASE: u64 = 1 << 40;

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
    /// Regression values, in the buffer passed to [`run_sample`] (readout format).
    Values,
}

/// Run one sample of `steps` steps. `spikes(t, x)` writes the input, `want(t, vals)`
/// gives the target (filling `vals` for regression), `on_step(t, mem, want)` sees the
/// chip after each step. An inference sample (`learn` off) runs with the eligibility
/// enable cleared ([`neurochip_core::Chip::set_eligibility_enabled`]); it is set again
/// when the sample ends.
#[allow(clippy::too_many_arguments)]
pub fn run_sample(
    chip: &mut (impl Datapath + ?Sized),
    mem: &mut Memory<'_>,
    steps: u32,
    x: &mut Spikes,
    vals: &mut [i32],
    spikes: impl FnMut(u32, &mut Spikes),
    want: impl FnMut(u32, &mut [i32]) -> Want,
    learn: Learn,
    on_step: impl FnMut(u32, &Memory<'_>, Want),
) -> Result<(), StepError> {
    // An inference sample reads no eligibility: gate its update off for the sample
    // (the digest does not change), and on again whatever happens.
    chip.set_eligibility_enabled(learn != Learn::Off);
    let r = sample_steps(chip, mem, steps, x, vals, spikes, want, learn, on_step);
    chip.set_eligibility_enabled(true);
    r
}

#[allow(clippy::too_many_arguments)]
fn sample_steps(
    chip: &mut (impl Datapath + ?Sized),
    mem: &mut Memory<'_>,
    steps: u32,
    x: &mut Spikes,
    vals: &mut [i32],
    mut spikes: impl FnMut(u32, &mut Spikes),
    mut want: impl FnMut(u32, &mut [i32]) -> Want,
    learn: Learn,
    mut on_step: impl FnMut(u32, &Memory<'_>, Want),
) -> Result<(), StepError> {
    chip.begin_sample(mem);
    for t in 0..steps {
        spikes(t, x);
        chip.step(mem, x)?;
        let w = want(t, vals);
        if learn != Learn::Off {
            let target = match w {
                Want::None => Target::None,
                Want::Class(c) => Target::Class(c),
                Want::Values => Target::Values(vals),
            };
            chip.learn(mem, target)?;
        }
        on_step(t, mem, w);
    }
    if learn == Learn::Apply {
        chip.end_sample(mem)?;
    }
    Ok(())
}

/// Index of the largest value (the first on ties); `None` when empty.
pub fn argmax(v: &[i64]) -> Option<usize> {
    let mut best: Option<(usize, i64)> = None;
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
        /// Episode id (test episodes from [`TEST_BASE`]).
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

/// One sample of a plan: (correct, spikes). A reward task's episode is also reported
/// ([`Event::Episode`]).
#[allow(clippy::too_many_arguments)]
#[cfg_attr(not(feature = "reward"), allow(unused_variables))]
fn task_sample(
    chip: &mut (impl Datapath + ?Sized),
    mem: &mut Memory<'_>,
    task: &TaskSpec<'_>,
    id: u64,
    learn: Learn,
    x: &mut Spikes,
    sums: &mut [i64],
    report: &mut impl FnMut(Event),
) -> Result<(bool, u64), StepError> {
    sums.fill(0);
    let mut spikes = 0u64;
    let mut vals = [0i32; 0];
    match task {
        TaskSpec::Poisson { gen, steps } => {
            run_sample(
                chip,
                mem,
                *steps,
                x,
                &mut vals,
                |t, x| gen.spikes(id, t, x),
                |_, _| Want::None,
                learn,
                |_, m, _| {
                    spikes = spikes.wrapping_add(m.z.count_ones() as u64);
                },
            )?;
            Ok((false, spikes))
        }
        TaskSpec::Cue(c) => {
            let s = c.sample(id);
            let label = usize::from(s.label());
            let sample = ClassSample {
                steps: s.steps(),
                label,
                learn,
            };
            sample.run(
                chip,
                mem,
                x,
                sums,
                |t, x| s.spikes(t, x),
                |t| s.in_recall(t),
            )
        }
        #[cfg(feature = "reward")]
        TaskSpec::RewardCue { cue, params } => {
            // One episode: learning ones act from the sampled policy, the others are
            // greedy.
            let learn = learn != Learn::Off;
            let ep = reward_cue::run_episode(chip, mem, cue, params, id, x, learn)?;
            let success = ep.success();
            report(Event::Episode { id, success, learn });
            Ok((success, ep.spikes))
        }
        TaskSpec::Digits { enc, window, .. } => {
            // Test ids address the compiled subset; inference ids directly.
            let k = if id >= TEST_BASE {
                id.wrapping_sub(TEST_BASE)
            } else {
                id
            };
            let Some((img, label)) = task.digit(k as usize) else {
                return Ok((false, 0));
            };
            let (steps, window) = (enc.steps, *window);
            let sample = ClassSample {
                steps,
                label: usize::from(label),
                learn,
            };
            sample.run(
                chip,
                mem,
                x,
                sums,
                |t, x| enc.spikes(&img, id, t, x),
                |t| t.saturating_add(window) >= steps,
            )
        }
    }
}

/// A classification sample: the target is `label` inside a window; the prediction is
/// the readout with the largest raw sum over the window.
struct ClassSample {
    steps: u32,
    label: usize,
    learn: Learn,
}

impl ClassSample {
    /// Run it; returns (correct, spikes).
    fn run(
        &self,
        chip: &mut (impl Datapath + ?Sized),
        mem: &mut Memory<'_>,
        x: &mut Spikes,
        sums: &mut [i64],
        spikes_at: impl FnMut(u32, &mut Spikes),
        in_window: impl Fn(u32) -> bool,
    ) -> Result<(bool, u64), StepError> {
        let mut spikes = 0u64;
        let label = self.label;
        run_sample(
            chip,
            mem,
            self.steps,
            x,
            &mut [],
            spikes_at,
            |t, _| {
                if in_window(t) {
                    Want::Class(label)
                } else {
                    Want::None
                }
            },
            self.learn,
            |_, m, w| {
                spikes = spikes.wrapping_add(m.z.count_ones() as u64);
                if w != Want::None {
                    for (acc, &y) in sums.iter_mut().zip(m.y.iter()) {
                        *acc = acc.wrapping_add(i64::from(y));
                    }
                }
            },
        )?;
        Ok((argmax(sums) == Some(label), spikes))
    }
}

/// Run an image's plan: inference samples, or epochs of training and testing.
/// `sums` needs one entry per readout.
pub fn run_app(
    chip: &mut (impl Datapath + ?Sized),
    mem: &mut Memory<'_>,
    app: &AppSpec<'_>,
    x: &mut Spikes,
    sums: &mut [i64],
    mut report: impl FnMut(Event),
) -> Result<(), StepError> {
    let p = app.plan;
    #[cfg(feature = "reward")]
    if let TaskSpec::RewardCue { params, .. } = &app.task {
        reward::check(chip.config(), params).map_err(StepError::Reward)?;
    }
    let task = &app.task;
    if !p.learn && p.test_samples > 0 {
        // Inference on the test samples: one report with epoch 0.
        let test_correct = test(chip, mem, task, p.test_samples, x, sums, &mut report)?;
        report(Event::Epoch {
            epoch: 0,
            train_correct: 0,
            train_samples: 0,
            test_correct,
            test_samples: p.test_samples,
        });
        return Ok(());
    }
    if !p.learn {
        for s in 0..p.samples {
            let (_, spikes) = task_sample(
                chip,
                mem,
                task,
                u64::from(s),
                Learn::Off,
                x,
                sums,
                &mut report,
            )?;
            report(Event::Sample { index: s, spikes });
        }
        return Ok(());
    }
    let per = p.train_per_epoch;
    for e in 0..p.epochs {
        let mut train_correct = 0u32;
        for i in 0..per {
            let last = (i.wrapping_add(1)) % p.batch.max(1) == 0 || i.wrapping_add(1) == per;
            let learn = if last {
                Learn::Apply
            } else {
                Learn::Accumulate
            };
            let id = u64::from(e)
                .wrapping_mul(u64::from(per))
                .wrapping_add(u64::from(i));
            let (ok, _) = task_sample(chip, mem, task, id, learn, x, sums, &mut report)?;
            train_correct = train_correct.wrapping_add(u32::from(ok));
        }
        let test_correct = test(chip, mem, task, p.test_samples, x, sums, &mut report)?;
        report(Event::Epoch {
            epoch: e.wrapping_add(1),
            train_correct,
            train_samples: per,
            test_correct,
            test_samples: p.test_samples,
        });
    }
    Ok(())
}

/// The test samples `TEST_BASE + i`, `i < n`, with learning off; returns how many
/// were correct.
fn test(
    chip: &mut (impl Datapath + ?Sized),
    mem: &mut Memory<'_>,
    task: &TaskSpec<'_>,
    n: u32,
    x: &mut Spikes,
    sums: &mut [i64],
    report: &mut impl FnMut(Event),
) -> Result<u32, StepError> {
    let mut correct = 0u32;
    for i in 0..n {
        let id = TEST_BASE.wrapping_add(u64::from(i));
        let (ok, _) = task_sample(chip, mem, task, id, Learn::Off, x, sums, report)?;
        correct = correct.wrapping_add(u32::from(ok));
    }
    Ok(correct)
}
