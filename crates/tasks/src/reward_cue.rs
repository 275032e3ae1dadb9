//! Reward-based cue accumulation: the cue-accumulation trial of [`crate::cue`], but
//! instead of a supervised target in the recall window the agent *chooses* left (0)
//! or right (1) once, at the last step of the recall window, from the chip's policy
//! readouts (readout 2 is the value), and gets reward +1 when the choice is the
//! majority side, 0 otherwise. The episode then ends.
//!
//! The trial of episode `e` is cue sample `e` of the [`CueConfig`] (same seed, same
//! spikes as the supervised task); the action is drawn from the chip PRNG
//! ([`neurochip_core::reward`]), so the host and the firmware make the same choices.
//! The float twin runs the same trials (same sample ids) and draws its actions from
//! its own generator ([`ActionDraws`]).
//!
//! [`workload`] is the digest workload that the host and the firmware (feature
//! `reward`) compare: a small chip built without std, trained for a few episodes.

use core::fmt;

use neurochip_core::reward::{self, Critic, RewardError, RewardParams};
use neurochip_core::{
    Apply, Chip, ChipConfig, ConfigBuilder, ConfigError, Engine, Feedback, Format, Formats, Layout,
    Learning, Memory, Prng, Rounding, Shifts, StepError,
};

use crate::cue::CueConfig;
use crate::rng::StepHasher;
use crate::Spikes;

/// What one episode did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Episode {
    /// Action taken (0 left, 1 right).
    pub action: usize,
    /// The correct side.
    pub label: usize,
    /// Reward in the readout format (one, or zero).
    pub reward: i32,
    /// TD error applied at the end (readout format); 0 when not learning.
    pub delta: i32,
    /// Value estimate at the decision (readout format).
    pub value: i32,
    /// Recurrent spikes in the episode.
    pub spikes: u64,
}

impl Episode {
    /// Whether the choice was rewarded.
    pub fn success(&self) -> bool {
        self.action == self.label
    }
}

/// One in the readout format of `chip` (the reward of a correct choice).
pub fn reward_one(chip: &Chip) -> i32 {
    let rf = chip.config().formats().readout.frac().min(30);
    1i32 << rf
}

/// Run episode `index` of `task` on the chip. With `learn`, the agent acts from its
/// policy (sampled) and learns (actor–critic); without, it takes the policy's most
/// probable action (first on ties) and nothing changes but the dynamic state.
pub fn run_episode(
    chip: &mut Chip,
    mem: &mut Memory<'_>,
    task: &CueConfig,
    p: &RewardParams,
    index: u64,
    x: &mut Spikes,
    learn: bool,
) -> Result<Episode, StepError> {
    let s = task.sample(index);
    let label = usize::from(s.label());
    mem.reset_state();
    let mut critic = Critic::default();
    let mut spikes = 0u64;
    let steps = s.steps();
    let mut ep = Episode {
        action: 0,
        label,
        reward: 0,
        delta: 0,
        value: 0,
        spikes: 0,
    };
    for t in 0..steps {
        s.spikes(t, x);
        chip.step(mem, x)?;
        spikes = spikes.wrapping_add(mem.z.count_ones() as u64);
        if t.wrapping_add(1) == steps {
            ep.value = mem.y.get(p.n_actions).copied().unwrap_or(0);
            if learn {
                let (a, _) = reward::act(chip, mem, p, &mut critic, 0)?;
                ep.action = a;
            } else {
                ep.action = greedy(mem.y, p.n_actions);
            }
        }
    }
    ep.reward = if ep.action == label {
        reward_one(chip)
    } else {
        0
    };
    if learn {
        ep.delta = reward::finish(chip, mem, &mut critic, ep.reward)?;
    }
    ep.spikes = spikes;
    Ok(ep)
}

/// The most probable action: the largest of the first `n_actions` readouts (the first
/// on ties).
pub fn greedy(y: &[i32], n_actions: usize) -> usize {
    let mut best = 0;
    for (k, &v) in y.iter().take(n_actions).enumerate() {
        if y.get(best).is_some_and(|&b| v > b) {
            best = k;
        }
    }
    best
}

/// Uniform draws in `[0, 1)` for the float twin's actions, counter based like the
/// task generators: draw `e` of `seed` is a pure function of both.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ActionDraws {
    seed: u64,
}

