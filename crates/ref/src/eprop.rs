//! e-prop in f64: the same learning rules as the chip's circuits
//! (`neurochip_core::eprop`), without rounding.
//!
//! Per step (after [`Reference::step`], with `psi` known):
//!
//! ```text
//! xbar_i = a_tr xbar_i + x_i,   zbar_i = a_tr zbar_i + z_i[t-1]   (before the step)
//! e_ji   = psi_j (zbar_i - beta_j eps_ji)
//! eps_ji <- psi_j zbar_i + (rho_j - psi_j beta_j) eps_ji
//! ebar_ji <- kappa ebar_ji + e_ji
//! zk_j   = kappa zk_j + z_j[t]
//! ```
//!
//! Inside the target window: `err_k = pi_k - onehot_k` (softmax) or `y_k - y*_k`;
//! `L_j = sum_k B_jk err_k`; gradients `g_ji += L_j ebar_ji` (exact) or
//! `L_j zbar_i psi_j` (light: the expectation of the chip's stochastic +-1 steps,
//! unfiltered), `g_out_jk += err_k zk_j`, `g_b_k += err_k bk` (`bk = kappa bk + 1`: the bias
//! sits inside the readout's leaky integration, so its eligibility is filtered too). Updates are
//! `W -= eta g`, online or at the end of a sample.

use crate::sim::Reference;

/// Which rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// Exact e-prop with filtered per-synapse eligibility.
    Exact,
    /// The light engine's expected update.
    Light,
}

/// Learning hyper-parameters of the float learner.
#[derive(Clone, Debug, PartialEq)]
pub struct LearnParams {
    /// Rule.
    pub rule: Rule,
    /// Presynaptic trace decay.
    pub trace_decay: f64,
    /// Eligibility filter (readout) decay `kappa`.
    pub kappa: f64,
    /// Learning rate of input weights.
    pub eta_in: f64,
    /// Learning rate of recurrent weights.
    pub eta_rec: f64,
    /// Learning rate of readout weights.
    pub eta_out: f64,
    /// Learning rate of readout biases.
    pub eta_bias: f64,
    /// Random feedback `B[j * n_out + k]`; `None` = symmetric (`W_out`).
    pub feedback: Option<Vec<f64>>,
    /// Apply every step (true) or at [`Learner::end_sample`].
    pub online: bool,
    /// Classification (softmax) or regression.
    pub classification: bool,
    /// Dale's law on recurrent weights.
    pub dale: bool,
    /// Learn input and recurrent weights.
    pub learn_hidden: bool,
    /// Learn readout weights and biases.
    pub learn_readout: bool,
    /// Rate regularisation `(strength c, target rate per step, estimate decay r)`:
    /// inside the target window `L_j += c (rbar_j - target)` with
    /// `rbar_j = r rbar_j + (1 - r) z_j`.
    pub reg: Option<(f64, f64, f64)>,
    /// Per-synapse learning-rate multipliers (the chip's `lr_spread`); `None`: every
    /// synapse at its layer's rate.
    pub rate_scale: Option<RateScale>,
}

/// Per-synapse multipliers of the learning rates, `2^-offset` for the chip's
/// per-synapse shift offsets, laid out like the weights (row-major, presynaptic row).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RateScale {
    /// Input weights.
    pub w_in: Vec<f64>,
    /// Recurrent weights.
    pub w_rec: Vec<f64>,
    /// Readout weights.
    pub w_out: Vec<f64>,
}

fn scale_of(s: Option<&Vec<f64>>, k: usize) -> f64 {
    s.and_then(|v| v.get(k)).copied().unwrap_or(1.0)
}

impl LearnParams {
    /// Exact e-prop that only accumulates gradients (all rates zero, per-sample mode,
    /// symmetric feedback, classification): what gradient comparisons use.
    pub fn gradient_only(trace_decay: f64, kappa: f64) -> Self {
        Self {
            rule: Rule::Exact,
            trace_decay,
            kappa,
            eta_in: 0.0,
            eta_rec: 0.0,
            eta_out: 0.0,
            eta_bias: 0.0,
            feedback: None,
            online: false,
            classification: true,
            dale: false,
            learn_hidden: true,
            learn_readout: true,
            reg: None,
            rate_scale: None,
        }
    }
}

/// What the readout should produce at a step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FTarget<'a> {
    /// No target.
    None,
    /// Class index.
    Class(usize),
    /// Regression values.
    Values(&'a [f64]),
    /// The output errors given directly, one per readout (the actor–critic's).
    Error(&'a [f64]),
}

/// Per-synapse gradients of one sample (or since the last application).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Grads {
    /// Input weights.
    pub w_in: Vec<f64>,
    /// Recurrent weights.
    pub w_rec: Vec<f64>,
    /// Readout weights.
    pub w_out: Vec<f64>,
    /// Readout biases.
    pub bias: Vec<f64>,
}

