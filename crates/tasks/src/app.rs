//! The application block of a chip image: which task drives the chip and what to do
//! with it (run, or train and test), encoded without allocation so the firmware reads
//! the same plan the host ran.
//!
//! Layout (little endian): `kind u8` (0 Poisson, 1 cue, 2 digits, 3 reward-based
//! cue accumulation, 6 keyword spotting, 7 reward-based navigation), task fields, then
//! the plan: `samples u32, epochs u32, train_per_epoch u32, test_samples u32, batch u32,
//! learn u8`. The reward kinds hold their environment's fields (the cue trial's;
//! navigation's `size u32, rate_hz f32, sigma f32, action_steps u32, max_moves u32,
//! dt_ms f32, seed u64`), then `n_actions u32, gamma u16, c_v u16` (Q1.15); the
//! keyword-spotting kind its front end and clips ([`crate::kws`]).
//!
//! Workloads that are not an e-prop chip travel in *application images* (header kind
//! 3, `neurochip_core::image::encode_app`): their block is `Standalone`, a kind byte
//! (4 the constraint solver, `crate::solver`; 5 an STDP assembly area,
//! `crate::assembly`) and that workload's fields, with no plan. A chip image refuses those kinds and an application image the chip's.

use neurochip_core::image::{Decoded, ImageError, Reader, Writer};
#[cfg(feature = "reward")]
use neurochip_core::reward::{RewardParams, MAX_READOUTS};

#[cfg(feature = "reward")]
use crate::navigation::NavConfig;
use neurochip_core::semantic::{self, Allowed, Invalid, Value};
use neurochip_core::{ranges, ChipConfig, Engine};

use crate::cue::CueConfig;
use crate::digits::{Image, RateEncoder, MAX_PIXEL, N_CLASSES, N_PIXELS};
#[cfg(feature = "audio")]
use crate::kws::{AudioSpec, KIND_AUDIO};
use crate::poisson::PoissonInput;
use crate::sample::{AnySample, DigitSample, Pick, PoissonSample, Source};
use crate::TaskError;

/// Bytes per digit in the image: 64 pixels and the label.
pub const DIGIT_BYTES: usize = N_PIXELS + 1;

/// The task of an image.
// One per run, `Copy`, and `no_std` without an allocator: the audio front end's
// coefficients stay inline rather than boxed.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum TaskSpec<'a> {
    /// Poisson input, `steps` per sample, no target.
    Poisson {
        /// Generator.
        gen: PoissonInput,
        /// Steps per sample.
        steps: u32,
    },
    /// Cue accumulation.
    Cue(CueConfig),
    /// Digits compiled into the image (test subset), rate coded.
    Digits {
        /// Encoder.
        enc: RateEncoder,
        /// Steps at the end of a sample with a valid target.
        window: u32,
        /// `DIGIT_BYTES` per digit: 64 pixels, then the label.
        data: &'a [u8],
    },
    /// Reward-based cue accumulation ([`crate::reward_cue`]): one episode per sample,
    /// the actor–critic's choice at the end of the recall window (feature `reward`).
    #[cfg(feature = "reward")]
    RewardCue {
        /// The cue trial.
        cue: CueConfig,
        /// The actor–critic.
        params: RewardParams,
    },
    /// Reward-based navigation ([`crate::navigation`]): one episode per sample, a move
    /// every `action_steps` steps, reward on arrival (feature `reward`).
    #[cfg(feature = "reward")]
    RewardNav {
        /// The arena.
        nav: NavConfig,
        /// The actor–critic.
        params: RewardParams,
    },
    /// Keyword spotting: spoken-word clips compiled into the image, as spikes or as
    /// PCM through the front end (feature `audio`).
    #[cfg(feature = "audio")]
    Audio(AudioSpec<'a>),
}

impl TaskSpec<'_> {
    /// Digit `k` of the compiled subset: pixels and label.
    pub fn digit(&self, k: usize) -> Option<(Image, u8)> {
        let TaskSpec::Digits { data, .. } = self else {
            return None;
        };
        let start = k.checked_mul(DIGIT_BYTES)?;
        let d = data.get(start..start.checked_add(DIGIT_BYTES)?)?;
        let mut img = [0u8; N_PIXELS];
        img.copy_from_slice(d.get(..N_PIXELS)?);
        Some((img, *d.get(N_PIXELS)?))
    }
}

