//! Reward-based e-prop (actor–critic) in f64: the twin of
//! `neurochip_core::reward`, without rounding.
//!
//! Readouts `0..n_actions` are the policy logits, readout `n_actions` the value `V`.
//! At an agent step:
//!
//! ```text
//! delta  = r + gamma V(now) - V(prev)           (previous agent step, if any)
//! W     -= eta delta G                          (per layer rate, Dale's law kept)
//! pi     = softmax(y_0..y_{n_actions}),  a ~ pi
//! err_k  = pi_k - onehot(a)_k,  err_V = -c_V
//! L_j    = sum_k B_jk err_k = -c_V B^V_j + sum_k B^pi_jk (pi_k - onehot(a)_k)
//! G      = gamma G + (L_j ebar_ji, err_k zk_j, err_k bk)
//! ```
//!
//! and at the end of an episode `delta = r - V(prev)`, `W -= eta delta G`, `G = 0`.
//! The gradient of each step comes from the supervised [`Learner`] (per-sample mode,
//! so it only accumulates), asked for the errors above through a regression target
//! `y - err`.

use crate::eprop::{softmax, FTarget, Grads, Learner};
use crate::sim::Reference;

/// Parameters of the float actor–critic.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RewardParams {
    /// Number of actions (readouts `0..n_actions`); readout `n_actions` is the value.
    pub n_actions: usize,
    /// Discount per agent step, and the filter of the accumulated gradients.
    pub gamma: f64,
    /// Weight of the value loss.
    pub c_v: f64,
}

/// TD error `r + gamma v_next - v_prev`; `v_next = None` for a terminal state.
pub fn td_error(reward: f64, v_next: Option<f64>, v_prev: f64, gamma: f64) -> f64 {
    reward + gamma * v_next.unwrap_or(0.0) - v_prev
}

/// Per-readout errors: `pi_k - onehot(a)_k`, then `-c_V` for the value readout.
pub fn actor_critic_error(pi: &[f64], action: usize, c_v: f64) -> Vec<f64> {
    let mut e: Vec<f64> = pi
        .iter()
        .enumerate()
        .map(|(k, &p)| if k == action { p - 1.0 } else { p })
        .collect();
    e.push(-c_v);
    e
}

/// The action whose cumulative probability first exceeds `draw` (in `[0, 1)`); the
/// last one when rounding leaves the sum below `draw`.
pub fn sample_action(pi: &[f64], draw: f64) -> usize {
    let mut acc = 0.0;
    for (k, &p) in pi.iter().enumerate() {
        acc += p;
        if draw < acc {
            return k;
        }
    }
    pi.len().saturating_sub(1)
}

/// The float actor–critic beside a [`Learner`] (which must be in per-sample mode,
/// `online = false`).
#[derive(Clone, Debug)]
pub struct ActorCritic {
    /// Parameters.
    pub p: RewardParams,
    /// Value at the last agent step of this episode.
    pub v_prev: Option<f64>,
    /// Filtered gradients `F_gamma(L ebar)` (and readout, bias).
    pub g: Grads,
}

fn zero(g: &mut Grads) {
    for v in [&mut g.w_in, &mut g.w_rec, &mut g.w_out, &mut g.bias] {
        v.fill(0.0);
    }
}

impl ActorCritic {
    /// An actor–critic for the network of `sim`.
    pub fn new(p: RewardParams, sim: &Reference) -> Self {
        let n = sim.network();
        Self {
            p,
            v_prev: None,
            g: Grads {
                w_in: vec![0.0; n.n_in * n.n_rec],
                w_rec: vec![0.0; n.n_rec * n.n_rec],
                w_out: vec![0.0; n.n_rec * n.n_out],
                bias: vec![0.0; n.n_out],
            },
        }
    }

    /// The policy of the current readouts.
    pub fn policy(&self, sim: &Reference) -> Vec<f64> {
        softmax(&sim.y[..self.p.n_actions.min(sim.y.len())])
    }

