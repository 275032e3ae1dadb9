//! The exact gradient of the same loss for the same network, by backpropagation
//! through time: the oracle e-prop is measured against.
//!
//! Forward: the dynamics of [`crate::sim`], storing every state. Loss: the sum over
//! the target-valid steps of the cross-entropy of `softmax(y_t)` (classification) or
//! of `0.5 |y_t - y*_t|^2` (regression). Spikes use the pseudo-derivative `psi`
//! (zero while refractory). The reset term `-z[t] v_th` of the membrane follows a
//! [`Reset`] convention: [`Reset::Detached`] (the e-prop derivation, Bellec et al.
//! 2020: no gradient flows through it) or [`Reset::Differentiated`] (their BPTT
//! baseline in TensorFlow, where it is part of the graph). Backward, with `dy`, `dz`,
//! `dv`, `db` the adjoints (each decay and `beta`, `v_th` the unit's own):
//!
//! ```text
//! dy_t = err_t + kappa dy_{t+1}
//! dz_t = W_out dy_t + W_rec^T dv_{t+1} + db_{t+1}  [- v_th dv_{t+1}: Differentiated]
//! dv_t = psi_t dz_t + alpha dv_{t+1}
//! db_t = -beta psi_t dz_t + rho db_{t+1}
//! ```
//!
//! and `dW_in = sum_t x_t dv_t`, `dW_rec = sum_t z_{t-1} dv_t`,
//! `dW_out = sum_t z_t dy_t`, `dbias = sum_t dy_t`. Without recurrent weights,
//! [`Reset::Detached`] is what e-prop ([`crate::Learner`], [`crate::Decays::Network`])
//! computes exactly, for LIF and ALIF, with any per-neuron and per-readout decays.

use crate::eprop::{softmax, FTarget, Grads};
use crate::network::Network;
use crate::sim::Reference;

/// How the gradient treats the membrane reset `-z[t] v_th`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reset {
    /// No gradient through the reset (the e-prop derivation; e-prop's comparisons use it).
    Detached,
    /// The reset is differentiated through `z` (the BPTT baseline of Bellec et al.
    /// 2020, as TensorFlow computes it).
    Differentiated,
}

impl Reset {
    /// How reports name the convention: `"reset detached"` or `"reset differentiated"`.
    pub fn label(self) -> &'static str {
        match self {
            Reset::Detached => "reset detached",
            Reset::Differentiated => "reset differentiated",
        }
    }
}

/// The exact gradient and loss of one sample, from the reset state, with the reset
/// convention `reset`.
pub fn gradient(
    net: &Network,
    inputs: &[Vec<bool>],
    targets: &[FTarget<'_>],
    reset: Reset,
) -> (Grads, f64) {
    let (ni, n, o) = (net.n_in, net.n_rec, net.n_out);
    let steps = inputs.len();
    let mut sim = Reference::new(net.clone());
    let mut z_hist = vec![vec![false; n]; steps + 1]; // z_hist[t+1] = spikes at step t
    let mut psi_hist = vec![vec![0.0; n]; steps];
    let mut err_hist = vec![vec![0.0; o]; steps];
    let mut loss = 0.0;
    for t in 0..steps {
        sim.step(&inputs[t]);
        z_hist[t + 1] = sim.z.clone();
        psi_hist[t] = sim.psi.clone();
        match targets.get(t).copied().unwrap_or(FTarget::None) {
            FTarget::None => {}
            FTarget::Class(c) => {
                let mut pi = softmax(&sim.y);
                loss -= pi[c].max(1e-300).ln();
                pi[c] -= 1.0;
                err_hist[t] = pi;
            }
            FTarget::Values(v) => {
                let e: Vec<f64> = sim.y.iter().zip(v).map(|(y, t)| y - t).collect();
                loss += 0.5 * e.iter().map(|x| x * x).sum::<f64>();
                err_hist[t] = e;
            }
            FTarget::Error(e) => {
                // An error given directly has no loss of its own; it only drives the
                // gradient.
                let mut e = e.to_vec();
                e.resize(sim.y.len(), 0.0);
                err_hist[t] = e;
            }
        }
    }
    let mut g = Grads {
        w_in: vec![0.0; ni * n],
        w_rec: vec![0.0; n * n],
        w_out: vec![0.0; n * o],
        bias: vec![0.0; o],
    };
    let mut dy = vec![0.0; o];
    let mut dv_next = vec![0.0; n];
    let mut db_next = vec![0.0; n];
    for t in (0..steps).rev() {
        for k in 0..o {
            dy[k] = err_hist[t][k] + net.kappa[k] * dy[k];
        }
        let z = &z_hist[t + 1];
        let mut dv = vec![0.0; n];
        let mut db = vec![0.0; n];
        for j in 0..n {
            let mut dz: f64 = (0..o).map(|k| net.w_out[j * o + k] * dy[k]).sum();
            for (m, &dvm) in dv_next.iter().enumerate() {
                dz += net.w_rec[j * n + m] * dvm;
            }
            if net.beta[j] != 0.0 {
                dz += db_next[j];
            }
            if reset == Reset::Differentiated {
                dz -= net.thr[j] * dv_next[j];
            }
            let p = psi_hist[t][j];
            dv[j] = p * dz + net.alpha[j] * dv_next[j];
            db[j] = -net.beta[j] * p * dz + net.rho[j] * db_next[j];
        }
        for j in 0..n {
            if z[j] {
                for k in 0..o {
                    g.w_out[j * o + k] += dy[k];
                }
            }
        }
        for k in 0..o {
            g.bias[k] += dy[k];
        }
        for (i, &x) in inputs[t].iter().enumerate() {
            if x {
                for j in 0..n {
                    g.w_in[i * n + j] += dv[j];
                }
            }
        }
        for (i, &zp) in z_hist[t].iter().enumerate() {
            if zp {
                for j in 0..n {
                    g.w_rec[i * n + j] += dv[j];
                }
            }
        }
        dv_next = dv;
        db_next = db;
    }
    for (gw, &m) in g.w_in.iter_mut().zip(&net.mask_in) {
        if !m {
            *gw = 0.0;
        }
    }
    for (gw, &m) in g.w_rec.iter_mut().zip(&net.mask_rec) {
        if !m {
            *gw = 0.0;
        }
    }
    for (gw, &m) in g.w_out.iter_mut().zip(&net.mask_out) {
        if !m {
            *gw = 0.0;
        }
    }
    (g, loss)
}

/// Cosine similarity of two vectors (0 when either is zero).
pub fn cosine(a: &[f64], b: &[f64]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na: f64 = a.iter().map(|x| x * x).sum::<f64>().sqrt();
    let nb: f64 = b.iter().map(|x| x * x).sum::<f64>().sqrt();
    if na == 0.0 || nb == 0.0 {
        0.0
    } else {
        dot / (na * nb)
    }
}