impl Source for TaskSpec<'_> {
    /// A generated task's sample from its seed index ([`Pick::seed_index`]); a digit
    /// from the compiled subset (inference and test sample `i` are digit `i`); `None`
    /// for a digit past the subset and for the reward task, which runs episodes.
    fn sample(&self, pick: Pick) -> Option<AnySample<'_>> {
        let index = pick.seed_index();
        match self {
            TaskSpec::Poisson { gen, steps } => Some(AnySample::Poisson(PoissonSample {
                gen,
                index,
                steps: *steps,
            })),
            TaskSpec::Cue(c) => Some(AnySample::Cue(c.sample(index))),
            TaskSpec::Digits { enc, window, .. } => {
                let k = match pick {
                    Pick::Run(i) | Pick::Test(i) => u64::from(i),
                    Pick::Train { .. } => index,
                };
                let (image, label) = self.digit(usize::try_from(k).ok()?)?;
                Some(AnySample::Digit(DigitSample {
                    enc,
                    image,
                    label,
                    index,
                    window: *window,
                }))
            }
            #[cfg(feature = "reward")]
            TaskSpec::RewardCue { .. } | TaskSpec::RewardNav { .. } => None,
            #[cfg(feature = "audio")]
            TaskSpec::Audio(a) => a.sample(pick),
        }
    }
}

impl core::fmt::Display for TaskSpec<'_> {
    /// One readable line (what `neurochip inspect` prints).
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let cue = |f: &mut core::fmt::Formatter<'_>, c: &CueConfig| {
            write!(
                f,
                "cue accumulation: {} cues of {} ms, gaps {} ms, delay {} ms, recall {} ms; \
                 {} channels per population at {} Hz (background {} Hz); dt {} ms, seed {}",
                c.n_cues,
                c.cue_ms,
                c.gap_ms,
                c.delay_ms,
                c.recall_ms,
                c.channels_per_pop,
                c.cue_rate_hz,
                c.bg_rate_hz,
                c.dt_ms,
                c.seed
            )
        };
        match self {
            TaskSpec::Poisson { gen, steps } => write!(
                f,
                "poisson: {} channels at {} Hz, {steps} steps a sample; dt {} ms, seed {}",
                gen.n, gen.rate_hz, gen.dt_ms, gen.seed
            ),
            TaskSpec::Cue(c) => cue(f, c),
            TaskSpec::Digits { enc, window, data } => write!(
                f,
                "digits: {} images compiled in, rate coded over {} steps (at most {} Hz), \
                 target over the last {window} steps; dt {} ms, seed {}",
                data.len() / DIGIT_BYTES,
                enc.steps,
                enc.max_rate_hz,
                enc.dt_ms,
                enc.seed
            ),
            #[cfg(feature = "reward")]
            TaskSpec::RewardCue { cue: c, params } => {
                write!(f, "reward-based ")?;
                cue(f, c)?;
                actor_critic(f, params)
            }
            #[cfg(feature = "reward")]
            TaskSpec::RewardNav { nav, params } => {
                write!(
                    f,
                    "reward-based navigation: {0}x{0} arena, place cells at {1} Hz (sigma \
                     {2} cells), a move every {3} steps, at most {4} moves, dt {5} ms, \
                     seed {6}",
                    nav.size,
                    nav.rate_hz,
                    nav.sigma,
                    nav.action_steps,
                    nav.max_moves,
                    nav.dt_ms,
                    nav.seed
                )?;
                actor_critic(f, params)
            }
            #[cfg(feature = "audio")]
            TaskSpec::Audio(a) => write!(f, "{a}"),
        }
    }
}

impl core::fmt::Display for PlanSpec {
    /// One readable line (what `neurochip inspect` prints).
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        if self.learn {
            write!(
                f,
                "train {} epochs of {} samples (applying every {}), then {} test samples after each",
                self.epochs, self.train_per_epoch, self.batch, self.test_samples
            )?;
            if self.halve_every > 0 {
                write!(f, "; the rates halve every {} epochs", self.halve_every)?;
            }
            Ok(())
        } else if self.test_samples > 0 {
            write!(f, "test {} samples, learning off", self.test_samples)
        } else {
            write!(f, "run {} samples, learning off", self.samples)
        }
    }
}

/// What to do with the chip.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlanSpec {
    /// Inference samples (when not learning).
    pub samples: u32,
    /// Training epochs.
    pub epochs: u32,
    /// Training samples per epoch.
    pub train_per_epoch: u32,
    /// Test samples after each epoch.
    pub test_samples: u32,
    /// Samples per update (per-sample mode).
    pub batch: u32,
    /// Train (true) or only run (false).
    pub learn: bool,
    /// The learning-rate schedule: every learning rate halves after each
    /// `halve_every` epochs ([`PlanSpec::rate_step`]); 0: the rates stay.
    pub halve_every: u32,
}