    /// One agent step after [`Learner::step`], with `reward` received since the last
    /// one and `draw` uniform in `[0, 1)` for the action. Returns the action and the
    /// TD error applied (0 at the first agent step of an episode).
    pub fn act(
        &mut self,
        sim: &mut Reference,
        learner: &mut Learner,
        reward: f64,
        draw: f64,
    ) -> (usize, f64) {
        let na = self.p.n_actions;
        let v = sim.y.get(na).copied().unwrap_or(0.0);
        let mut delta = 0.0;
        if let Some(vp) = self.v_prev {
            delta = td_error(reward, Some(v), vp, self.p.gamma);
            self.apply(sim, learner, delta);
        }
        let pi = self.policy(sim);
        let action = sample_action(&pi, draw);
        let err = actor_critic_error(&pi, action, self.p.c_v);
        zero(&mut learner.g);
        learner.learn(sim, FTarget::Error(&err));
        let gamma = self.p.gamma;
        for (a, b) in [
            (&mut self.g.w_in, &learner.g.w_in),
            (&mut self.g.w_rec, &learner.g.w_rec),
            (&mut self.g.w_out, &learner.g.w_out),
            (&mut self.g.bias, &learner.g.bias),
        ] {
            for (x, d) in a.iter_mut().zip(b) {
                *x = gamma * *x + d;
            }
        }
        zero(&mut learner.g);
        self.v_prev = Some(v);
        (action, delta)
    }

    /// End of an episode with the last `reward`: apply `delta = r - V(prev)` and clear
    /// the filtered gradients. Returns the TD error.
    pub fn finish(&mut self, sim: &mut Reference, learner: &Learner, reward: f64) -> f64 {
        let mut delta = 0.0;
        if let Some(vp) = self.v_prev {
            delta = td_error(reward, None, vp, 0.0);
            self.apply(sim, learner, delta);
        }
        zero(&mut self.g);
        self.v_prev = None;
        delta
    }

    /// `W -= eta delta G` with the learner's rates (per-synapse scales, Dale's law).
    fn apply(&self, sim: &mut Reference, learner: &Learner, delta: f64) {
        let p = &learner.p;
        let rs = p.rate_scale.as_ref();
        let scale =
            |v: Option<&Vec<f64>>, k: usize| v.and_then(|v| v.get(k)).copied().unwrap_or(1.0);
        let net = sim.network_mut();
        let n = net.n_rec;
        for (k, (w, g)) in net.w_in.iter_mut().zip(&self.g.w_in).enumerate() {
            *w -= p.eta_in * scale(rs.map(|s| &s.w_in), k) * delta * g;
        }
        for (k, (w, g)) in net.w_rec.iter_mut().zip(&self.g.w_rec).enumerate() {
            *w -= p.eta_rec * scale(rs.map(|s| &s.w_rec), k) * delta * g;
            if p.dale {
                *w = if net.exc[k / n] {
                    w.max(0.0)
                } else {
                    w.min(0.0)
                };
            }
        }
        for (k, (w, g)) in net.w_out.iter_mut().zip(&self.g.w_out).enumerate() {
            *w -= p.eta_out * scale(rs.map(|s| &s.w_out), k) * delta * g;
        }
        for (b, g) in net.bias.iter_mut().zip(&self.g.bias) {
            *b -= p.eta_bias * delta * g;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn td_and_errors() {
        assert_eq!(td_error(1.0, None, 0.25, 0.9), 0.75);
        assert!((td_error(0.0, Some(1.0), 0.5, 0.9) - 0.4).abs() < 1e-12);
        assert_eq!(
            actor_critic_error(&[0.25, 0.75], 0, 0.5),
            vec![-0.75, 0.75, -0.5]
        );
        assert_eq!(sample_action(&[0.25, 0.75], 0.2), 0);
        assert_eq!(sample_action(&[0.25, 0.75], 0.3), 1);
    }
}
