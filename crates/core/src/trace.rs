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
//!   estimate for rate regularisation, updated only while it is on (`reg_shift > 0`):
//!   nothing else reads it.
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
use crate::format::DECAY_FRAC;
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

/// `tr_i = min((a tr_i + addend) >> 15 + (one if spike i), max)` for every trace
/// that has a spike bit, in order, the spikes a word at a time; `addend()` gives the
/// rounding's addend of each trace in turn (a PRNG draw for stochastic rounding), an
/// addend below `2^15`. In 64 bits nothing can overflow (`tr < 2^32`, `a < 2^16`), so
/// no saturation is needed and the result is never negative.
#[cfg_attr(target_arch = "x86_64", inline(always))]
fn decay_add(
    tr: &mut [u32],
    spikes: &Bits,
    a: u16,
    (one, max): (u64, u64),
    addend: impl FnMut() -> u64,
) {
    let n = tr.len().min(spikes.len());
    let tr = tr.get_mut(..n).unwrap_or_default();
    // A trace below 2^16 fits 32-bit arithmetic: `a tr + addend` is below 2^32, the
    // decayed trace below 2^17, and with an increment below 2^31 the sum fits too.
    // Traces of a wider maximum (the rate estimate's is 2^32 - 1) are checked as
    // they are read.
    let small = if one < 1 << 31 { 0xFFFF } else { 0 };
    // A trace format of at most 16 bits: every trace is at most its maximum (the
    // semantic check holds loaded images and snapshots to it, and the update
    // saturates), so every trace takes the 32-bit arithmetic, unchecked. A trace
    // written by hand past the format still runs, without a panic: it may wrap, and
    // it decays without saturating.
    if max <= u64::from(small) {
        decay_short(tr, spikes, a, (one, max as u32), addend);
    } else {
        decay_checked(tr, spikes, a, (one, max), small, addend);
    }
}

/// [`decay_add`] for a format of at most 16 bits, where every trace is within its
/// format (see `decay_add`): a trace at most its maximum decays to at most it (`a <=
/// 2^15`, the addend below 2^15), so only a spike can take it past and only a
/// spiking trace saturates. Every trace decays in one plain pass in 32-bit
/// arithmetic (the rounding's draws in order), then each spike adds to its trace.
#[cfg_attr(target_arch = "x86_64", inline(always))]
fn decay_short(
    tr: &mut [u32],
    spikes: &Bits,
    a: u16,
    (one, max): (u64, u32),
    mut addend: impl FnMut() -> u64,
) {
    for t in tr.iter_mut() {
        *t = t.wrapping_mul(u32::from(a)).wrapping_add(addend() as u32) >> DECAY_FRAC;
    }
    crate::words::for_each_one(spikes, |i| {
        if let Some(t) = tr.get_mut(i) {
            *t = t.wrapping_add(one as u32).min(max);
        }
    });
}

/// [`decay_add`] for a wider format (the rate estimate's), one trace at a time with
/// its spike: in 32-bit arithmetic where the trace is at most `small`, else in 64
/// bits.
#[cfg_attr(target_arch = "x86_64", inline(always))]
fn decay_checked(
    tr: &mut [u32],
    spikes: &Bits,
    a: u16,
    (one, max): (u64, u64),
    small: u32,
    mut addend: impl FnMut() -> u64,
) {
    let max32 = max.min(u64::from(u32::MAX)) as u32;
    let mut blocks = tr.chunks_mut(32);
    crate::words::for_each_word(spikes, |_, mut w| {
        let Some(block) = blocks.next() else {
            return;
        };
        for t in block.iter_mut() {
            // The trace's spike, the word moved along by one (one flag-setting shift
            // on the M4).
            let spike = w & 1;
            w >>= 1;
            *t = if *t <= small {
                let decayed =
                    t.wrapping_mul(u32::from(a)).wrapping_add(addend() as u32) >> DECAY_FRAC;
                decayed
                    .wrapping_add(spike.wrapping_mul(one as u32))
                    .min(max32)
            } else {
                let decayed = u64::from(*t)
                    .wrapping_mul(u64::from(a))
                    .wrapping_add(addend())
                    >> DECAY_FRAC;
                decayed
                    .wrapping_add(u64::from(spike).wrapping_mul(one))
                    .min(max) as u32
            };
        }
    });
}

/// [`decay_add`] rounded to nearest.
#[cfg_attr(target_arch = "x86_64", inline(always))]
fn update(tr: &mut [u32], spikes: &Bits, a: u16, one: i64, max: i64) {
    let half = 1u64 << (DECAY_FRAC - 1);
    decay_add(tr, spikes, a, bounds(one, max), || half);
}