impl PlanSpec {
    /// The chip's learning-rate step ([`neurochip_core::Chip::set_rate_step`]) for
    /// training epoch `epoch` (from 0, counted over a resumed run too): `epoch /
    /// halve_every`, 0 without a schedule.
    pub fn rate_step(&self, epoch: u32) -> u8 {
        match epoch.checked_div(self.halve_every) {
            Some(k) => k.min(u32::from(u8::MAX)) as u8,
            None => 0,
        }
    }
}

/// Task and plan.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AppSpec<'a> {
    /// The task.
    pub task: TaskSpec<'a>,
    /// The plan.
    pub plan: PlanSpec,
}

fn f32_bits(w: &mut Writer<'_>, v: f32) {
    w.u32(v.to_bits());
}

impl<'a> AppSpec<'a> {
    /// Encode into `out`; returns the bytes written (or needed, as an error).
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, ImageError> {
        let mut w = Writer::new(out);
        match self.task {
            TaskSpec::Poisson { gen, steps } => {
                w.u8(0);
                w.u32(gen.n as u32);
                f32_bits(&mut w, gen.rate_hz);
                f32_bits(&mut w, gen.dt_ms);
                w.u64(gen.seed);
                w.u32(steps);
            }
            TaskSpec::Cue(c) => {
                w.u8(1);
                put_cue(&mut w, &c);
            }
            #[cfg(feature = "reward")]
            TaskSpec::RewardCue { cue, params } => {
                w.u8(3);
                put_cue(&mut w, &cue);
                put_params(&mut w, &params);
            }
            #[cfg(feature = "reward")]
            TaskSpec::RewardNav { nav, params } => {
                w.u8(7);
                w.u32(nav.size);
                f32_bits(&mut w, nav.rate_hz);
                f32_bits(&mut w, nav.sigma);
                w.u32(nav.action_steps);
                w.u32(nav.max_moves);
                f32_bits(&mut w, nav.dt_ms);
                w.u64(nav.seed);
                put_params(&mut w, &params);
            }
            TaskSpec::Digits { enc, window, data } => {
                w.u8(2);
                w.u32(enc.steps);
                f32_bits(&mut w, enc.max_rate_hz);
                f32_bits(&mut w, enc.dt_ms);
                w.u64(enc.seed);
                w.u32(window);
                w.u32((data.len() / DIGIT_BYTES) as u32);
                w.bytes(data);
            }
            #[cfg(feature = "audio")]
            TaskSpec::Audio(a) => {
                w.u8(KIND_AUDIO);
                a.put(&mut w);
            }
        }
        let p = self.plan;
        for v in [
            p.samples,
            p.epochs,
            p.train_per_epoch,
            p.test_samples,
            p.batch,
        ] {
            w.u32(v);
        }
        // Plan flags: bit 0 learn, bit 1 a rate schedule follows (images without one
        // keep the single 0/1 byte they always had).
        w.u8(u8::from(p.learn) | (u8::from(p.halve_every > 0) << 1));
        if p.halve_every > 0 {
            w.u32(p.halve_every);
        }
        let n = w.len();
        if n > out_len(&w) {
            return Err(ImageError::Space {
                needed: n,
                available: out_len(&w),
            });
        }
        Ok(n)
    }

