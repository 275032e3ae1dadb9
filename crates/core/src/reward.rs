//! Reward-based e-prop: an actor–critic on the chip (Bellec et al. 2020, Nat.
//! Commun. 11:3625, Methods, "Reward-based e-prop").
//!
//! The readouts are split: readouts `0..n_actions` are the policy's logits, readout
//! `n_actions` is the value estimate `V` (readout format). At an *agent step* (the
//! run loop decides when: e.g. once at the end of a cue-accumulation trial, or every
//! few steps in a navigation task) the chip
//!
//! 1. computes the TD error of the previous agent step, in the readout format,
//!    `delta = r + gamma * V(now) - V(prev)` ([`td_error`]; `gamma` Q1.15, the product
//!    rounded to nearest), and applies the reward-modulated update
//!    `W += delta * G` ([`reinforce`]; `G` the filtered update below, `delta * G`
//!    scaled by `2^-rf` and stochastically rounded to weight LSBs);
//! 2. computes the policy `pi = softmax(y_0..y_{n_actions})` (Q0.15, the chip's
//!    fixed-point softmax) and draws the action `a` from the chip PRNG
//!    ([`sample_action`]);
//! 3. sets the per-readout errors ([`actor_critic_error`], Q0.15)
//!    `err_k = pi_k - onehot(a)_k` for the policy readouts and `err_V = -c_V` for the
//!    value readout, so that the broadcast learning signal of the supervised circuit
//!    ([`crate::eprop::learning_signal`]) is
//!    `L_j = -c_V B^V_j + sum_k B^pi_jk (pi_k - onehot(a)_k)` (plus rate
//!    regularisation when configured);
//! 4. decays the per-synapse accumulators by `gamma` and adds this step's update
//!    `-(L_j ebar_ji) >> shift` (the supervised circuit in per-sample mode):
//!    `G <- gamma G + d`, i.e. `G = F_gamma(-L ebar)` of the paper, and the same for
//!    the readout weights (`-(err_k zk_j) >> shift_out`) and biases.
//!
//! At the end of an episode, [`finish`] applies the last TD error
//! `delta = r - V(prev)` (a terminal state has value 0) and clears `G`.
//!
//! So the weights follow `dW = -eta * sum_t delta_t F_gamma(L_j^t ebar_ji^t)`: the
//! paper's update. Written per step, the reward-modulated signal that multiplies
//! `ebar` is `delta * L_j = -c_V B^V_j delta + delta * sum_k B^pi_jk (pi_k -
//! onehot(a)_k)`: the value term is the issue's `-c_V B^V_j delta`, and the policy
//! term is modulated by the same `delta` (without it the policy term would only make
//! the policy more certain of whatever it did).
//!
//! The per-synapse accumulators `G` are the per-sample update accumulators of
//! [`crate::Apply::Sample`], which a reward configuration therefore needs ([`check`]);
//! the run loop never calls [`crate::Chip::end_sample`] in an episode. Both engines
//! work: with the light engine `d` is its stochastic +-1 LSB step.
//!
//! Nothing here changes the supervised path: a chip that never calls these functions
//! computes the same bits as before.

use crate::chip::{Chip, StepError};
use crate::config::ChipConfig;
use crate::eprop::{Target, GRAD_FRAC};
use crate::hash::{self, layer};
use crate::learning::{Apply, Engine};
use crate::memory::Memory;
use crate::prng::Prng;
use crate::softmax::{softmax_q15, ONE_Q15};

/// Most readouts (policy logits and value) a reward configuration may have.
pub const MAX_READOUTS: usize = 64;

/// Parameters of the actor–critic (run-loop registers, not chip memory).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RewardParams {
    /// Number of actions: readouts `0..n_actions` are the policy logits, readout
    /// `n_actions` the value.
    pub n_actions: usize,
    /// Discount per agent step `gamma`, Q1.15 raw (`32768` = 1): the TD target and the
    /// filter `F_gamma` of the accumulated updates.
    pub gamma: u16,
    /// Weight `c_V` of the value loss, Q1.15 raw.
    pub c_v: u16,
}

