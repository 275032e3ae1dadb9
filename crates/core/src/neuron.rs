//! The neuron engine: LIF and adaptive LIF (ALIF) updates, one neuron at a time, as
//! a time-multiplexed neuron engine computes them.
//!
//! For neuron `j`, from step `t` to `t + 1` (TF e-prop conventions, Bellec et al.
//! 2020, Methods; `z[t]` is the neuron's own previous spike):
//!
//! ```text
//! v[t+1] = sat( round(alpha * v[t]) + I_in + I_rec - z[t] * v_th )
//! b[t+1] = sat( round(rho * b[t]) + z[t] )                     (ALIF only)
//! A[t+1] = v_th + round(beta * b[t+1])
//! z[t+1] = v[t+1] > A[t+1]   unless refractory
//! ```
//!
//! `I_in` and `I_rec` are the accumulated synaptic sums scaled by their layer shift
//! (rounded to nearest once). The membrane sum is formed in 64 bits and saturated once
//! into the membrane format. A neuron with `beta = 0` is LIF: its `b` is not touched.
//! After a spike the neuron is refractory for `refractory` steps: it cannot spike and
//! its pseudo-derivative is zero; the reset still happens.

use bitvec::field::BitField;

use crate::config::ChipConfig;
use crate::format::{shift_round, ADAPT_FRAC};
use crate::memory::Memory;
use crate::prng::Prng;
use crate::round::Rounding;

/// One unit of `b` (a spike) in Q16.16.
const B_ONE: i64 = 1 << ADAPT_FRAC;

/// The effective threshold `A = v_th + round(beta * b)`, membrane format (wide).
#[inline]
pub fn adaptive_threshold(thr: i32, beta: i32, b: u32) -> i64 {
    let adapt = shift_round(
        i64::from(beta).saturating_mul(i64::from(b)),
        (ADAPT_FRAC as i32).wrapping_neg(),
    );
    i64::from(thr).saturating_add(adapt)
}

/// The pseudo-derivative `psi`: unsigned Q4.12 (16 bits), a format fixed by design;
/// stored as its bits in [`Memory::psi`](crate::Memory).
pub type Psi = fixed::types::U4F12;
/// Fractional bits of [`Psi`].
pub const PSI_FRAC: u32 = Psi::FRAC_NBITS;
/// Fractional bits of the per-neuron gain `gamma / v_th^2` (Q16.16).
pub const PSI_GAIN_FRAC: u32 = 16;

/// The pseudo-derivative of a neuron:
/// `psi = gamma / v_th * max(0, 1 - |v - A| / v_th) = gain * max(0, v_th - |v - A|)`
/// with `gain = gamma / v_th^2` held per neuron (Q16.16), so no division is needed.
/// Result [`Psi`], rounded to nearest, saturating at its largest value. With `levels > 0` (light
/// engine) `max(0, 1 - |v - A| / v_th)` is first quantised down to `levels` levels
/// `0, 1/(levels-1), ..., 1` by comparisons, again without division.
#[inline]
pub fn pseudo_derivative(v: i32, a: i64, thr: i32, gain: u32, mem_frac: u32, levels: u8) -> Psi {
    let dist = i64::from(v).saturating_sub(a).saturating_abs();
    let thr = i64::from(thr);
    let raw = thr.saturating_sub(dist).max(0);
    let raw = if levels >= 2 {
        let lv = i64::from(levels);
        let steps = lv.saturating_sub(1);
        // level = largest k in 0..=steps with raw * steps >= thr * k.
        let mut k = 0i64;
        while k < steps && raw.saturating_mul(steps) >= thr.saturating_mul(k.saturating_add(1)) {
            k = k.saturating_add(1);
        }
        thr.saturating_mul(k).checked_div(steps).unwrap_or(0)
    } else {
        raw
    };
    let shift = (mem_frac
        .saturating_add(PSI_GAIN_FRAC)
        .saturating_sub(PSI_FRAC)) as i32;
    let p = shift_round(raw.saturating_mul(i64::from(gain)), shift.wrapping_neg());
    Psi::from_bits(p.clamp(0, i64::from(u16::MAX)) as u16)
}