    /// Decode and check.
    pub fn decode(bytes: &'a [u8]) -> Result<Self, ImageError> {
        let mut r = Reader::new(bytes);
        let f = |r: &mut Reader<'_>, field| r.u32(field).map(f32::from_bits);
        let task = match r.u8("app.kind")? {
            0 => {
                let n = r.u32("app.poisson.n")? as usize;
                let gen = PoissonInput {
                    n,
                    rate_hz: f(&mut r, "app.poisson.rate_hz")?,
                    dt_ms: f(&mut r, "app.poisson.dt_ms")?,
                    seed: r.u64("app.poisson.seed")?,
                };
                gen.check().map_err(|e| task_invalid("app.poisson.", e))?;
                TaskSpec::Poisson {
                    gen,
                    steps: r.u32("app.poisson.steps")?,
                }
            }
            1 => TaskSpec::Cue(get_cue(&mut r)?),
            #[cfg(feature = "reward")]
            3 => {
                let cue = get_cue(&mut r)?;
                let params = get_params(&mut r)?;
                TaskSpec::RewardCue { cue, params }
            }
            #[cfg(feature = "reward")]
            7 => {
                let nav = NavConfig {
                    size: r.u32("app.navigation.size")?,
                    rate_hz: f(&mut r, "app.navigation.rate_hz")?,
                    sigma: f(&mut r, "app.navigation.sigma")?,
                    action_steps: r.u32("app.navigation.action_steps")?,
                    max_moves: r.u32("app.navigation.max_moves")?,
                    dt_ms: f(&mut r, "app.navigation.dt_ms")?,
                    seed: r.u64("app.navigation.seed")?,
                };
                nav.check()
                    .map_err(|e| task_invalid("app.navigation.", e))?;
                let params = get_params(&mut r)?;
                TaskSpec::RewardNav { nav, params }
            }
            2 => {
                let enc = RateEncoder {
                    steps: r.u32("app.digits.steps")?,
                    max_rate_hz: f(&mut r, "app.digits.max_rate_hz")?,
                    dt_ms: f(&mut r, "app.digits.dt_ms")?,
                    seed: r.u64("app.digits.seed")?,
                };
                enc.check().map_err(|e| task_invalid("app.digits.", e))?;
                let window = r.u32("app.digits.window")?;
                let n = r.u32("app.digits.count")? as usize;
                let data = r.bytes(n.saturating_mul(DIGIT_BYTES), "app.digits.data")?;
                TaskSpec::Digits { enc, window, data }
            }
            #[cfg(feature = "audio")]
            KIND_AUDIO => TaskSpec::Audio(AudioSpec::get(&mut r)?),
            k => {
                return Err(ImageError::Invalid(Invalid {
                    place: "app.",
                    key: "kind",
                    index: None,
                    value: Value::Int(k.into()),
                    rule: "not the task of a chip image",
                    allowed: Allowed::Text(KINDS),
                }))
            }
        };
        let mut plan = PlanSpec {
            samples: r.u32("app.plan.samples")?,
            epochs: r.u32("app.plan.epochs")?,
            train_per_epoch: r.u32("app.plan.train_per_epoch")?,
            test_samples: r.u32("app.plan.test_samples")?,
            batch: r.u32("app.plan.batch")?,
            learn: false,
            halve_every: 0,
        };
        let flags = r.u8("app.plan.learn")?;
        if flags > 3 {
            let allowed = "bit 0 learn, bit 1 a rate schedule follows";
            return Err(Invalid::int(PLAN, "learn", flags.into(), allowed, 0, 3).into());
        }
        plan.learn = flags & 1 != 0;
        if flags & 2 != 0 {
            plan.halve_every = r.u32("app.plan.halve_every")?;
            if plan.halve_every == 0 {
                let allowed = "an epoch count (the flag says a schedule follows)";
                return Err(
                    Invalid::int(PLAN, "halve_every", 0, allowed, 1, u32::MAX.into()).into(),
                );
            }
        }
        if r.remaining() != 0 {
            return Err(ImageError::Field {
                field: "app trailing bytes",
            });
        }
        Ok(Self { task, plan })
    }
}

/// A task generator's refusal of one of its fields, as a refusal of the image field
/// under `place` (`"app.cue."`): the generator names its own type
/// (`CueConfig.dt_ms`), the image names the field (`app.cue.dt_ms`).
fn task_invalid(place: &'static str, e: TaskError) -> ImageError {
    let (field, value, allowed) = match e {
        TaskError::Int {
            field,
            value,
            allowed,
        } => (field, Value::Count(value), allowed),
        TaskError::Float {
            field,
            value,
            allowed,
        } => (field, Value::Real(value.to_bits()), allowed),
    };
    let key = field.split_once(['.', ' ']).map_or(field, |(_, k)| k);
    ImageError::Invalid(Invalid {
        place,
        key,
        index: None,
        value,
        rule: "out of range",
        allowed: Allowed::Text(allowed),
    })
}

const PLAN: &str = "app.plan.";

/// The task kinds a chip image of this build carries.
#[cfg(all(feature = "reward", feature = "audio"))]
const KINDS: &str =
    "0 Poisson, 1 cue accumulation, 2 digits, 3 reward-based cue accumulation, 6 keyword spotting";
#[cfg(all(feature = "reward", not(feature = "audio")))]
const KINDS: &str = "0 Poisson, 1 cue accumulation, 2 digits, 3 reward-based cue accumulation \
                     (6, keyword spotting, needs a build with the audio feature)";
#[cfg(all(not(feature = "reward"), feature = "audio"))]
const KINDS: &str = "0 Poisson, 1 cue accumulation, 2 digits, 6 keyword spotting (3, reward-based \
                     cue accumulation, needs a build with the reward feature)";
#[cfg(all(not(feature = "reward"), not(feature = "audio")))]
const KINDS: &str = "0 Poisson, 1 cue accumulation, 2 digits (3, reward-based cue accumulation, \
                     needs a build with the reward feature; 6, keyword spotting, with the audio \
                     feature)";

