//! e-prop in f64: the same learning rules as the chip's circuits
//! (`neurochip_core::eprop`), without rounding, and exact for heterogeneous time
//! constants.
//!
//! Per step (after [`Reference::step`], with `psi` known), for a synapse `i -> j` whose
//! postsynaptic neuron `j` is in membrane-decay class `c(j)` (decay `alpha_c`) and a
//! readout `k` in readout-decay class `q(k)` (decay `kappa_q`):
//!
//! ```text
//! xbar_ci = alpha_c xbar_ci + x_i,   zbar_ci = alpha_c zbar_ci + z_i[t-1]   (before the step)
//! e_ji    = psi_j (zbar_c(j)i - beta_j eps_ji)
//! eps_ji <- psi_j zbar_c(j)i + (rho_j - psi_j beta_j) eps_ji
//! ebar_qji <- kappa_q ebar_qji + e_ji                   (one per readout class q)
//! zk_qj   = kappa_q zk_qj + z_j[t],   bk_q = kappa_q bk_q + 1
//! ```
//!
//! Inside the target window: `err_k = pi_k - onehot_k` (softmax) or `y_k - y*_k`;
//! `L_qj = sum_{k in q} B_jk err_k`, `L_j = sum_q L_qj`; gradients
//! `g_ji += sum_q L_qj ebar_qji` (exact) or `L_j (zbar_c(j)i - beta_j eps_ji) psi_j`
//! (light: the expectation of the chip's stochastic +-1 steps, unfiltered; its `eps`
//! is the one this step left, as the chip reads it),
//! `g_out_jk += err_k zk_q(k)j`, `g_b_k += err_k bk_q(k)` (the bias sits inside the
//! readout's leaky integration, so its eligibility is filtered too). Rate
//! regularisation, when on, adds to `L_q(0)j` (readout 0's class). Updates are
//! `W -= eta g`, online or at the end of a sample.
//!
//! ## Decay classes and their memory
//!
//! With [`Decays::Network`] the classes are the distinct values (exact `==`) of the
//! network's `alpha` and of its `kappa`. A hardware learner would hold one presynaptic
//! trace bank per class, so the presynaptic traces cost `C x (n_in + n_rec)` words
//! instead of `n_in + n_rec`, and the filtered eligibilities `K x` synapses instead of
//! one per synapse (`C`, `K`: membrane and readout classes; `K` readout traces `zk`
//! per neuron). More than [`CLASS_LIMIT`] distinct values fall back to one class per
//! unit (per neuron: `n_rec x (n_in + n_rec)` trace words, as many as synapses), the
//! layout a chip would need once its [`CLASS_LIMIT`] banks run out. Either way the
//! result is the same exact gradient; only the memory a chip would spend differs
//! ([`Learner::trace_classes`], [`Learner::readout_classes`]).
//!
//! [`Decays::Shared`] is the chip's circuit: one trace decay and one `kappa` for every
//! neuron and readout (exact only when the network is homogeneous).

use crate::sim::Reference;

/// Which rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// Exact e-prop with filtered per-synapse eligibility.
    Exact,
    /// The light engine's expected update.
    Light,
}

/// Most distinct decay values that get one trace bank each; beyond it, one per unit
/// (module docs, "Decay classes and their memory").
pub const CLASS_LIMIT: usize = 8;

/// Which decays the learner's traces use.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Decays {
    /// Exact e-prop: every presynaptic trace filtered with the postsynaptic neuron's own
    /// `alpha_j` (one trace vector per membrane-decay class), every readout's `zk`,
    /// `bk` and the hidden eligibility `ebar` with that readout's own `kappa_k` (one
    /// per readout-decay class). Classes are taken from the network at
    /// [`Learner::new`].
    Network,
    /// One decay for every presynaptic trace and one `kappa` for every readout filter:
    /// the chip's circuits (`learning.trace_decay`, the mean `alpha`;
    /// `learning.elig_decay`, readout 0's `kappa`). Exact only when every neuron has
    /// `alpha = trace` and every readout `kappa`.
    Shared {
        /// Presynaptic trace decay.
        trace: f64,
        /// Readout and eligibility filter decay.
        kappa: f64,
    },
}