/// [`decay_add`] with the chip's rounding `r` (stochastic rounding draws one PRNG
/// word per trace, in order).
#[cfg_attr(target_arch = "x86_64", inline(always))]
fn update_rounded(
    tr: &mut [u32],
    spikes: &Bits,
    a: u16,
    (one, max): (i64, i64),
    r: Rounding,
    prng: &mut Prng,
) {
    let b = bounds(one, max);
    match r.fixed_addend(DECAY_FRAC) {
        Some(c) => decay_add(tr, spikes, a, b, || c as u64),
        None => {
            // The generator's state in a local for the loop (a register on the M4),
            // not reloaded and stored through the reference at every trace.
            let mut local = *prng;
            decay_add(tr, spikes, a, b, || {
                STOCHASTIC.addend(DECAY_FRAC, &mut local) as u64
            });
            *prng = local;
        }
    }
}

/// A spike's increment and the trace maximum as unsigned (both are never negative).
fn bounds(one: i64, max: i64) -> (u64, u64) {
    (one.max(0) as u64, max.max(0) as u64)
}

/// Stochastic rounding named as a constant, so that its addend's mask folds.
const STOCHASTIC: Rounding = Rounding::Stochastic;

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
        update_rounded(mem.xbar, x, a, (one, max), r, prng);
        update_rounded(mem.zbar, mem.z, a, (one, max), r, prng);
        return;
    }
    let decays = cfg.trace_decays();
    for (bank, &a) in mem.xbar.chunks_exact_mut(l.n_in.max(1)).zip(&decays) {
        update_rounded(bank, x, a, (one, max), r, prng);
    }
    for (bank, &a) in mem.zbar.chunks_exact_mut(l.n_rec.max(1)).zip(&decays) {
        update_rounded(bank, mem.z, a, (one, max), r, prng);
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
    // per step. Only rate regularisation reads it: without it the estimator rests
    // (its value stays as it was; no digest folds it).
    if l.reg_shift == 0 {
        return;
    }
    let r = l.rate_decay;
    let inc = i64::from(32_768u16.saturating_sub(r)) << 1;
    update(mem.rbar, mem.z, r, inc, i64::from(u32::MAX));
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitvec::prelude::*;
    use proptest::prelude::*;

    /// The recipe one trace at a time, in 64 bits: `min((a t + r) >> 15 + one if
    /// spike, max)`, with `r` the rounding's addend of each trace in turn.
    fn recipe(
        tr: &[u32],
        spikes: &Bits,
        a: u16,
        (one, max): (u64, u64),
        r: Rounding,
        prng: &mut Prng,
    ) -> Vec<u32> {
        tr.iter()
            .zip(spikes.iter().by_vals())
            .map(|(&t, s)| {
                let d =
                    (u64::from(t) * u64::from(a) + r.addend(DECAY_FRAC, prng) as u64) >> DECAY_FRAC;
                (d + if s { one } else { 0 }).min(max) as u32
            })
            .collect()
    }

    proptest! {
        /// Every trace within its format takes the recipe's value, whatever the
        /// format, decay, rounding, spikes and where the spike vector starts in its
        /// word; the rounding's draws are taken in the same order.
        #[test]
        fn traces_are_the_recipe(
            bits in 6u32..=16,
            frac in 0u32..16,
            a in 0u16..=32768,
            n in 0usize..100,
            off in 0usize..40,
            seed in any::<u64>(),
            round in 0u8..3,
            raw in proptest::collection::vec(any::<u32>(), 100),
            sp in proptest::collection::vec(any::<bool>(), 140),
        ) {
            let max = (1u64 << bits) - 1;
            let one = 1u64 << frac.min(bits - 1);
            let r = [Rounding::Truncate, Rounding::Nearest, Rounding::Stochastic][usize::from(round)];
            let mut v: BitVec<u32, Lsb0> = sp.iter().copied().collect();
            v.truncate(off + n);
            let spikes = &v[off..];
            let start: Vec<u32> = raw[..n].iter().map(|&t| (u64::from(t) % (max + 1)) as u32).collect();
            let (mut p, mut q) = (Prng::new(seed), Prng::new(seed));
            let want = recipe(&start, spikes, a, (one, max), r, &mut q);
            let mut got = start.clone();
            update_rounded(&mut got, spikes, a, (one as i64, max as i64), r, &mut p);
            prop_assert_eq!(&got, &want);
            prop_assert_eq!(p, q);
        }
    }
}