/// Why a chip configuration cannot run the actor–critic.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RewardError {
    /// The chip has no learning engine.
    #[error("reward learning needs a learning engine (exact or light)")]
    Engine,
    /// The chip does not keep per-sample update accumulators (`apply = "sample"`).
    #[error(
        "reward learning needs apply = \"sample\" (its per-synapse accumulators hold the filtered updates)"
    )]
    Apply,
    /// Wrong number of readouts (`n_actions + 1` needed, `2..=MAX_READOUTS`).
    #[error(
        "reward learning needs {needed} readouts (one per action and one value), the chip has {got}"
    )]
    Readouts {
        /// Readouts needed.
        needed: usize,
        /// Readouts the chip has.
        got: usize,
    },
    /// Fewer than two actions.
    #[error("reward learning needs at least 2 actions, got {0}")]
    Actions(usize),
}

/// Check that `cfg` can run the actor–critic of `p`.
pub fn check(cfg: &ChipConfig, p: &RewardParams) -> Result<(), RewardError> {
    let l = cfg.learning();
    if l.engine == Engine::Off {
        return Err(RewardError::Engine);
    }
    if l.apply != Apply::Sample {
        return Err(RewardError::Apply);
    }
    if p.n_actions < 2 {
        return Err(RewardError::Actions(p.n_actions));
    }
    let needed = p.n_actions.saturating_add(1);
    if cfg.n_out() != needed || needed > MAX_READOUTS {
        return Err(RewardError::Readouts {
            needed,
            got: cfg.n_out(),
        });
    }
    Ok(())
}

/// The critic's registers between agent steps.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Critic {
    /// Value at the last agent step (readout format), if there was one this episode.
    pub v_prev: Option<i32>,
}

/// `x * a` for a Q1.15 factor, rounded to nearest.
#[inline]
fn mul_q15(x: i64, a: u16) -> i64 {
    x.saturating_mul(i64::from(a)).saturating_add(1 << 14) >> 15
}

/// TD error in the readout format: `r + gamma * v_next - v_prev`, with
/// `v_next = None` for a terminal state (value 0). `gamma * v_next` is rounded to
/// nearest; the result saturates to `i32`.
pub fn td_error(reward: i32, v_next: Option<i32>, v_prev: i32, gamma: u16) -> i32 {
    let next = v_next.map_or(0, |v| mul_q15(i64::from(v), gamma));
    let d = i64::from(reward)
        .saturating_add(next)
        .saturating_sub(i64::from(v_prev));
    d.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
}

/// The policy: softmax of the first `pi.len()` readouts (`frac` fractional bits) into
/// `pi`, Q0.15.
pub fn policy(y: &[i32], frac: u32, pi: &mut [i32]) {
    let n = pi.len().min(y.len());
    if let (Some(y), Some(pi)) = (y.get(..n), pi.get_mut(..n)) {
        softmax_q15(y, frac, pi);
    }
}

/// Draw an action from `pi` (Q0.15) with 15 bits of the PRNG: the first `k` whose
/// cumulative probability exceeds the draw; the last action when rounding leaves the
/// sum below one.
pub fn sample_action(pi: &[i32], prng: &mut Prng) -> usize {
    let u = i64::from(prng.next_u32() >> 17);
    let mut acc = 0i64;
    for (k, &p) in pi.iter().enumerate() {
        acc = acc.saturating_add(i64::from(p));
        if u < acc {
            return k;
        }
    }
    pi.len().saturating_sub(1)
}

/// Per-readout errors of the actor–critic, Q0.15: `err_k = pi_k - onehot(a)_k` for
/// `k < pi.len()`, `err[pi.len()] = -c_V`, the rest zero.
pub fn actor_critic_error(pi: &[i32], action: usize, c_v: u16, err: &mut [i32]) {
    err.fill(0);
    for (k, (e, &p)) in err.iter_mut().zip(pi).enumerate() {
        *e = if k == action {
            p.saturating_sub(ONE_Q15)
        } else {
            p
        };
    }
    if let Some(e) = err.get_mut(pi.len()) {
        *e = 0i32.saturating_sub(i32::from(c_v));
    }
}

