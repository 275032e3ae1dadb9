//! Presynaptic traces: the per-neuron (and per-input) state of the learning circuits.
//!
//! * `xbar_i = round(alpha_tr * xbar_i) + x_i` for every input channel, and
//!   `zbar_i = round(alpha_tr * zbar_i) + z_i` for every neuron, with the spikes that
//!   enter the membrane in the same step (inputs of this step, neuron spikes of the
//!   last step). These are the eligibility vectors of LIF synapses.
//! * `zk_j = round(kappa * zk_j) + z_j` with this step's spikes: the readout's
//!   presynaptic trace, the eligibility of readout weights; and `bk = round(kappa *
//!   bk) + 1`, the eligibility of the readout biases (an always-on unit).
//! * `rbar_j = round(r * rbar_j) + (1 - r) z_j` (Q16.16): a running firing-rate
//!   estimate for rate regularisation.
//!
//! With decay classes ([`crate::classes`]) the presynaptic traces are kept once per
//! membrane-decay class `c` (decay `alpha_c`, bank `c` of `xbar` and `zbar`), and the
//! readout and bias traces once per readout-decay class `q` (decay `kappa_q`, bank `q`
//! of `zk`). One class of each is the chip without classes.
//!
//! Traces are unsigned, in the trace format (a spike adds `2^trace_frac`), and
//! saturate. The presynaptic traces decay with the chip's configured rounding (the
//! same as the membrane's): with a slow decay (`tau` of seconds) nearest rounding
//! would freeze any trace below `0.5 / (1 - a)` LSB, stochastic rounding does not.
//! The readout trace, the bias trace and the rate estimate round to nearest.

use crate::config::ChipConfig;
use crate::memory::{Bits, Memory};
use crate::prng::Prng;
use crate::round::Rounding;

#[inline]
fn decay_nearest(x: u32, a: u16) -> i64 {
    (i64::from(x)
        .saturating_mul(i64::from(a))
        .saturating_add(1 << 14))
        >> 15
}

fn update(tr: &mut [u32], spikes: &Bits, a: u16, one: i64, max: i64) {
    for (t, s) in tr.iter_mut().zip(spikes.iter().by_vals()) {
        let v = decay_nearest(*t, a).saturating_add(if s { one } else { 0 });
        *t = v.clamp(0, max) as u32;
    }
}

#[cfg_attr(target_arch = "x86_64", inline(always))]
fn update_rounded(
    tr: &mut [u32],
    spikes: &Bits,
    a: u16,
    one: i64,
    max: i64,
    r: Rounding,
    prng: &mut Prng,
) {
    for (t, s) in tr.iter_mut().zip(spikes.iter().by_vals()) {
        let v = r
            .decay(i64::from(*t), a, prng)
            .saturating_add(if s { one } else { 0 });
        *t = v.clamp(0, max) as u32;
    }
}

/// Traces of the spikes that enter the membrane this step: inputs `x` and the
/// previous recurrent spikes (still in `mem.z`). Call before the neuron update.
/// Stochastic rounding draws one PRNG word per trace: the input banks first (class 0
/// first), then the neuron banks.
#[cfg_attr(target_arch = "x86_64", inline(always))]
pub fn update_pre(cfg: &ChipConfig, mem: &mut Memory<'_>, x: &Bits, prng: &mut Prng) {
    let f = cfg.formats().trace;
    let one = 1i64 << f.frac();
    let max = i64::from(f.max());
    let r = cfg.leak_rounding();
    let l = mem.layout;
    if l.trace_classes <= 1 {
        let a = cfg.learning().trace_decay;
        update_rounded(mem.xbar, x, a, one, max, r, prng);
        update_rounded(mem.zbar, mem.z, a, one, max, r, prng);
        return;
    }
    let decays = cfg.trace_decays();
    for (bank, &a) in mem.xbar.chunks_exact_mut(l.n_in.max(1)).zip(&decays) {
        update_rounded(bank, x, a, one, max, r, prng);
    }
    for (bank, &a) in mem.zbar.chunks_exact_mut(l.n_rec.max(1)).zip(&decays) {
        update_rounded(bank, mem.z, a, one, max, r, prng);
    }
}

/// Traces of this step's spikes (readout eligibility, rate estimate). Call after the
/// neuron update.
#[cfg_attr(target_arch = "x86_64", inline(always))]
pub fn update_post(cfg: &ChipConfig, mem: &mut Memory<'_>) {
    let f = cfg.formats().trace;
    let one = 1i64 << f.frac();
    let max = i64::from(f.max());
    let l = cfg.learning();
    let n = mem.layout.n_rec;
    let kappas = cfg.readout_decays();
    let bank = n.saturating_add(1);
    for (zk, &kappa) in mem.zk.chunks_exact_mut(bank).zip(&kappas) {
        let (zk, bk) = zk.split_at_mut(n.min(zk.len()));
        update(zk, mem.z, kappa, one, max);
        if let Some(b) = bk.first_mut() {
            *b = decay_nearest(*b, kappa).saturating_add(one).clamp(0, max) as u32;
        }
    }
    // Rate estimate in Q16.16: a spike adds (1 - r) so the steady state is the rate
    // per step.
    let r = l.rate_decay;
    let inc = i64::from(32_768u16.saturating_sub(r)) << 1;
    update(mem.rbar, mem.z, r, inc, i64::from(u32::MAX));
}