impl ActionDraws {
    /// Draws of `seed`.
    pub fn new(seed: u64) -> Self {
        Self { seed }
    }

    /// Draw `k` of episode `e`, in `[0, 1)` with 32 bits.
    pub fn draw(&self, e: u64, k: u64) -> f64 {
        let h = StepHasher::new(self.seed, e, crate::rng::META | 0xAC);
        f64::from((h.word(k) >> 32) as u32) / 4_294_967_296.0
    }
}

/// Inputs of the digest workload's chip (4 populations of 10 channels).
pub const WORKLOAD_IN: usize = 40;
/// Recurrent neurons of the digest workload's chip.
pub const WORKLOAD_REC: usize = 100;
/// Readouts of the digest workload's chip (left, right, value).
pub const WORKLOAD_OUT: usize = 3;
/// Memory layout of the digest workload's chip (exact e-prop, per-sample updates):
/// carve its [`Memory`] from `LAYOUT.words16()`, `words32()` and `wordsu()` words.
pub const WORKLOAD_LAYOUT: Layout = Layout::new(WORKLOAD_IN, WORKLOAD_REC, WORKLOAD_OUT)
    .with_learning(Engine::Exact, Apply::Sample, Feedback::Symmetric, false);
/// The actor–critic of the digest workload (`neurochip experiment reward-cue`):
/// two actions, gamma = 0.9, c_V = 0.5.
pub const WORKLOAD_PARAMS: RewardParams = RewardParams {
    n_actions: 2,
    gamma: 29_491,
    c_v: 16_384,
};
/// Seed of the digest workload's initial weights (a [`Prng`] of its own).
pub const WORKLOAD_WEIGHT_SEED: u64 = 7;

/// Why the digest workload could not run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WorkloadError {
    /// The chip configuration was refused.
    Config(ConfigError),
    /// The configuration cannot run the actor–critic.
    Reward(RewardError),
    /// A step was refused (memory carved for another layout, or a short input).
    Step(StepError),
}

impl fmt::Display for WorkloadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WorkloadError::Config(e) => write!(f, "reward workload: {e}"),
            WorkloadError::Reward(e) => write!(f, "reward workload: {e}"),
            WorkloadError::Step(e) => write!(f, "reward workload: {e}"),
        }
    }
}

/// The cue task of the digest workload: the quick reward-cue trial (3 cues, 200 ms
/// delay, 150 ms recall window; `examples/reward_cue.toml` with the golden test's
/// `n_cues = 3`, `delay_ms = 200` and the same task seed).
pub fn workload_task() -> CueConfig {
    CueConfig {
        n_cues: 3,
        delay_ms: 200,
        seed: 8_816_922_170_484_588_545,
        ..CueConfig::default()
    }
}

/// The chip of the digest workload, built without std: the configuration that
/// `examples/reward_cue.toml` quantises to (40 inputs, 100 LIF neurons, 3 readouts;
/// 16/10 membrane, 8-bit weights, 12/6 traces, 16/8 readout; input shift 3;
/// refractory 5 steps, stochastic leak rounding; exact e-prop in per-sample mode with
/// the example's learning-rate shifts), seed 1.
pub fn workload_config() -> Result<ChipConfig, WorkloadError> {
    let fmt = |f: Option<Format>| {
        f.ok_or(WorkloadError::Config(ConfigError::OutOfRange {
            field: "formats",
            value: 0,
            min: 0,
            max: 0,
        }))
    };
    let formats = Formats {
        membrane: fmt(Format::signed(16, 10))?,
        weight: fmt(Format::signed(8, 0))?,
        trace: fmt(Format::unsigned(12, 6))?,
        readout: fmt(Format::signed(16, 8))?,
    };
    let learning = Learning {
        engine: Engine::Exact,
        apply: Apply::Sample,
        trace_decay: 32_752, // exp(-1/2000) in Q1.15: tau_m = 2 s
        elig_decay: 32_119,  // exp(-1/50) in Q1.15: tau_out = 50 ms
        elig: fmt(Format::signed(24, 12))?,
        shift_in: 40,
        shift_rec: 37,
        shift_out: 18,
        shift_bias: 30,
        ..Learning::DEFAULT
    };
    let cfg = ConfigBuilder::new(WORKLOAD_IN, WORKLOAD_REC, WORKLOAD_OUT)
        .formats(formats)
        .shifts(Shifts {
            input: 3,
            recurrent: 0,
            output: 0,
        })
        .refractory(5)
        .leak_rounding(Rounding::Stochastic)
        .learning(learning)
        .seed(1)
        .build()
        .map_err(WorkloadError::Config)?;
    reward::check(&cfg, &WORKLOAD_PARAMS).map_err(WorkloadError::Reward)?;
    Ok(cfg)
}

