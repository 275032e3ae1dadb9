//! Stimuli for an STDP assembly area ([`neurochip_core::assembly`]) and the fixed
//! workload whose digest the host and the firmware compare.
//!
//! A stimulus is a group of [`STIM_SIZE`] input neurons; stimulus `s` is inputs
//! `s * STIM_SIZE .. (s + 1) * STIM_SIZE`. While it is shown, each of its neurons
//! spikes in a step with probability `p_fire` (drawn from a [`Prng`]); the others are
//! silent unless a background rate is given.

use neurochip_core::assembly::{Area, AreaConfig, AreaError, AreaMemory};
use neurochip_core::stdp::StdpParams;
use neurochip_core::{Prng, Rounding};

/// Input neurons per stimulus.
pub const STIM_SIZE: usize = 40;
/// Stimuli of the standard area.
pub const STIMULI: usize = 3;

/// The standard area: `n` neurons, cap `k`, [`STIMULI`] stimuli of [`STIM_SIZE`]
/// inputs; memoryless membranes (leak 0, the assembly calculus' step), recurrent
/// input divided by 4, STDP traces with tau = 5 steps, `a_plus = 2 a_minus`,
/// weights of 7 bits (`w_max = 127`) with stochastic rounding.
pub const fn area_config(n: usize, k: usize) -> AreaConfig {
    AreaConfig {
        n,
        n_in: STIMULI * STIM_SIZE,
        k,
        leak: 0,
        v_th: 48,
        rec_shift: 2,
        rounding: Rounding::Nearest,
        stdp: StdpParams {
            a_pre: 26_828,  // exp(-1/5) in Q1.15: tau = 5 steps
            a_post: 26_828, // exp(-1/5) in Q1.15
            inc: 4096,
            a_plus: 96,
            a_minus: 48,
            shift: 16,
            w_max: 127,
            rounding: Rounding::Stochastic,
        },
    }
}

/// Input spikes for one step: the neurons of every stimulus in `stims` spike with
/// probability `p_fire / 2^16`, all other inputs with `p_bg / 2^16`.
pub fn stimulus(stims: &[usize], p_fire: u16, p_bg: u16, rng: &mut Prng, x: &mut [bool]) {
    for (i, xi) in x.iter_mut().enumerate() {
        let s = i / STIM_SIZE;
        let p = if stims.contains(&s) { p_fire } else { p_bg };
        *xi = p > 0 && rng.chance_q16(p);
    }
}

/// The digest workload (the standard area with 200 neurons and `k = 20`, seed 7):
/// wire it (afferent probability 0.1, recurrent 0.25, initial weights 8..=24), then
/// `steps` plastic steps with stimulus `(t / 20) % 3` shown at 90% and a 2%
/// background drawn from `Prng::new(99)`. Returns the digest (final weights folded
/// in) and the number of spikes.
pub fn workload(
    mem: &mut AreaMemory<'_>,
    x: &mut [bool],
    steps: u32,
) -> Result<(u64, u64), AreaError> {
    let cfg = area_config(WORKLOAD_N, WORKLOAD_K);
    let mut area = Area::new(cfg, 7, mem)?;
    area.wire(mem, 6554, 16384, 8, 24);
    let mut rng = Prng::new(99);
    let mut spikes = 0u64;
    for t in 0..steps {
        let s = (t / 20) % STIMULI as u32;
        stimulus(&[s as usize], 58_982, 1_311, &mut rng, x);
        let fired = area.step(mem, x, true)?;
        spikes = spikes.saturating_add(fired as u64);
    }
    area.fold_weights(mem);
    Ok((area.digest(), spikes))
}

/// Neurons of the digest workload's area.
pub const WORKLOAD_N: usize = 200;
/// Cap of the digest workload's area.
pub const WORKLOAD_K: usize = 20;