/// Decay the per-synapse accumulators by `gamma` (Q1.15, nearest): the filter
/// `F_gamma` before this step's update is added.
pub fn decay_updates(mem: &mut Memory<'_>, gamma: u16) {
    for g in [
        &mut *mem.g_in,
        &mut *mem.g_rec,
        &mut *mem.g_out,
        &mut *mem.g_bias,
    ] {
        for x in g.iter_mut() {
            *x = mul_q15(i64::from(*x), gamma).clamp(i64::from(i32::MIN), i64::from(i32::MAX))
                as i32;
        }
    }
}

/// The reward-modulated update `W += delta * G`: `delta` in the readout format (`rf`
/// fractional bits), `G` in weight (bias) LSBs with [`GRAD_FRAC`] more fractional
/// bits; each change is stochastically rounded to one LSB, weights saturate, Dale's
/// law is kept, masked synapses never change (their `G` is zero). Returns whether
/// anything was applied (`delta != 0`).
pub fn reinforce(cfg: &ChipConfig, mem: &mut Memory<'_>, step: u64, delta: i32) -> bool {
    if delta == 0 {
        return false;
    }
    let rf = cfg.formats().readout.frac();
    let wf = cfg.formats().weight;
    let l = cfg.learning();
    let n = mem.layout.n_rec;
    let k = GRAD_FRAC.saturating_add(rf);
    let d = i64::from(delta);
    let seed = cfg.seed();
    let base = |code| hash::step_base(seed, step, code, hash::draw::REINFORCE);
    // `w + delta * g`, scaled by `2^-k`, stochastically rounded with the synapse's
    // own draw.
    let add = |w: i64, g: i32, b: u32, idx: usize| -> i64 {
        if g == 0 {
            return w;
        }
        w.saturating_add(hash::dither_shift(
            d.saturating_mul(i64::from(g)),
            k,
            b,
            idx,
        ))
    };
    let b_in = base(layer::INPUT);
    for (idx, (w, &g)) in mem.w_in.iter_mut().zip(mem.g_in.iter()).enumerate() {
        *w = wf.saturate(add(i64::from(*w), g, b_in, idx)) as i16;
    }
    let b_rec = base(layer::RECURRENT);
    for (idx, (w, &g)) in mem.w_rec.iter_mut().zip(mem.g_rec.iter()).enumerate() {
        let v = i64::from(wf.saturate(add(i64::from(*w), g, b_rec, idx)));
        let sign = if l.dale {
            idx.checked_div(n).and_then(|i| mem.exc.get(i).map(|b| *b))
        } else {
            None
        };
        *w = match sign {
            Some(true) => v.max(0),
            Some(false) => v.min(0),
            None => v,
        } as i16;
    }
    let b_out = base(layer::READOUT);
    for (idx, (w, &g)) in mem.w_out.iter_mut().zip(mem.g_out.iter()).enumerate() {
        *w = wf.saturate(add(i64::from(*w), g, b_out, idx)) as i16;
    }
    let bf = cfg.formats().readout;
    let b_bias = base(layer::BIAS);
    for (idx, (b, &g)) in mem.bias.iter_mut().zip(mem.g_bias.iter()).enumerate() {
        *b = bf.saturate(add(i64::from(*b), g, b_bias, idx));
    }
    true
}