/// `Ok` when `range` admits the plan field `key`'s value `v`; `rule` names the
/// configuration key the plan field comes from.
fn plan_range(
    key: &'static str,
    v: u32,
    range: ranges::Range,
    rule: &'static str,
) -> Result<(), Invalid> {
    semantic::in_range(PLAN, key, v.into(), range, rule)
}

impl AppSpec<'_> {
    /// The semantic check of an image's task and plan against its chip `cfg`: what a
    /// header, a CRC and the field decoders cannot see. One refusal names the field,
    /// the value and what is allowed ([`ImageError::Invalid`]; a reward task that the
    /// chip cannot run, [`ImageError::Reward`]). Checked:
    ///
    /// - the task drives exactly the chip's inputs, and the chip has a readout per
    ///   class (2 for cue accumulation, 10 for digits), as `neurochip check` requires
    ///   of a configuration; a reward task fits the chip's readouts and engine;
    /// - a Poisson sample's steps and a digit's presentation within `task.steps`, the
    ///   digits' target window within the presentation, every compiled pixel in
    ///   `0..=16` and every label in `0..=9`;
    /// - the plan's counts within the limits of their configuration keys
    ///   ([`ranges::EPOCHS`], [`ranges::TRAIN_SAMPLES`], [`ranges::TEST_SAMPLES`],
    ///   [`ranges::HALVE_EVERY`],
    ///   [`ranges::SAMPLES`] or 0, [`ranges::BATCH`]);
    /// - a plan that learns has a learning engine and a task with targets;
    /// - every digit the plan picks is compiled in (the image carries at least its test
    ///   samples, its inference samples, or `epochs * train_per_epoch` training ones);
    /// - the plan's steps fit the chip's 64-bit step counter.
    pub fn check(&self, cfg: &ChipConfig) -> Result<(), ImageError> {
        let p = self.plan;
        let limit = "beyond the limit of train.epochs";
        plan_range("epochs", p.epochs, ranges::EPOCHS, limit)?;
        let limit = "beyond the limit of train.train_samples";
        plan_range(
            "train_per_epoch",
            p.train_per_epoch,
            ranges::TRAIN_SAMPLES,
            limit,
        )?;
        let limit = "beyond the limit of train.test_samples";
        plan_range("test_samples", p.test_samples, ranges::TEST_SAMPLES, limit)?;
        let limit = "beyond the limit of train.halve_rates_every";
        plan_range("halve_every", p.halve_every, ranges::HALVE_EVERY, limit)?;
        if p.samples != 0 {
            let limit = "beyond the limit of task.samples (0: the plan runs no inference samples)";
            plan_range("samples", p.samples, ranges::SAMPLES, limit)?;
        }
        let limit = "beyond the limit of learning.batch";
        plan_range("batch", p.batch, ranges::BATCH, limit)?;
        let (place, inputs, classes, steps) = match self.task {
            TaskSpec::Poisson { gen, steps } => {
                let rule = "beyond the limit of task.steps";
                semantic::in_range(
                    "app.poisson.",
                    "steps",
                    steps.into(),
                    ranges::TASK_STEPS,
                    rule,
                )?;
                ("app.poisson.", gen.n_inputs(), None, steps)
            }
            TaskSpec::Cue(c) => {
                let sample = c.sample(0);
                ("app.cue.", sample.n_inputs(), Some(2), sample.steps())
            }
            TaskSpec::Digits { enc, window, data } => {
                let rule = "beyond the limit of task.steps";
                semantic::in_range(
                    "app.digits.",
                    "steps",
                    enc.steps.into(),
                    ranges::TASK_STEPS,
                    rule,
                )?;
                let rule = "the target window lies inside the presentation (app.digits.steps)";
                if window == 0 || window > enc.steps {
                    return Err(Invalid::int(
                        "app.digits.",
                        "window",
                        window.into(),
                        rule,
                        1,
                        enc.steps.into(),
                    )
                    .into());
                }
                check_digits(data)?;
                ("app.digits.", enc.n_inputs(), Some(N_CLASSES), enc.steps)
            }
            #[cfg(feature = "reward")]
            TaskSpec::RewardCue { cue, params } => {
                neurochip_core::reward::check(cfg, &params).map_err(ImageError::Reward)?;
                let sample = cue.sample(0);
                ("app.reward.", sample.n_inputs(), None, sample.steps())
            }
            #[cfg(feature = "reward")]
            TaskSpec::RewardNav { nav, params } => {
                neurochip_core::reward::check(cfg, &params).map_err(ImageError::Reward)?;
                if params.n_actions != crate::navigation::N_ACTIONS {
                    let rule = "navigation has four moves (up, down, left, right)";
                    let n = i64::try_from(params.n_actions).unwrap_or(i64::MAX);
                    return Err(Invalid::int("app.reward.", "n_actions", n, rule, 4, 4).into());
                }
                let steps = nav.action_steps.saturating_mul(nav.max_moves);
                ("app.navigation.", nav.n_inputs(), None, steps)
            }
            #[cfg(feature = "audio")]
            TaskSpec::Audio(a) => {
                a.check()?;
                let classes = usize::try_from(a.classes).unwrap_or(usize::MAX);
                ("app.audio.", a.fe.n_channels(), Some(classes), a.steps)
            }
        };
        let n_in = i64::try_from(cfg.n_in()).unwrap_or(i64::MAX);
        let inputs = i64::try_from(inputs).unwrap_or(i64::MAX);
        if inputs != n_in {
            let rule = "the task drives exactly the chip's input channels (config.n_in)";
            return Err(Invalid::int(place, "inputs", inputs, rule, n_in, n_in).into());
        }
        if let Some(k) = classes {
            let n_out = i64::try_from(cfg.n_out()).unwrap_or(i64::MAX);
            let k = i64::try_from(k).unwrap_or(i64::MAX);
            if n_out < k {
                let rule = "the task's classes each need a readout";
                let hi = i64::from(cfg.limits().max_outputs);
                return Err(Invalid::int("config.", "n_out", n_out, rule, k, hi).into());
            }
        }
        if p.learn {
            let learn = i64::from(p.learn);
            if cfg.learning().engine == Engine::Off {
                let rule = "the chip has no learning engine (learning.engine = off)";
                return Err(Invalid::int(PLAN, "learn", learn, rule, 0, 0).into());
            }
            if matches!(self.task, TaskSpec::Poisson { .. }) {
                let rule = "a Poisson task has no target to learn";
                return Err(Invalid::int(PLAN, "learn", learn, rule, 0, 0).into());
            }
        }
        let trains = p.learn && p.epochs > 0;
        if let TaskSpec::Digits { data, .. } = self.task {
            let count = u32::try_from(data.len() / DIGIT_BYTES).unwrap_or(u32::MAX);
            let carried = "more digits than the image carries (app.digits.count)";
            if p.test_samples > count {
                let e = Invalid::int(
                    PLAN,
                    "test_samples",
                    p.test_samples.into(),
                    carried,
                    0,
                    count.into(),
                );
                return Err(e.into());
            }
            if !p.learn && p.test_samples == 0 && p.samples > count {
                let e = Invalid::int(PLAN, "samples", p.samples.into(), carried, 0, count.into());
                return Err(e.into());
            }
            // Training sample `i` of epoch `e` is compiled digit `e * per + i`.
            let needed = u64::from(p.epochs).saturating_mul(p.train_per_epoch.into());
            if trains && needed > u64::from(count) {
                let rule = "epochs * train_per_epoch training digits: more than the image carries (app.digits.count)";
                let hi = (count / p.epochs.max(1)).into();
                let e = Invalid::int(
                    PLAN,
                    "train_per_epoch",
                    p.train_per_epoch.into(),
                    rule,
                    1,
                    hi,
                );
                return Err(e.into());
            }
        }
        #[cfg(feature = "audio")]
        if let TaskSpec::Audio(a) = self.task {
            check_clips(&p, &a, trains)?;
        }
        // The step counter starts at 0 and counts every step of every sample.
        let per_epoch = u64::from(p.train_per_epoch).saturating_add(p.test_samples.into());
        let per_epoch_steps = per_epoch.saturating_mul(steps.into());
        if trains {
            let max = u64::MAX.checked_div(per_epoch_steps).unwrap_or(u64::MAX);
            if u64::from(p.epochs) > max {
                let rule = "epochs * (train_per_epoch + test_samples) * steps per sample would wrap the 64-bit step counter";
                let hi = i64::try_from(max).unwrap_or(i64::MAX);
                return Err(Invalid::int(PLAN, "epochs", p.epochs.into(), rule, 0, hi).into());
            }
        }
        Ok(())
    }
}

