//! Leaky readout neurons.
//!
//! `y[t] = sat( round(kappa * y[t-1]) + round(2^s_out * sum_j W_out[j,k] z_j[t]) + b_k )`
//! in the readout format; the readout sees the spikes of the same step.

use crate::config::ChipConfig;
use crate::format::shift_round;
use crate::memory::Memory;
use crate::prng::Prng;

/// Update every readout from its accumulator.
#[cfg_attr(target_arch = "x86_64", inline(always))]
pub fn update_readouts(cfg: &ChipConfig, mem: &mut Memory<'_>, prng: &mut Prng) {
    let fmt = cfg.formats().readout;
    let s = i32::from(cfg.shifts().output);
    let rounding = cfg.leak_rounding();
    for (((y, &acc), &bias), &kappa) in mem
        .y
        .iter_mut()
        .zip(mem.acc_out.iter())
        .zip(mem.bias.iter())
        .zip(mem.kappa.iter())
    {
        let leak = rounding.decay(i64::from(*y), kappa as u16, prng);
        let x = leak
            .saturating_add(shift_round(i64::from(acc), s))
            .saturating_add(i64::from(bias));
        *y = fmt.saturate(x);
    }
}