/// Units (neurons or readouts) grouped by equal decay.
#[derive(Clone, Debug, PartialEq)]
pub struct Classes {
    /// The decay of each class.
    pub decay: Vec<f64>,
    /// The class of each unit.
    pub of: Vec<usize>,
}

impl Classes {
    /// The distinct values of `decays` (exact `==`, in order of first appearance), or
    /// one class per unit when there are more than [`CLASS_LIMIT`].
    pub fn of_decays(decays: &[f64]) -> Self {
        let mut decay: Vec<f64> = Vec::new();
        let mut of = Vec::with_capacity(decays.len());
        for &a in decays {
            match decay.iter().position(|&d| d == a) {
                Some(c) => of.push(c),
                None => {
                    of.push(decay.len());
                    decay.push(a);
                }
            }
        }
        if decay.len() > CLASS_LIMIT {
            return Self {
                decay: decays.to_vec(),
                of: (0..decays.len()).collect(),
            };
        }
        Self { decay, of }
    }

    /// One class of decay `a` for `n` units.
    pub fn one(a: f64, n: usize) -> Self {
        Self {
            decay: vec![a],
            of: vec![0; n],
        }
    }

    /// Number of classes.
    pub fn len(&self) -> usize {
        self.decay.len()
    }

    /// No class (no unit).
    pub fn is_empty(&self) -> bool {
        self.decay.is_empty()
    }
}