/// Every clip the plan picks is compiled in: its test samples, its inference samples
/// (test clips too) and `epochs * train_per_epoch` training clips.
#[cfg(feature = "audio")]
fn check_clips(p: &PlanSpec, a: &AudioSpec<'_>, trains: bool) -> Result<(), Invalid> {
    let carried = "more clips than the image carries (app.audio.test)";
    if p.test_samples > a.test {
        let (v, hi) = (p.test_samples.into(), a.test.into());
        return Err(Invalid::int(PLAN, "test_samples", v, carried, 0, hi));
    }
    if !p.learn && p.test_samples == 0 && p.samples > a.test {
        let (v, hi) = (p.samples.into(), a.test.into());
        return Err(Invalid::int(PLAN, "samples", v, carried, 0, hi));
    }
    let needed = u64::from(p.epochs).saturating_mul(p.train_per_epoch.into());
    if trains && needed > u64::from(a.train) {
        let rule = "epochs * train_per_epoch training clips: more than the image carries (app.audio.train)";
        let hi = (a.train / p.epochs.max(1)).into();
        let v = p.train_per_epoch.into();
        return Err(Invalid::int(PLAN, "train_per_epoch", v, rule, 1, hi));
    }
    Ok(())
}

/// Every compiled digit: 64 pixels in `0..=16`, then a label in `0..=9`.
fn check_digits(data: &[u8]) -> Result<(), Invalid> {
    let max_label = i64::try_from(N_CLASSES)
        .unwrap_or(i64::MAX)
        .saturating_sub(1);
    for (k, d) in data.chunks(DIGIT_BYTES).enumerate() {
        for (i, &v) in d.iter().enumerate() {
            let (rule, hi) = if i < N_PIXELS {
                (
                    "a pixel counts the set bits of a 4x4 block",
                    i64::from(MAX_PIXEL),
                )
            } else {
                ("a label is a digit class", max_label)
            };
            if i64::from(v) > hi {
                let at = k.saturating_mul(DIGIT_BYTES).saturating_add(i);
                return Err(Invalid::int("app.digits.", "data", v.into(), rule, 0, hi).at(at));
            }
        }
    }
    Ok(())
}