/// A weight uniform in `-a..=a` from `rng`.
fn uniform(rng: &mut Prng, a: u32) -> i16 {
    let span = a.saturating_mul(2).saturating_add(1);
    let v = i64::from(rng.next_u32() % span) - i64::from(a);
    i16::try_from(v).unwrap_or(0)
}

/// The reward-cue digest workload: the chip of [`workload_config`] in `mem` (carved
/// for [`WORKLOAD_LAYOUT`]), its parameters as the example quantises them (leak
/// exp(-1/2000), readout decay exp(-1/50), threshold 1, pseudo-derivative gain 0.3,
/// no self-connections) and initial weights uniform with the example's spread
/// (input ±35, recurrent ±53, readout ±44, about the rms of its Gaussian weights)
/// drawn from `Prng::new(WORKLOAD_WEIGHT_SEED)`; then `episodes` episodes of
/// [`workload_task`] with learning (actions from the chip PRNG, reward-modulated
/// updates at the end of each). `x` needs [`WORKLOAD_IN`] bits. Returns the chip
/// digest (final weights folded in) and the number of rewarded episodes.
pub fn workload(
    mem: &mut Memory<'_>,
    x: &mut Spikes,
    episodes: u64,
) -> Result<(u64, u64), WorkloadError> {
    let cfg = workload_config()?;
    mem.init_default_params(&cfg);
    mem.alpha.fill(32_752);
    mem.rho.fill(32_752);
    mem.kappa.fill(32_119);
    mem.psi_gain.fill(19_661); // 0.3 in Q16.16
    let mut rng = Prng::new(WORKLOAD_WEIGHT_SEED);
    for w in mem.w_in.iter_mut() {
        *w = uniform(&mut rng, 35);
    }
    for (i, w) in mem.w_rec.iter_mut().enumerate() {
        let v = uniform(&mut rng, 53);
        let (pre, post) = (i / WORKLOAD_REC, i % WORKLOAD_REC);
        *w = if pre == post { 0 } else { v };
    }
    for d in 0..WORKLOAD_REC {
        let i = d.saturating_mul(WORKLOAD_REC).saturating_add(d);
        if i < mem.mask_rec.len() {
            mem.mask_rec.set(i, false);
        }
    }
    for w in mem.w_out.iter_mut() {
        *w = uniform(&mut rng, 44);
    }
    mem.reset_state();
    let mut chip = Chip::new(cfg, mem).map_err(WorkloadError::Step)?;
    let task = workload_task();
    let mut successes = 0u64;
    for e in 0..episodes {
        let ep = run_episode(&mut chip, mem, &task, &WORKLOAD_PARAMS, e, x, true)
            .map_err(WorkloadError::Step)?;
        successes = successes.saturating_add(u64::from(ep.success()));
    }
    chip.fold_weights(mem);
    Ok((chip.digest(), successes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greedy_takes_the_first_largest() {
        assert_eq!(greedy(&[3, 5, 9], 2), 1);
        assert_eq!(greedy(&[5, 5, 9], 2), 0);
        assert_eq!(greedy(&[], 2), 0);
    }

    #[test]
    fn draws_are_uniform_and_repeatable() {
        let d = ActionDraws::new(3);
        let v: Vec<f64> = (0..2000).map(|e| d.draw(e, 0)).collect();
        assert!(v.iter().all(|&x| (0.0..1.0).contains(&x)));
        let m = v.iter().sum::<f64>() / v.len() as f64;
        assert!((m - 0.5).abs() < 0.03, "{m}");
        assert_eq!(d.draw(17, 0), ActionDraws::new(3).draw(17, 0));
    }
}