/// One agent step after [`Chip::step`]: apply the TD error of the previous agent step
/// (with `reward` received since it), draw an action, and add this step's filtered
/// update. Returns the action and the TD error applied (0 at the first agent step of
/// an episode). Weights changed by the update are folded into the digest.
pub fn act(
    chip: &mut Chip,
    mem: &mut Memory<'_>,
    p: &RewardParams,
    critic: &mut Critic,
    reward: i32,
) -> Result<(usize, i32), StepError> {
    let cfg = *chip.config();
    let na = p.n_actions.min(MAX_READOUTS.saturating_sub(1));
    let v = mem.y.get(na).copied().unwrap_or(0);
    let mut delta = 0;
    if let Some(v_prev) = critic.v_prev {
        delta = td_error(reward, Some(v), v_prev, p.gamma);
        reinforce(&cfg, mem, chip.steps(), delta);
    }
    let rf = cfg.formats().readout.frac();
    let mut pi = [0i32; MAX_READOUTS];
    let pi = pi.get_mut(..na).unwrap_or(&mut []);
    policy(mem.y, rf, pi);
    let action = sample_action(pi, chip.prng_mut());
    let mut err = [0i32; MAX_READOUTS];
    actor_critic_error(pi, action, p.c_v, &mut err);
    let o = mem.y.len().min(MAX_READOUTS);
    decay_updates(mem, p.gamma);
    chip.learn(mem, Target::Error(err.get(..o).unwrap_or(&[])))?;
    critic.v_prev = Some(v);
    if delta != 0 {
        chip.fold_weights(mem);
    }
    Ok((action, delta))
}

/// What an agent step gives: the action (0 at the end of an episode) and the TD
/// error applied, or why the step failed.
pub type AgentOut = Result<(usize, i32), StepError>;

/// What the actor–critic circuit is asked to do ([`crate::Datapath::agent`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AgentOp<'p> {
    /// An agent step ([`act`]) with the reward received since the last one.
    Act {
        /// The actor–critic's registers.
        params: &'p RewardParams,
        /// Reward, readout format.
        reward: i32,
    },
    /// The end of an episode ([`finish`]) with its last reward.
    Finish {
        /// Reward, readout format.
        reward: i32,
    },
}

/// Run `op` on `chip`: returns the action (0 for [`AgentOp::Finish`]) and the TD error
/// applied.
pub fn agent(
    chip: &mut Chip,
    mem: &mut Memory<'_>,
    critic: &mut Critic,
    op: AgentOp<'_>,
) -> AgentOut {
    match op {
        AgentOp::Act { params, reward } => act(chip, mem, params, critic, reward),
        AgentOp::Finish { reward } => finish(chip, mem, critic, reward).map(|d| (0, d)),
    }
}

/// End of an episode with the last `reward`: apply `delta = r - V(prev)` (the
/// terminal state has value 0), clear the accumulators and the critic, fold the
/// weights into the digest. Returns the TD error.
pub fn finish(
    chip: &mut Chip,
    mem: &mut Memory<'_>,
    critic: &mut Critic,
    reward: i32,
) -> Result<i32, StepError> {
    let cfg = *chip.config();
    let mut delta = 0;
    if let Some(v_prev) = critic.v_prev {
        delta = td_error(reward, None, v_prev, 0);
        reinforce(&cfg, mem, chip.steps(), delta);
    }
    mem.clear_updates();
    critic.v_prev = None;
    chip.fold_weights(mem);
    Ok(delta)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn td_error_terminal_and_discounted() {
        // Readout format with 8 fractional bits: 1.0 = 256.
        assert_eq!(td_error(256, None, 100, 0), 156);
        assert_eq!(td_error(0, Some(200), 50, 1 << 15), 150);
        assert_eq!(td_error(0, Some(200), 0, 1 << 14), 100);
        assert_eq!(
            td_error(i32::MAX, Some(i32::MAX), i32::MIN, 1 << 15),
            i32::MAX
        );
    }

    #[test]
    fn errors_sum_to_zero_over_the_policy() {
        let pi = [10_000, 22_768];
        let mut err = [0; 4];
        actor_critic_error(&pi, 1, 16_384, &mut err);
        assert_eq!(err, [10_000, -10_000, -16_384, 0]);
    }

    #[test]
    fn sampling_follows_the_policy() {
        let mut prng = Prng::new(7);
        let pi = [8192, 24576];
        let ones: usize = (0..4000).map(|_| sample_action(&pi, &mut prng)).sum();
        assert!((2800..3200).contains(&ones), "{ones}");
        assert_eq!(sample_action(&[0, 0], &mut prng), 1);
    }
}