/// Open a chip image's contents for a run: decode its application block, check it
/// against the chip ([`AppSpec::check`]), then load the memories into caller storage
/// and check every value (`neurochip_core::image::Decoded::load`). The one check
/// that `neurochip inspect`, `neurochip run-image` and the firmware's boot all run:
/// they accept and refuse the same images, with the same message.
pub fn open<'a>(
    image: Decoded<'a>,
    w16: &mut [i16],
    w32: &mut [i32],
    wu: &mut [u32],
) -> Result<AppSpec<'a>, ImageError> {
    let app = AppSpec::decode(image.app)?;
    app.check(&image.config)?;
    image.load(w16, w32, wu)?;
    Ok(app)
}

#[cfg(feature = "reward")]
fn actor_critic(f: &mut core::fmt::Formatter<'_>, p: &RewardParams) -> core::fmt::Result {
    write!(
        f,
        "; actor-critic: {} actions, gamma {}/32768, c_V {}/32768",
        p.n_actions, p.gamma, p.c_v
    )
}

#[cfg(feature = "reward")]
fn put_params(w: &mut Writer<'_>, p: &RewardParams) {
    w.u32(p.n_actions as u32);
    w.u16(p.gamma);
    w.u16(p.c_v);
}

/// The actor–critic's fields, each checked: an action per readout but the value's,
/// and gamma and c_V factors in [0, 1].
#[cfg(feature = "reward")]
fn get_params(r: &mut Reader<'_>) -> Result<RewardParams, ImageError> {
    let params = RewardParams {
        n_actions: r.u32("app.reward.n_actions")? as usize,
        gamma: r.u16("app.reward.gamma")?,
        c_v: r.u16("app.reward.c_v")?,
    };
    let top = MAX_READOUTS.saturating_sub(1) as i64;
    let actions = i64::try_from(params.n_actions).unwrap_or(i64::MAX);
    let rule = "one readout per action and one for the value";
    if !(1..=top).contains(&actions) {
        return Err(Invalid::int("app.reward.", "n_actions", actions, rule, 1, top).into());
    }
    let one = i64::from(semantic::DECAY_ONE);
    let q15 = "a factor in [0, 1] (Q1.15 raw)";
    for (key, v) in [("gamma", params.gamma), ("c_v", params.c_v)] {
        if i64::from(v) > one {
            return Err(Invalid::int("app.reward.", key, v.into(), q15, 0, one).into());
        }
    }
    Ok(params)
}

fn put_cue(w: &mut Writer<'_>, c: &CueConfig) {
    for v in [c.n_cues, c.cue_ms, c.gap_ms, c.delay_ms, c.recall_ms] {
        w.u32(v);
    }
    f32_bits(w, c.cue_rate_hz);
    f32_bits(w, c.bg_rate_hz);
    w.u32(c.channels_per_pop as u32);
    f32_bits(w, c.dt_ms);
    w.u64(c.seed);
}

