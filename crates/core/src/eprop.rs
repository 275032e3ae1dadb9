//! The e-prop learning circuits: eligibility traces, the broadcast learning signal,
//! and the weight updates of both engines.
//!
//! Per step, after the neuron update (psi known), the exact engine updates every
//! synapse `i -> j` (input and recurrent) in the eligibility format (`EF` fractional
//! bits; `zbar` converted from the trace format, `psi` Q4.12, `beta` membrane format):
//!
//! ```text
//! LIF:   e_ji   = psi_j * zbar_i
//! ALIF:  e_ji   = psi_j * (zbar_i - beta_j * eps_ji)
//!        eps_ji <- psi_j * zbar_i + rho_j * eps_ji - psi_j * beta_j * eps_ji
//! ebar_ji <- round(kappa * ebar_ji) + e_ji
//! ```
//!
//! When the target is valid (the caller passes a target), the output error `err_k`
//! (softmax `pi_k - onehot_k` in Q0.15, or `y_k - y*_k` in the readout format) is
//! broadcast as `L_j = sum_k B_jk err_k (+ rate regularisation)`, and
//!
//! * exact: `dW_ji = -(L_j * ebar_ji) >> shift`, stochastically rounded;
//! * light: `W_ji -= sign(L_j)` with probability `|L_j| * zbar_i * psi_j >> shift`
//!   (over `2^16`), a +-1 LSB step;
//! * readout (both): `dW_out_jk = -(err_k * zk_j) >> shift_out` and
//!   `db_k = -(err_k * bk) >> shift_bias` with `bk` the bias eligibility
//!   (`crate::trace`), stochastically rounded.
//!
//! Online mode applies updates at once; sample mode adds them, with 16 more
//! fractional bits, to per-synapse accumulators applied by [`end_sample`]. Dale's
//! law clamps recurrent weights of excitatory neurons at `>= 0` and of inhibitory
//! ones at `<= 0`; masked-out synapses never change; weights saturate.

use crate::config::ChipConfig;
use crate::format::{shift_round, Format};
use crate::learning::{layer, rate_offset, Apply, Engine, Feedback};
use crate::memory::{Bits, Memory};
use crate::neuron::PSI_FRAC;
use crate::prng::Prng;
use crate::round::Rounding;
use crate::softmax::{softmax_q15, ONE_Q15};

/// `-PSI_FRAC`: the right shift that removes the pseudo-derivative's fraction.
const NEG_PSI: i32 = 0i32.wrapping_sub(PSI_FRAC as i32);

/// Extra fractional bits of the per-sample update accumulators.
pub const GRAD_FRAC: u32 = 16;