impl Grads {
    fn zeros(ni: usize, n: usize, o: usize) -> Self {
        Self {
            w_in: vec![0.0; ni * n],
            w_rec: vec![0.0; n * n],
            w_out: vec![0.0; n * o],
            bias: vec![0.0; o],
        }
    }

    /// All gradients as one vector (input, recurrent, readout, bias).
    pub fn flat(&self) -> Vec<f64> {
        let mut v = self.w_in.clone();
        v.extend_from_slice(&self.w_rec);
        v.extend_from_slice(&self.w_out);
        v.extend_from_slice(&self.bias);
        v
    }
}

/// Softmax probabilities.
pub fn softmax(y: &[f64]) -> Vec<f64> {
    let m = y.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let e: Vec<f64> = y.iter().map(|v| (v - m).exp()).collect();
    let s: f64 = e.iter().sum();
    e.iter().map(|v| v / s).collect()
}

/// The float e-prop learner: the learning state beside a [`Reference`].
#[derive(Clone, Debug)]
pub struct Learner {
    /// Parameters.
    pub p: LearnParams,
    xbar: Vec<f64>,
    zbar: Vec<f64>,
    zk: Vec<f64>,
    /// Eligibility of the readout biases: the constant input filtered with `kappa`
    /// (the bias is inside the readout's leaky integration).
    bk: f64,
    ebar_in: Vec<f64>,
    ebar_rec: Vec<f64>,
    eps_in: Vec<f64>,
    eps_rec: Vec<f64>,
    /// Gradients accumulated since the last application.
    pub g: Grads,
    /// Output error of the last learning step.
    pub err: Vec<f64>,
    /// Learning signal of the last learning step.
    pub l: Vec<f64>,
    /// Firing-rate estimates (per step), kept across samples.
    pub rbar: Vec<f64>,
}

impl Learner {
    /// A learner for the network of `sim`.
    pub fn new(p: LearnParams, sim: &Reference) -> Self {
        let net = sim.network();
        let (ni, n, o) = (net.n_in, net.n_rec, net.n_out);
        Self {
            p,
            xbar: vec![0.0; ni],
            zbar: vec![0.0; n],
            zk: vec![0.0; n],
            bk: 0.0,
            ebar_in: vec![0.0; ni * n],
            ebar_rec: vec![0.0; n * n],
            eps_in: vec![0.0; ni * n],
            eps_rec: vec![0.0; n * n],
            g: Grads::zeros(ni, n, o),
            err: vec![0.0; o],
            l: vec![0.0; n],
            rbar: vec![0.0; n],
        }
    }

    /// Zero the traces (start of a sample); gradients are kept.
    pub fn reset_state(&mut self) {
        for v in [
            &mut self.xbar,
            &mut self.zbar,
            &mut self.zk,
            &mut self.ebar_in,
            &mut self.ebar_rec,
            &mut self.eps_in,
            &mut self.eps_rec,
        ] {
            v.fill(0.0);
        }
        self.bk = 0.0;
    }

    /// One step of the network and of the traces.
    pub fn step(&mut self, sim: &mut Reference, x: &[bool]) -> usize {
        self.step_gated(sim, x, &|_, _| true)
    }

    /// [`Learner::step`] with stochastic synaptic release ([`Reference::step_gated`]):
    /// traces follow the presynaptic spikes, released or not, as on the chip.
    pub fn step_gated(
        &mut self,
        sim: &mut Reference,
        x: &[bool],
        released: &dyn Fn(u32, usize) -> bool,
    ) -> usize {
        let a = self.p.trace_decay;
        for (t, &s) in self.xbar.iter_mut().zip(x) {
            *t = a * *t + if s { 1.0 } else { 0.0 };
        }
        for (t, &s) in self.zbar.iter_mut().zip(&sim.z) {
            *t = a * *t + if s { 1.0 } else { 0.0 };
        }
        let spikes = sim.step_gated(x, released);
        let k = self.p.kappa;
        for (t, &s) in self.zk.iter_mut().zip(&sim.z) {
            *t = k * *t + if s { 1.0 } else { 0.0 };
        }
        self.bk = k * self.bk + 1.0;
        if let Some((_, _, r)) = self.p.reg {
            for (rb, &s) in self.rbar.iter_mut().zip(&sim.z) {
                *rb = r * *rb + if s { 1.0 - r } else { 0.0 };
            }
        }
        if self.p.rule == Rule::Exact {
            let net = sim.network();
            let n = net.n_rec;
            for (trace, ebar, eps) in [
                (&self.xbar, &mut self.ebar_in, &mut self.eps_in),
                (&self.zbar, &mut self.ebar_rec, &mut self.eps_rec),
            ] {
                for (i, &zb) in trace.iter().enumerate() {
                    for j in 0..n {
                        let idx = i * n + j;
                        let p = sim.psi[j];
                        let bj = net.beta[j];
                        let e = p * (zb - bj * eps[idx]);
                        if bj != 0.0 {
                            eps[idx] = p * zb + (net.rho[j] - p * bj) * eps[idx];
                        }
                        ebar[idx] = k * ebar[idx] + e;
                    }
                }
            }
        }
        spikes
    }

