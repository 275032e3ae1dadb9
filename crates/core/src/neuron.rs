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

use crate::config::ChipConfig;
use crate::format::{shift_round, ADAPT_FRAC};
use crate::memory::Memory;
use crate::prng::Prng;

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

/// Fractional bits of the pseudo-derivative `psi` (Q4.12).
pub const PSI_FRAC: u32 = 12;
/// Fractional bits of the per-neuron gain `gamma / v_th^2` (Q16.16).
pub const PSI_GAIN_FRAC: u32 = 16;

/// The pseudo-derivative of a neuron:
/// `psi = gamma / v_th * max(0, 1 - |v - A| / v_th) = gain * max(0, v_th - |v - A|)`
/// with `gain = gamma / v_th^2` held per neuron (Q16.16), so no division is needed.
/// Result Q4.12, rounded to nearest, saturating at `0xFFFF`. With `levels > 0` (light
/// engine) `max(0, 1 - |v - A| / v_th)` is first quantised down to `levels` levels
/// `0, 1/(levels-1), ..., 1` by comparisons, again without division.
#[inline]
pub fn pseudo_derivative(v: i32, a: i64, thr: i32, gain: u32, mem_frac: u32, levels: u8) -> u32 {
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
    p.clamp(0, 0xFFFF) as u32
}

/// Update every recurrent neuron from its accumulators. Reads the previous spikes in
/// `mem.z` and overwrites them with the new ones. Returns the number of spikes.
pub fn update_neurons(cfg: &ChipConfig, mem: &mut Memory<'_>, prng: &mut Prng) -> u32 {
    let fmt = cfg.formats().membrane;
    let shifts = cfg.shifts();
    let rounding = cfg.leak_rounding();
    let n_ref = i32::from(cfg.refractory());
    let mf = fmt.frac();
    let levels = match cfg.learning().engine {
        crate::learning::Engine::Light => cfg.learning().psi_levels,
        _ => 0,
    };
    let mut spikes = 0u32;
    let n = mem.layout.n_rec;
    for j in 0..n {
        let (Some(v), Some(&thr), Some(&beta), Some(refr)) = (
            mem.v.get_mut(j),
            mem.thr.get(j),
            mem.beta.get(j),
            mem.refr.get_mut(j),
        ) else {
            break;
        };
        let (Some(&ain), Some(&arec), Some(&alpha), Some(&rho), Some(b)) = (
            mem.acc_in.get(j),
            mem.acc_rec.get(j),
            mem.alpha.get(j),
            mem.rho.get(j),
            mem.b.get_mut(j),
        ) else {
            break;
        };
        let Some(mut z) = mem.z.get_mut(j) else {
            break;
        };
        let z_old = *z;

        let leak = rounding.decay(i64::from(*v), alpha as u16, prng);
        let input = shift_round(i64::from(ain), i32::from(shifts.input))
            .saturating_add(shift_round(i64::from(arec), i32::from(shifts.recurrent)));
        let reset = if z_old { i64::from(thr) } else { 0 };
        *v = fmt.saturate(leak.saturating_add(input).saturating_sub(reset));

        if beta != 0 {
            let decayed = rounding.decay(i64::from(*b), rho as u16, prng);
            let nb = decayed.saturating_add(if z_old { B_ONE } else { 0 });
            *b = nb.clamp(0, i64::from(u32::MAX)) as u32;
        }
        let a = adaptive_threshold(thr, beta, *b);

        let refractory = *refr > 0;
        if let (Some(psi), Some(&gain)) = (mem.psi.get_mut(j), mem.psi_gain.get(j)) {
            *psi = if refractory {
                0
            } else {
                pseudo_derivative(*v, a, thr, gain, mf, levels)
            };
        }
        let fire = if refractory {
            *refr = refr.saturating_sub(1);
            false
        } else {
            i64::from(*v) > a
        };
        if fire {
            *refr = n_ref;
            spikes = spikes.saturating_add(1);
        }
        z.set(fire);
    }
    spikes
}