/// What the readout should produce at this step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target<'a> {
    /// Outside the target-valid window: no learning signal.
    None,
    /// Classification: the index of the correct class.
    Class(usize),
    /// Regression: the wanted readout values, readout format.
    Values(&'a [i32]),
    /// The output errors given directly, one per readout, in the loss's error format
    /// (Q0.15 for classification, the readout format for regression): the
    /// actor–critic's `pi - onehot(a)` and `-c_V` ([`crate::reward`]).
    Error(&'a [i32]),
}

#[inline]
fn decay_nearest(x: i64, a: u16) -> i64 {
    (x.saturating_mul(i64::from(a)).saturating_add(1 << 14)) >> 15
}

/// Update the exact engine's per-synapse eligibility (`ebar`, `eps_a`). Call after
/// the neuron update of every step.
pub fn update_eligibility(cfg: &ChipConfig, mem: &mut Memory<'_>) {
    if cfg.learning().engine != Engine::Exact {
        return;
    }
    let l = cfg.learning();
    let ef = l.elig;
    let tf = cfg.formats().trace.frac() as i32;
    let conv = (ef.frac() as i32).wrapping_sub(tf);
    let mf = cfg.formats().membrane.frac() as i32;
    let kappa = l.elig_decay;
    let n = mem.layout.n_rec;
    if n == 0 {
        return;
    }
    let psi: &[u32] = mem.psi;
    let beta: &[i32] = mem.beta;
    let rho: &[u32] = mem.rho;
    let layers: [(&[u32], &mut [i32], &mut [i32]); 2] = [
        (mem.xbar, &mut *mem.ebar_in, &mut *mem.eps_in),
        (mem.zbar, &mut *mem.ebar_rec, &mut *mem.eps_rec),
    ];
    for (trace, ebar, eps) in layers {
        let alif = !eps.is_empty();
        let mut eps_rows = eps.chunks_exact_mut(n);
        for (&tr, erow) in trace.iter().zip(ebar.chunks_exact_mut(n)) {
            let zb = shift_round(i64::from(tr), conv);
            let eps_row = if alif { eps_rows.next() } else { None };
            match eps_row {
                None => {
                    for (eb, &p) in erow.iter_mut().zip(psi) {
                        let e = shift_round(i64::from(p).saturating_mul(zb), NEG_PSI);
                        *eb = ef.saturate(decay_nearest(i64::from(*eb), kappa).saturating_add(e));
                    }
                }
                Some(prow) => {
                    for ((((eb, ep), &p), &bj), &rj) in erow
                        .iter_mut()
                        .zip(prow.iter_mut())
                        .zip(psi)
                        .zip(beta)
                        .zip(rho)
                    {
                        let p = i64::from(p);
                        let eps0 = i64::from(*ep);
                        let beps = if bj == 0 {
                            0
                        } else {
                            shift_round(i64::from(bj).saturating_mul(eps0), mf.wrapping_neg())
                        };
                        let e = shift_round(p.saturating_mul(zb.saturating_sub(beps)), NEG_PSI);
                        *eb = ef.saturate(decay_nearest(i64::from(*eb), kappa).saturating_add(e));
                        if bj != 0 {
                            let pz = shift_round(p.saturating_mul(zb), NEG_PSI);
                            let pb = shift_round(p.saturating_mul(beps), NEG_PSI);
                            let ne = pz
                                .saturating_add(decay_nearest(eps0, rj as u16))
                                .saturating_sub(pb);
                            *ep = ef.saturate(ne);
                        }
                    }
                }
            }
        }
    }
}

/// Output errors into `mem.err` and learning signals into `mem.l` for `target`.
/// Returns false (and leaves both zero) outside the target window.
pub fn learning_signal(cfg: &ChipConfig, mem: &mut Memory<'_>, target: Target<'_>) -> bool {
    let l = cfg.learning();
    match (target, l.loss) {
        (Target::None, _) => {
            mem.err.fill(0);
            mem.l.fill(0);
            return false;
        }
        (Target::Class(c), _) => {
            softmax_q15(mem.y, cfg.formats().readout.frac(), mem.err);
            if let Some(e) = mem.err.get_mut(c) {
                *e = e.saturating_sub(ONE_Q15);
            }
        }
        (Target::Values(t), _) => {
            for ((e, &y), &t) in mem.err.iter_mut().zip(mem.y.iter()).zip(t) {
                *e = y.saturating_sub(t);
            }
        }
        (Target::Error(x), _) => {
            for (e, &x) in mem.err.iter_mut().zip(x) {
                *e = x;
            }
        }
    }
    let o = mem.layout.n_out;
    let fb: &[i16] = match l.feedback {
        Feedback::Symmetric => mem.w_out,
        Feedback::Random => mem.b_fb,
    };
    let reg_on = l.reg_shift > 0;
    for ((lj, brow), &rb) in mem
        .l
        .iter_mut()
        .zip(fb.chunks_exact(o.max(1)))
        .zip(mem.rbar.iter())
    {
        let mut s = 0i64;
        for (&b, &e) in brow.iter().zip(mem.err.iter()) {
            s = s.saturating_add(i64::from(b).saturating_mul(i64::from(e)));
        }
        if reg_on {
            let d = i64::from(rb).saturating_sub(i64::from(l.reg_target));
            s = s.saturating_add(shift_round(d, i32::from(l.reg_shift).wrapping_neg()));
        }
        *lj = s.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32;
    }
    true
}

/// Apply (online) or accumulate (sample mode) one weight change of `d` weight LSBs
/// with 16 extra fractional bits, i.e. `d_q16 / 2^16` LSB.
#[inline]
fn change(
    w: &mut i16,
    g: Option<&mut i32>,
    d_q16: i64,
    wf: Format,
    sign: Option<bool>,
    prng: &mut Prng,
) {
    match g {
        Some(acc) => {
            *acc = acc.saturating_add(d_q16.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32);
        }
        None => {
            let d = Rounding::Stochastic.shift(d_q16, crate::eprop::GRAD_FRAC, prng);
            set_weight(w, i64::from(*w).saturating_add(d), wf, sign);
        }
    }
}

#[inline]
fn set_weight(w: &mut i16, v: i64, wf: Format, sign: Option<bool>) {
    let v = i64::from(wf.saturate(v));
    let v = match sign {
        Some(true) => v.max(0),
        Some(false) => v.min(0),
        None => v,
    };
    *w = v as i16;
}

/// Per-synapse rate offsets of one layer: `(chip seed, layer code, spread)`.
type Rates = (u64, u32, u8);

/// One hidden layer's update. `pre_sign` gives the Dale sign of each presynaptic unit
/// (`None` for inputs or when Dale's law is off); `rates` adds each synapse's
/// learning-rate offset ([`rate_offset`]) to `shift`.
#[allow(clippy::too_many_arguments)]
fn update_layer(
    engine: Engine,
    sample: bool,
    shift: u8,
    rates: Rates,
    trace: &[u32],
    ebar: &[i32],
    w: &mut [i16],
    g: &mut [i32],
    mask: &Bits,
    lsig: &[i32],
    psi: &[u32],
    pre_sign: Option<&Bits>,
    wf: Format,
    prng: &mut Prng,
) {
    let n = lsig.len();
    if n == 0 {
        return;
    }
    let sh = i32::from(shift);
    let gshift = sh.saturating_sub(GRAD_FRAC as i32);
    let mut g_rows = g.chunks_exact_mut(n);
    for (i, (wrow, &tr)) in w.chunks_exact_mut(n).zip(trace).enumerate() {
        let sign = pre_sign.and_then(|s| s.get(i).map(|b| *b));
        let mut grow = if sample { g_rows.next() } else { None };
        let base = i.saturating_mul(n);
        match engine {
            Engine::Exact => {
                let Some(erow) = ebar.get(base..base.saturating_add(n)) else {
                    return;
                };
                for (j, ((wv, &eb), &lj)) in wrow.iter_mut().zip(erow).zip(lsig).enumerate() {
                    if lj == 0 || eb == 0 || !mask.get(base.saturating_add(j)).is_some_and(|b| *b) {
                        continue;
                    }
                    let prod = i64::from(lj).saturating_mul(i64::from(eb)).saturating_neg();
                    let off = rate_offset(rates.0, rates.1, base.saturating_add(j), rates.2);
                    let d_q16 = shift_round(prod, gshift.saturating_add(off as i32).wrapping_neg());
                    let gj = grow.as_mut().and_then(|r| r.get_mut(j));
                    change(wv, gj, d_q16, wf, sign, prng);
                }
            }
            Engine::Light => {
                if tr == 0 {
                    continue;
                }
                for (j, ((wv, &lj), &p)) in wrow.iter_mut().zip(lsig).zip(psi).enumerate() {
                    if lj == 0 || p == 0 || !mask.get(base.saturating_add(j)).is_some_and(|b| *b) {
                        continue;
                    }
                    let mag = i64::from(lj)
                        .saturating_abs()
                        .saturating_mul(i64::from(tr))
                        .saturating_mul(i64::from(p));
                    let off = rate_offset(rates.0, rates.1, base.saturating_add(j), rates.2);
                    let prob = shift_round(mag, sh.saturating_add(off as i32).wrapping_neg())
                        .clamp(0, 0xFFFF) as u16;
                    if prng.chance_q16(prob) {
                        let step: i64 = if lj > 0 { -1 } else { 1 };
                        let gj = grow.as_mut().and_then(|r| r.get_mut(j));
                        change(wv, gj, step << GRAD_FRAC, wf, sign, prng);
                    }
                }
            }
            Engine::Off => return,
        }
    }
}

/// Learning step: compute the error and learning signal for `target` and update (or
/// accumulate) weights. Call after [`crate::Chip::step`]. Returns whether the target
/// was valid.
pub fn learn(cfg: &ChipConfig, mem: &mut Memory<'_>, prng: &mut Prng, target: Target<'_>) -> bool {
    let l = *cfg.learning();
    if l.engine == Engine::Off || !learning_signal(cfg, mem, target) {
        return false;
    }
    let wf = cfg.formats().weight;
    let sample = l.apply == Apply::Sample;
    let seed = cfg.seed();
    if l.learn_hidden {
        update_layer(
            l.engine,
            sample,
            l.shift_in,
            (seed, layer::INPUT, l.lr_spread),
            mem.xbar,
            mem.ebar_in,
            mem.w_in,
            mem.g_in,
            mem.mask_in,
            mem.l,
            mem.psi,
            None,
            wf,
            prng,
        );
        let dale = if l.dale { Some(&*mem.exc) } else { None };
        update_layer(
            l.engine,
            sample,
            l.shift_rec,
            (seed, layer::RECURRENT, l.lr_spread),
            mem.zbar,
            mem.ebar_rec,
            mem.w_rec,
            mem.g_rec,
            mem.mask_rec,
            mem.l,
            mem.psi,
            dale,
            wf,
            prng,
        );
    }
    if l.learn_readout {
        let o = mem.layout.n_out;
        let gsh = i32::from(l.shift_out).saturating_sub(GRAD_FRAC as i32);
        let mut g_rows = mem.g_out.chunks_exact_mut(o.max(1));
        for (j, (wrow, &zk)) in mem
            .w_out
            .chunks_exact_mut(o.max(1))
            .zip(mem.zk.iter())
            .enumerate()
        {
            let mut grow = if sample { g_rows.next() } else { None };
            if zk == 0 {
                continue;
            }
            for (k, (wv, &e)) in wrow.iter_mut().zip(mem.err.iter()).enumerate() {
                if !mem
                    .mask_out
                    .get(j.saturating_mul(o).saturating_add(k))
                    .is_some_and(|b| *b)
                {
                    continue;
                }
                let prod = i64::from(e).saturating_mul(i64::from(zk)).saturating_neg();
                let idx = j.saturating_mul(o).saturating_add(k);
                let off = rate_offset(seed, layer::READOUT, idx, l.lr_spread);
                let d_q16 = shift_round(prod, gsh.saturating_add(off as i32).wrapping_neg());
                let gk = grow.as_mut().and_then(|r| r.get_mut(k));
                change(wv, gk, d_q16, wf, None, prng);
            }
        }
        let rf = cfg.formats().readout;
        let bsh = i32::from(l.shift_bias).saturating_sub(GRAD_FRAC as i32);
        let bk = i64::from(mem.zk.get(mem.layout.n_rec).copied().unwrap_or(0));
        for (k, (b, &e)) in mem.bias.iter_mut().zip(mem.err.iter()).enumerate() {
            let prod = i64::from(e).saturating_mul(bk).saturating_neg();
            let d_q16 = shift_round(prod, bsh.wrapping_neg());
            if sample {
                if let Some(acc) = mem.g_bias.get_mut(k) {
                    *acc = acc.saturating_add(
                        d_q16.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32,
                    );
                }
            } else {
                let d = Rounding::Stochastic.shift(d_q16, GRAD_FRAC, prng);
                *b = rf.saturate(i64::from(*b).saturating_add(d));
            }
        }
    }
    true
}

/// End of a sample: apply the accumulated updates (sample mode) with stochastic
/// rounding and clear the accumulators.
pub fn end_sample(cfg: &ChipConfig, mem: &mut Memory<'_>, prng: &mut Prng) {
    let l = cfg.learning();
    if l.engine == Engine::Off || l.apply != Apply::Sample {
        return;
    }
    let wf = cfg.formats().weight;
    let n = mem.layout.n_rec;
    for (w, g) in mem.w_in.iter_mut().zip(mem.g_in.iter()) {
        let d = Rounding::Stochastic.shift(i64::from(*g), GRAD_FRAC, prng);
        set_weight(w, i64::from(*w).saturating_add(d), wf, None);
    }
    for (k, (w, g)) in mem.w_rec.iter_mut().zip(mem.g_rec.iter()).enumerate() {
        let d = Rounding::Stochastic.shift(i64::from(*g), GRAD_FRAC, prng);
        let sign = if l.dale {
            k.checked_div(n).and_then(|i| mem.exc.get(i).map(|b| *b))
        } else {
            None
        };
        set_weight(w, i64::from(*w).saturating_add(d), wf, sign);
    }
    for (w, g) in mem.w_out.iter_mut().zip(mem.g_out.iter()) {
        let d = Rounding::Stochastic.shift(i64::from(*g), GRAD_FRAC, prng);
        set_weight(w, i64::from(*w).saturating_add(d), wf, None);
    }
    let rf = cfg.formats().readout;
    for (b, g) in mem.bias.iter_mut().zip(mem.g_bias.iter()) {
        let d = Rounding::Stochastic.shift(i64::from(*g), GRAD_FRAC, prng);
        *b = rf.saturate(i64::from(*b).saturating_add(d));
    }
    mem.clear_updates();
}