fn get_cue(r: &mut Reader<'_>) -> Result<CueConfig, ImageError> {
    let f = |r: &mut Reader<'_>, field| r.u32(field).map(f32::from_bits);
    let c = CueConfig {
        n_cues: r.u32("app.cue.n_cues")?,
        cue_ms: r.u32("app.cue.cue_ms")?,
        gap_ms: r.u32("app.cue.gap_ms")?,
        delay_ms: r.u32("app.cue.delay_ms")?,
        recall_ms: r.u32("app.cue.recall_ms")?,
        cue_rate_hz: f(r, "app.cue.cue_rate_hz")?,
        bg_rate_hz: f(r, "app.cue.bg_rate_hz")?,
        channels_per_pop: r.u32("app.cue.channels_per_pop")? as usize,
        dt_ms: f(r, "app.cue.dt_ms")?,
        seed: r.u64("app.cue.seed")?,
    };
    c.check().map_err(|e| task_invalid("app.cue.", e))?;
    Ok(c)
}

fn out_len(w: &Writer<'_>) -> usize {
    w.capacity()
}

/// Application kind of the constraint solver ([`Standalone::Solver`]).
pub const KIND_SOLVER: u8 = 4;
/// Application kind of an STDP assembly area ([`Standalone::Assembly`]).
pub const KIND_ASSEMBLY: u8 = 5;

/// The application of an application image (no chip): a workload with its own
/// memories, run by its own firmware binary.
#[cfg(any(feature = "solver", feature = "assembly"))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Standalone<'a> {
    /// The constraint solver (kind [`KIND_SOLVER`], feature `solver`).
    #[cfg(feature = "solver")]
    Solver(crate::solver::SolverSpec<'a>),
    /// An STDP assembly area (kind [`KIND_ASSEMBLY`], feature `assembly`).
    #[cfg(feature = "assembly")]
    Assembly(crate::assembly::AssemblySpec),
    /// Never built: holds the lifetime when the solver is compiled out.
    #[cfg(not(feature = "solver"))]
    #[doc(hidden)]
    _Never(core::convert::Infallible, core::marker::PhantomData<&'a ()>),
}

#[cfg(any(feature = "solver", feature = "assembly"))]
impl<'a> Standalone<'a> {
    /// The application kind byte.
    pub fn kind(&self) -> u8 {
        match self {
            #[cfg(feature = "solver")]
            Standalone::Solver(_) => KIND_SOLVER,
            #[cfg(feature = "assembly")]
            Standalone::Assembly(_) => KIND_ASSEMBLY,
            #[cfg(not(feature = "solver"))]
            Standalone::_Never(never, _) => match *never {},
        }
    }

    /// Encode into `out`; returns the bytes written (or needed, as an error).
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, ImageError> {
        let mut w = Writer::new(out);
        w.u8(self.kind());
        match self {
            #[cfg(feature = "solver")]
            Standalone::Solver(s) => s.put(&mut w),
            #[cfg(feature = "assembly")]
            Standalone::Assembly(a) => a.put(&mut w),
            #[cfg(not(feature = "solver"))]
            Standalone::_Never(never, _) => match *never {},
        }
        let n = w.len();
        if n > w.capacity() {
            return Err(ImageError::Space {
                needed: n,
                available: w.capacity(),
            });
        }
        Ok(n)
    }

    /// The solver's problem, if this is the solver.
    #[cfg(feature = "solver")]
    pub fn solver(self) -> Option<crate::solver::SolverSpec<'a>> {
        #[allow(unreachable_patterns)] // with `assembly` too, another application
        match self {
            Standalone::Solver(s) => Some(s),
            _ => None,
        }
    }

    /// The assembly area, if this is an assembly application.
    #[cfg(feature = "assembly")]
    pub fn assembly(self) -> Option<crate::assembly::AssemblySpec> {
        #[allow(unreachable_patterns)] // with `solver` too, another application
        match self {
            Standalone::Assembly(a) => Some(a),
            _ => None,
        }
    }

    /// Decode and range-check every field; the block must end with the last field. A
    /// kind this build does not carry is refused (`app.kind`).
    pub fn decode(bytes: &'a [u8]) -> Result<Self, ImageError> {
        let mut r = Reader::new(bytes);
        let app = match r.u8("app.kind")? {
            #[cfg(feature = "solver")]
            KIND_SOLVER => Standalone::Solver(crate::solver::SolverSpec::get(&mut r)?),
            #[cfg(feature = "assembly")]
            KIND_ASSEMBLY => Standalone::Assembly(crate::assembly::AssemblySpec::get(&mut r)?),
            _ => return Err(ImageError::Field { field: "app.kind" }),
        };
        if r.remaining() != 0 {
            return Err(ImageError::Field {
                field: "app trailing bytes",
            });
        }
        Ok(app)
    }
}