/// Learning hyper-parameters of the float learner.
#[derive(Clone, Debug, PartialEq)]
pub struct LearnParams {
    /// Rule.
    pub rule: Rule,
    /// The decays of the presynaptic traces and of the readout filters.
    pub decays: Decays,
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
    /// Apply the input and recurrent updates every step (true) or at
    /// [`Learner::end_sample`].
    pub online: bool,
    /// Apply the readout weight and bias updates every step (true) or at
    /// [`Learner::end_sample`] (the chip's `apply = "readout"` holds them there while
    /// the hidden updates go online).
    pub readout_online: bool,
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
    /// symmetric feedback, classification, the network's own decays): what gradient
    /// comparisons use.
    pub fn gradient_only() -> Self {
        Self {
            rule: Rule::Exact,
            decays: Decays::Network,
            eta_in: 0.0,
            eta_rec: 0.0,
            eta_out: 0.0,
            eta_bias: 0.0,
            feedback: None,
            online: false,
            readout_online: false,
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

    /// The hidden part (`w_in`, `w_rec`) and the readout's part (`w_out`, `bias`),
    /// each with the other's vectors empty.
    fn split(self) -> (Self, Self) {
        let Self {
            w_in,
            w_rec,
            w_out,
            bias,
        } = self;
        let hidden = Self {
            w_in,
            w_rec,
            ..Self::default()
        };
        let readout = Self {
            w_out,
            bias,
            ..Self::default()
        };
        (hidden, readout)
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
    /// Parameters. The decay classes are fixed at [`Learner::new`].
    pub p: LearnParams,
    /// Membrane-decay classes of the postsynaptic neurons (presynaptic trace banks).
    trace_cls: Classes,
    /// Readout-decay classes of the readouts.
    out_cls: Classes,
    /// `xbar[c * n_in + i]`: input `i` filtered with class `c`'s decay.
    xbar: Vec<f64>,
    /// `zbar[c * n_rec + i]`: neuron `i`'s spikes filtered with class `c`'s decay.
    zbar: Vec<f64>,
    /// `zk[q * n_rec + j]`: neuron `j`'s spikes filtered with readout class `q`'s decay.
    zk: Vec<f64>,
    /// Eligibility of the readout biases, per readout class: the constant input
    /// filtered with `kappa_q` (the bias is inside the readout's leaky integration).
    bk: Vec<f64>,
    /// `ebar[q * synapses + idx]`: the eligibility filtered with readout class `q`'s decay.
    ebar_in: Vec<f64>,
    ebar_rec: Vec<f64>,
    eps_in: Vec<f64>,
    eps_rec: Vec<f64>,
    /// Learning signal per readout class, `lq[q * n_rec + j]`.
    lq: Vec<f64>,
    /// One row's eligibility `e_ji` in [`Learner::step_gated`] (scratch).
    e_row: Vec<f64>,
    /// Gradients accumulated since the last application.
    pub g: Grads,
    /// A learning step's hidden gradients (`w_in`, `w_rec`) and readout gradients
    /// (`w_out`, `bias`), kept between steps so that a step allocates nothing.
    step_g: (Grads, Grads),
    /// Output error of the last learning step.
    pub err: Vec<f64>,
    /// Learning signal of the last learning step (summed over readout classes).
    pub l: Vec<f64>,
    /// Firing-rate estimates (per step), kept across samples.
    pub rbar: Vec<f64>,
}

impl Learner {
    /// A learner for the network of `sim`.
    pub fn new(p: LearnParams, sim: &Reference) -> Self {
        let net = sim.network();
        let (ni, n, o) = (net.n_in, net.n_rec, net.n_out);
        let (trace_cls, out_cls) = match p.decays {
            Decays::Network => (
                Classes::of_decays(&net.alpha),
                Classes::of_decays(&net.kappa),
            ),
            Decays::Shared { trace, kappa } => (Classes::one(trace, n), Classes::one(kappa, o)),
        };
        let (c, q) = (trace_cls.len(), out_cls.len());
        Self {
            p,
            trace_cls,
            out_cls,
            xbar: vec![0.0; c * ni],
            zbar: vec![0.0; c * n],
            zk: vec![0.0; q * n],
            bk: vec![0.0; q],
            ebar_in: vec![0.0; q * ni * n],
            ebar_rec: vec![0.0; q * n * n],
            eps_in: vec![0.0; ni * n],
            eps_rec: vec![0.0; n * n],
            lq: vec![0.0; q * n],
            e_row: vec![0.0; n],
            g: Grads::zeros(ni, n, o),
            step_g: Grads::zeros(ni, n, o).split(),
            err: vec![0.0; o],
            l: vec![0.0; n],
            rbar: vec![0.0; n],
        }
    }

    /// Presynaptic trace banks (membrane-decay classes): the presynaptic traces hold
    /// this many times `n_in + n_rec` values.
    pub fn trace_classes(&self) -> usize {
        self.trace_cls.len()
    }

    /// Readout-decay classes: the exact rule holds this many filtered eligibilities per
    /// synapse, and this many readout traces per neuron.
    pub fn readout_classes(&self) -> usize {
        self.out_cls.len()
    }

    /// Zero the traces (start of a sample); gradients are kept.
    pub fn reset_state(&mut self) {
        for v in [
            &mut self.xbar,
            &mut self.zbar,
            &mut self.zk,
            &mut self.bk,
            &mut self.ebar_in,
            &mut self.ebar_rec,
            &mut self.eps_in,
            &mut self.eps_rec,
        ] {
            v.fill(0.0);
        }
    }

    /// One step of the network and of the traces.
    pub fn step(&mut self, sim: &mut Reference, x: &[bool]) -> usize {
        self.step_gated(sim, x, |_, _| true)
    }

    /// [`Learner::step`] with stochastic synaptic release ([`Reference::step_gated`]):
    /// traces follow the presynaptic spikes, released or not, as on the chip.
    pub fn step_gated(
        &mut self,
        sim: &mut Reference,
        x: &[bool],
        released: impl Fn(u32, usize) -> bool,
    ) -> usize {
        let (ni, n) = (sim.network().n_in, sim.network().n_rec);
        filter(&mut self.xbar, &self.trace_cls.decay, x, ni);
        filter(&mut self.zbar, &self.trace_cls.decay, &sim.z, n);
        let spikes = sim.step_gated(x, released);
        filter(&mut self.zk, &self.out_cls.decay, &sim.z, n);
        for (b, &k) in self.bk.iter_mut().zip(&self.out_cls.decay) {
            *b = k * *b + 1.0;
        }
        if let Some((_, _, r)) = self.p.reg {
            for (rb, &s) in self.rbar.iter_mut().zip(&sim.z) {
                *rb = r * *rb + if s { 1.0 - r } else { 0.0 };
            }
        }
        if self.p.rule == Rule::Exact {
            let net = sim.network();
            let kappa = &self.out_cls.decay;
            let of = &self.trace_cls.of;
            let cols = sim.psi.iter().zip(&net.beta).zip(&net.rho).zip(of);
            let e_row = &mut self.e_row;
            // One trace class: every unit in class 0.
            let one = self.trace_cls.len() == 1;
            for (trace, width, ebar, eps) in [
                (&self.xbar, ni, &mut self.ebar_in, &mut self.eps_in),
                (&self.zbar, n, &mut self.ebar_rec, &mut self.eps_rec),
            ] {
                let syn = width * n;
                // A row at a time: its `e_ji` (and the ALIF `eps`) first, then each
                // bank's filter over the row, each value computed as one synapse at a
                // time computes it.
                for (i, erow) in eps.chunks_exact_mut(n.max(1)).take(width).enumerate() {
                    let cells = e_row.iter_mut().zip(erow).zip(cols.clone());
                    let cell =
                        |e: &mut f64, ep: &mut f64, zb: f64, (p, bj, rho): (f64, f64, f64)| {
                            *e = p * (zb - bj * *ep);
                            let next = p * zb + (rho - p * bj) * *ep;
                            *ep = if bj != 0.0 { next } else { *ep };
                        };
                    if one {
                        // One trace class: the row's trace is one value.
                        let zb = trace[i];
                        for ((e, ep), (((&p, &bj), &rho), _)) in cells {
                            cell(e, ep, zb, (p, bj, rho));
                        }
                    } else {
                        for ((e, ep), (((&p, &bj), &rho), &c)) in cells {
                            cell(e, ep, trace[c * width + i], (p, bj, rho));
                        }
                    }
                    for (q, &k) in kappa.iter().enumerate() {
                        let at = q * syn + i * n;
                        for (eb, &e) in ebar[at..at + n].iter_mut().zip(e_row.iter()) {
                            *eb = k * *eb + e;
                        }
                    }
                }
            }
        } else {
            // The light engine keeps eps alone, for the synapses onto ALIF neurons
            // (each synapse on its own, so the ALIF columns go first and a network
            // without ALIF neurons does no work here).
            let net = sim.network();
            let of = &self.trace_cls.of;
            for (trace, width, eps) in [
                (&self.xbar, ni, &mut self.eps_in),
                (&self.zbar, n, &mut self.eps_rec),
            ] {
                for j in (0..n).filter(|&j| net.beta[j] != 0.0) {
                    let (p, bank) = (sim.psi[j], &trace[of[j] * width..]);
                    for (i, &zb) in bank[..width].iter().enumerate() {
                        let idx = i * n + j;
                        eps[idx] = p * zb + (net.rho[j] - p * net.beta[j]) * eps[idx];
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
        let out_of = &self.out_cls.of;
        for (q, lq) in self.lq.chunks_mut(n.max(1)).enumerate() {
            for j in 0..n {
                lq[j] = (0..o)
                    .filter(|&k| out_of[k] == q)
                    .map(|k| b[j * o + k] * self.err[k])
                    .sum();
            }
        }
        if let (Some((c, target, _)), Some(&q)) = (self.p.reg, out_of.first()) {
            for j in 0..n {
                self.lq[q * n + j] += c * (self.rbar[j] - target);
            }
        }
        let nq = self.out_cls.len();
        for j in 0..n {
            self.l[j] = (0..nq).map(|q| self.lq[q * n + j]).sum();
        }
        // Every value of a part this step learns is written below (a masked synapse's
        // as zero); a part it does not learn stays zero.
        let (mut d, mut readout) = std::mem::take(&mut self.step_g);
        if self.p.learn_hidden {
            let of = &self.trace_cls.of;
            for (trace, width, ebar, eps, g) in [
                (&self.xbar, ni, &self.ebar_in, &self.eps_in, &mut d.w_in),
                (&self.zbar, n, &self.ebar_rec, &self.eps_rec, &mut d.w_rec),
            ] {
                let syn = width * n;
                // Row by row, the rule chosen once: the same products, in the same
                // order, as one synapse at a time.
                let rows = g
                    .chunks_exact_mut(n.max(1))
                    .zip(eps.chunks_exact(n.max(1)))
                    .take(width);
                match self.p.rule {
                    Rule::Exact => {
                        for (i, (grow, _)) in rows.enumerate() {
                            for (j, gij) in grow.iter_mut().enumerate() {
                                let idx = i * n + j;
                                *gij = (0..nq)
                                    .map(|q| self.lq[q * n + j] * ebar[q * syn + idx])
                                    .sum();
                            }
                        }
                    }
                    Rule::Light => {
                        let cols = self.l.iter().zip(&sim.psi).zip(&net.beta);
                        // One trace class (the common case): the row's trace is one
                        // value, and the row's loop has no lookup.
                        // One trace class: every unit in class 0.
                        let one = self.trace_cls.len() == 1;
                        for (i, (grow, erow)) in rows.enumerate() {
                            let cells = grow.iter_mut().zip(erow).zip(cols.clone());
                            if one {
                                let t = trace[i];
                                for ((gij, &ep), ((&l, &p), &bj)) in cells {
                                    *gij = l * (t - bj * ep) * p;
                                }
                            } else {
                                for (((gij, &ep), ((&l, &p), &bj)), &c) in cells.zip(of) {
                                    *gij = l * (trace[c * width + i] - bj * ep) * p;
                                }
                            }
                        }
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
                    readout.w_out[j * o + k] = if net.mask_out[j * o + k] {
                        self.err[k] * self.zk[out_of[k] * n + j]
                    } else {
                        0.0
                    };
                }
            }
            for (k, (d, e)) in readout.bias.iter_mut().zip(&self.err).enumerate() {
                *d = e * self.bk[out_of[k]];
            }
        }
        // The hidden part and the readout's part (an empty vector is no work for
        // `apply` and `add`), each applied now or accumulated by its own flag.
        for (part, online) in [(&d, self.p.online), (&readout, self.p.readout_online)] {
            if online {
                apply(&self.p, sim, part);
            } else {
                add(&mut self.g, part);
            }
        }
        self.step_g = (d, readout);
        true
    }

    /// End of a sample: apply the accumulated gradients (per-sample mode) and clear them.
    pub fn end_sample(&mut self, sim: &mut Reference) {
        if !(self.p.online && self.p.readout_online) {
            let g = std::mem::take(&mut self.g);
            apply(&self.p, sim, &g);
            let net = sim.network();
            self.g = Grads::zeros(net.n_in, net.n_rec, net.n_out);
        }
    }
}

/// `t[c * w + i] = a_c t[c * w + i] + s_i` for every class `c` (decay `a_c`).
fn filter(t: &mut [f64], decay: &[f64], s: &[bool], w: usize) {
    if w == 0 {
        return;
    }
    for (bank, &a) in t.chunks_mut(w).zip(decay) {
        for (t, &s) in bank.iter_mut().zip(s) {
            *t = a * *t + if s { 1.0 } else { 0.0 };
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
