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
//! A chip image of application kind 3 ([`crate::app::TaskSpec::RewardCue`]) runs these
//! episodes through [`crate::runner::run_app`], on the host and on the firmware alike.

use neurochip_core::reward::{AgentOp, Critic, RewardParams};
use neurochip_core::{ChipConfig, Datapath, Memory, StepError};

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

/// One in the readout format of `cfg` (the reward of a correct choice).
pub fn reward_one(cfg: &ChipConfig) -> i32 {
    let rf = cfg.formats().readout.frac().min(30);
    1i32 << rf
}

/// Run episode `index` of `task` on the chip. With `learn`, the agent acts from its
/// policy (sampled) and learns (actor–critic); without, it takes the policy's most
/// probable action (first on ties) and nothing changes but the dynamic state.
pub fn run_episode(
    chip: &mut (impl Datapath + ?Sized),
    mem: &mut Memory<'_>,
    task: &CueConfig,
    p: &RewardParams,
    index: u64,
    x: &mut Spikes,
    learn: bool,
) -> Result<Episode, StepError> {
    let s = task.sample(index);
    let label = usize::from(s.label());
    chip.begin_sample(mem);
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
                let act = AgentOp::Act {
                    params: p,
                    reward: 0,
                };
                let (a, _) = chip.agent(mem, &mut critic, act)?;
                ep.action = a;
            } else {
                ep.action = greedy(mem.y, p.n_actions);
            }
        }
    }
    ep.reward = if ep.action == label {
        reward_one(chip.config())
    } else {
        0
    };
    if learn {
        let finish = AgentOp::Finish { reward: ep.reward };
        ep.delta = chip.agent(mem, &mut critic, finish)?.1;
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