    /// The learning step after [`Learner::step`]. Returns whether the target was valid.
    pub fn learn(&mut self, sim: &mut Reference, target: FTarget<'_>) -> bool {
        let (pi, o) = match target {
            FTarget::None => return false,
            FTarget::Class(c) => {
                let mut pi = softmax(&sim.y);
                pi[c] -= 1.0;
                (pi, sim.y.len())
            }
            FTarget::Values(t) => (
                sim.y.iter().zip(t).map(|(y, t)| y - t).collect(),
                sim.y.len(),
            ),
            FTarget::Error(e) => {
                let mut err = e.to_vec();
                err.resize(sim.y.len(), 0.0);
                (err, sim.y.len())
            }
        };
        self.err = pi;
        let net = sim.network();
        let (ni, n) = (net.n_in, net.n_rec);
        let b = self.p.feedback.as_ref().unwrap_or(&net.w_out);
        for j in 0..n {
            self.l[j] = (0..o).map(|k| b[j * o + k] * self.err[k]).sum();
            if let Some((c, target, _)) = self.p.reg {
                self.l[j] += c * (self.rbar[j] - target);
            }
        }
        let mut d = Grads::zeros(ni, n, o);
        if self.p.learn_hidden {
            for (trace, ebar, g) in [
                (&self.xbar, &self.ebar_in, &mut d.w_in),
                (&self.zbar, &self.ebar_rec, &mut d.w_rec),
            ] {
                for (i, &zb) in trace.iter().enumerate() {
                    for j in 0..n {
                        let idx = i * n + j;
                        g[idx] = match self.p.rule {
                            Rule::Exact => self.l[j] * ebar[idx],
                            Rule::Light => self.l[j] * zb * sim.psi[j],
                        };
                    }
                }
            }
            for (g, &m) in d.w_in.iter_mut().zip(&net.mask_in) {
                if !m {
                    *g = 0.0;
                }
            }
            for (g, &m) in d.w_rec.iter_mut().zip(&net.mask_rec) {
                if !m {
                    *g = 0.0;
                }
            }
        }
        if self.p.learn_readout {
            for j in 0..n {
                for k in 0..o {
                    if net.mask_out[j * o + k] {
                        d.w_out[j * o + k] = self.err[k] * self.zk[j];
                    }
                }
            }
            for (d, e) in d.bias.iter_mut().zip(&self.err) {
                *d = e * self.bk;
            }
        }
        if self.p.online {
            apply(&self.p, sim, &d);
        } else {
            add(&mut self.g, &d);
        }
        true
    }

    /// End of a sample: apply the accumulated gradients (per-sample mode) and clear them.
    pub fn end_sample(&mut self, sim: &mut Reference) {
        if !self.p.online {
            let g = std::mem::take(&mut self.g);
            apply(&self.p, sim, &g);
            let net = sim.network();
            self.g = Grads::zeros(net.n_in, net.n_rec, net.n_out);
        }
    }
}

fn add(g: &mut Grads, d: &Grads) {
    for (a, b) in [
        (&mut g.w_in, &d.w_in),
        (&mut g.w_rec, &d.w_rec),
        (&mut g.w_out, &d.w_out),
        (&mut g.bias, &d.bias),
    ] {
        for (x, y) in a.iter_mut().zip(b) {
            *x += y;
        }
    }
}

fn apply(p: &LearnParams, sim: &mut Reference, g: &Grads) {
    let net = sim.network_mut();
    let n = net.n_rec;
    let rs = p.rate_scale.as_ref();
    for (k, (w, d)) in net.w_in.iter_mut().zip(&g.w_in).enumerate() {
        *w -= p.eta_in * scale_of(rs.map(|s| &s.w_in), k) * d;
    }
    for (k, (w, d)) in net.w_rec.iter_mut().zip(&g.w_rec).enumerate() {
        *w -= p.eta_rec * scale_of(rs.map(|s| &s.w_rec), k) * d;
        if p.dale {
            *w = if net.exc[k / n] {
                w.max(0.0)
            } else {
                w.min(0.0)
            };
        }
    }
    for (k, (w, d)) in net.w_out.iter_mut().zip(&g.w_out).enumerate() {
        *w -= p.eta_out * scale_of(rs.map(|s| &s.w_out), k) * d;
    }
    for (b, d) in net.bias.iter_mut().zip(&g.bias) {
        *b -= p.eta_bias * d;
    }
}