/// Update every recurrent neuron from its accumulators. Reads the previous spikes in
/// `mem.z` and overwrites them with the new ones. Returns the number of spikes.
#[cfg_attr(target_arch = "x86_64", inline(always))]
pub fn update_neurons(cfg: &ChipConfig, mem: &mut Memory<'_>, prng: &mut Prng) -> u32 {
    let fmt = cfg.formats().membrane;
    let (lo, hi) = (i64::from(fmt.min()), i64::from(fmt.max()));
    let shifts = cfg.shifts();
    let (s_in, s_rec) = (i32::from(shifts.input), i32::from(shifts.recurrent));
    let rounding = cfg.leak_rounding();
    let n_ref = i32::from(cfg.refractory());
    let mf = fmt.frac();
    let levels = match cfg.learning().engine {
        crate::learning::Engine::Light => cfg.learning().psi_levels,
        _ => 0,
    };
    // The spike vector is read and written a 32-bit word at a time: the previous
    // spikes are copied out first, the new ones written back at the end.
    let levels_or_learning = !mem.psi.is_empty();
    let mut old = [0u32; WORDS];
    let mut new = [0u32; WORDS];
    for (w, c) in old.iter_mut().zip(mem.z.chunks(32)) {
        *w = c.load_le::<u32>();
    }
    let mut spikes = 0u32;
    let n = mem.layout.n_rec.min(WORDS.saturating_mul(32));
    // Inference on a LIF network without stochastic rounding draws nothing from the
    // PRNG and has no per-neuron branches: the block path below, 32 neurons a word.
    let plain = !levels_or_learning
        && rounding != Rounding::Stochastic
        && s_in.unsigned_abs() <= 24
        && s_rec.unsigned_abs() <= 24
        && mem.beta.iter().all(|&b| b == 0);
    if plain {
        let p = Plain {
            lo,
            hi,
            s_in,
            s_rec,
            truncate: rounding == Rounding::Truncate,
            n_ref,
        };
        let blocks = mem
            .v
            .chunks_mut(32)
            .zip(mem.thr.chunks(32))
            .zip(mem.refr.chunks_mut(32))
            .zip(mem.acc_in.chunks(32).zip(mem.acc_rec.chunks(32)))
            .zip(mem.alpha.chunks(32))
            .take(n.div_ceil(32));
        for ((((((v, thr), refr), (ain, arec)), alpha), &o), w) in
            blocks.zip(old.iter()).zip(new.iter_mut())
        {
            *w = p.block(v, thr, refr, ain, arec, alpha, o);
            spikes = spikes.saturating_add(w.count_ones());
        }
        for (c, &w) in mem.z.chunks_mut(32).zip(new.iter()) {
            c.store_le::<u32>(w);
        }
        return spikes;
    }
    // Every region cut to exactly `n` words, so the per-neuron reads below cannot miss.
    let (Some(vs), Some(thrs), Some(betas), Some(refrs), Some(ains), Some(arecs)) = (
        mem.v.get_mut(..n),
        mem.thr.get(..n),
        mem.beta.get(..n),
        mem.refr.get_mut(..n),
        mem.acc_in.get(..n),
        mem.acc_rec.get(..n),
    ) else {
        return 0;
    };
    let (Some(alphas), Some(rhos), Some(bs)) =
        (mem.alpha.get(..n), mem.rho.get(..n), mem.b.get_mut(..n))
    else {
        return 0;
    };
    for j in 0..n {
        let (Some(v), Some(&thr), Some(&beta), Some(refr), Some(&ain), Some(&arec)) = (
            vs.get_mut(j),
            thrs.get(j),
            betas.get(j),
            refrs.get_mut(j),
            ains.get(j),
            arecs.get(j),
        ) else {
            break;
        };
        let (Some(&alpha), Some(&rho), Some(b)) = (alphas.get(j), rhos.get(j), bs.get_mut(j))
        else {
            break;
        };
        let (word, bit) = (j >> 5, (j & 31) as u32);
        let z_old = old.get(word).is_some_and(|w| (w >> bit) & 1 == 1);

        // Leak, input (each accumulator scaled by its layer shift), reset by subtraction.
        let leak = rounding.decay(i64::from(*v), alpha as u16, prng);
        let input =
            shift_round(i64::from(ain), s_in).saturating_add(shift_round(i64::from(arec), s_rec));
        let reset = if z_old { i64::from(thr) } else { 0 };
        let nv = leak
            .saturating_add(input)
            .saturating_sub(reset)
            .clamp(lo, hi) as i32;
        *v = nv;

        // Adaptation (ALIF only; LIF neurons have beta = 0).
        if beta != 0 {
            let decayed = rounding.decay(i64::from(*b), rho as u16, prng);
            let nb = decayed.saturating_add(if z_old { B_ONE } else { 0 });
            *b = nb.clamp(0, i64::from(u32::MAX)) as u32;
        }
        let a = if beta != 0 {
            adaptive_threshold(thr, beta, *b)
        } else {
            i64::from(thr)
        };

        // Pseudo-derivative of this step (learning only), zero while refractory.
        let refractory = *refr > 0;
        if levels_or_learning {
            if let (Some(psi), Some(&gain)) = (mem.psi.get_mut(j), mem.psi_gain.get(j)) {
                *psi = if refractory {
                    0
                } else {
                    u32::from(pseudo_derivative(nv, a, thr, gain, mf, levels).to_bits())
                };
            }
        }
        // Fire unless refractory.
        let fire = if refractory {
            *refr = refr.saturating_sub(1);
            false
        } else {
            i64::from(nv) > a
        };
        if fire {
            *refr = n_ref;
            spikes = spikes.saturating_add(1);
            if let Some(w) = new.get_mut(word) {
                *w |= 1 << bit;
            }
        }
    }
    for (c, &w) in mem.z.chunks_mut(32).zip(new.iter()) {
        c.store_le::<u32>(w);
    }
    spikes
}

/// The neuron engine's constants for [`update_neurons`]' block path (LIF, inference,
/// nearest or truncating decay).
struct Plain {
    lo: i64,
    hi: i64,
    s_in: i32,
    s_rec: i32,
    truncate: bool,
    n_ref: i32,
}

impl Plain {
    /// Up to 32 neurons, with their previous spikes in the bits of `old`: the same
    /// arithmetic as the general loop, branch-free, so that the compiler vectorises
    /// it. Plain 64-bit sums are exact here: a leak is below 2^47 and each input
    /// (a 32-bit accumulator shifted by at most 24) below 2^56. Returns the new spikes.
    #[cfg_attr(target_arch = "x86_64", inline(always))]
    #[allow(clippy::too_many_arguments)]
    fn block(
        &self,
        v: &mut [i32],
        thr: &[i32],
        refr: &mut [i32],
        ain: &[i32],
        arec: &[i32],
        alpha: &[u32],
        old: u32,
    ) -> u32 {
        let half = if self.truncate { 0 } else { 1i64 << 14 };
        let mut new = 0u32;
        let cells = v
            .iter_mut()
            .zip(thr)
            .zip(refr.iter_mut())
            .zip(ain.iter().zip(arec))
            .zip(alpha);
        for (k, ((((v, &thr), refr), (&ain, &arec)), &alpha)) in cells.enumerate() {
            let k = k as u32 & 31;
            let z_old = (old >> k) & 1 == 1;
            let leak = i64::from(*v)
                .wrapping_mul(i64::from(alpha as u16))
                .wrapping_add(half)
                .wrapping_shr(15);
            let input = scale(ain, self.s_in).wrapping_add(scale(arec, self.s_rec));
            let reset = if z_old { i64::from(thr) } else { 0 };
            let nv = leak
                .wrapping_add(input)
                .wrapping_sub(reset)
                .clamp(self.lo, self.hi) as i32;
            *v = nv;
            let refractory = *refr > 0;
            let fire = !refractory && nv > thr;
            *refr = if fire {
                self.n_ref
            } else if refractory {
                refr.wrapping_sub(1)
            } else {
                *refr
            };
            new |= u32::from(fire) << k;
        }
        new
    }
}

/// `shift_round(x, s)` for a 32-bit accumulator and a layer shift `s` in `-24..=24`:
/// a left shift (below 2^55, so it cannot saturate) or a rounded right shift, without
/// the saturating multiply that keeps the general form from vectorising.
#[cfg_attr(target_arch = "x86_64", inline(always))]
fn scale(x: i32, s: i32) -> i64 {
    let x = i64::from(x);
    let left = s.clamp(0, 24) as u32;
    let right = s.clamp(-24, 0).unsigned_abs();
    let half = 1i64.wrapping_shl(right) >> 1;
    x.wrapping_shl(left).wrapping_add(half).wrapping_shr(right)
}

/// Words of the largest spike vector.
const WORDS: usize = (crate::config::HARD_MAX_UNITS as usize).div_ceil(32);
