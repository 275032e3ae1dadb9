//! The fixed-point chip's weight updates against the f64 reference's e-prop
//! (`update_agreement.rs`, `classes_vs_float.rs`): counter-based random draws and
//! networks, the learning both quantise the chip with, one training step of the chip
//! beside its reference twins, and both sides' updates as gradients, layer by layer.

use bitvec::prelude::*;
use neurochip_core::format::Format;
use neurochip_core::learning::{Apply, Engine, Loss};
use neurochip_core::{ChipLimits, Formats, Rounding, Target};
use neurochip_emu::{effective_rates, HostChip, LayerRates, LearnSpec, QuantOptions};
use neurochip_ref::{FTarget, Learner, Network, Reference};
use neurochip_tasks::rng::hash;

/// A uniform draw in (0, 1): 53 bits of the counter-based hash of `(seed, s, i, c)`.
pub fn uniform(seed: u64, s: u64, i: u64, c: u64) -> f64 {
    ((hash(seed, s, i, c) >> 11) as f64 + 0.5) / (1u64 << 53) as f64
}

/// A standard normal draw (Box-Muller over the uniforms `c = 0` and `c = 1`).
pub fn normal(seed: u64, s: u64, i: u64) -> f64 {
    (-2.0 * uniform(seed, s, i, 0).ln()).sqrt()
        * (std::f64::consts::TAU * uniform(seed, s, i, 1)).cos()
}

/// Random weights for `net`, each `gain / sqrt(fan-in) * N(0, 1)`: input weights
/// with `gain_in` (draw stream 1), recurrent ones with `gain_rec` (stream 2; no
/// self-connections, their mask bits cleared), readout weights with gain 1 (stream 3).
pub fn random_weights(net: &mut Network, seed: u64, gain_in: f64, gain_rec: f64) {
    let (ni, n, o) = (net.n_in, net.n_rec, net.n_out);
    for k in 0..ni * n {
        net.w_in[k] = gain_in / (ni as f64).sqrt() * normal(seed, 1, k as u64);
    }
    for k in 0..n * n {
        if k / n == k % n {
            net.mask_rec[k] = false;
        } else {
            net.w_rec[k] = gain_rec / (n as f64).sqrt() * normal(seed, 2, k as u64);
        }
    }
    for k in 0..n * o {
        net.w_out[k] = 1.0 / (n as f64).sqrt() * normal(seed, 3, k as u64);
    }
}

/// Quantisation options with learning `engine`: default limits and formats but a
/// 12-bit trace (6 fractional bits), stochastic rounding, `seed`; updates accumulated
/// per sample for a classification, every learning rate 1e-3, 24-bit eligibility (12
/// fractional bits), 4 pseudo-derivative levels, symmetric feedback, no Dale's law,
/// no rate spread, no regularisation.
pub fn quant_options(seed: u64, engine: Engine) -> QuantOptions {
    QuantOptions {
        limits: ChipLimits::default(),
        formats: Formats {
            trace: Format::unsigned(12, 6).unwrap(),
            ..Formats::default()
        },
        rounding: Rounding::Stochastic,
        seed,
        learning: Some(LearnSpec {
            engine,
            apply: Apply::Sample,
            loss: Loss::Classification,
            rates: LayerRates::uniform(1e-3),
            elig_bits: 24,
            elig_frac: 12,
            psi_levels: 4,
            feedback: None,
            dale: false,
            learn_readout: true,
            learn_hidden: true,
            lr_spread: 0,
            reg: None,
        }),
        shifts: None,
    }
}

/// One step of `chip` and of each reference twin (a learner and its simulator) on the
/// input spikes `x`, then a learning step of each toward class `label` (`None`: no
/// target at this step).
pub fn learn_step<'a>(
    chip: &mut HostChip,
    twins: impl IntoIterator<Item = (&'a mut Learner, &'a mut Reference)>,
    x: &BitSlice<u32, Lsb0>,
    label: Option<usize>,
) {
    let xb: Vec<bool> = x.iter().by_vals().collect();
    chip.step(x).unwrap();
    let (tc, tf) = match label {
        Some(k) => (Target::Class(k), FTarget::Class(k)),
        None => (Target::None, FTarget::None),
    };
    let (regs, mut mem) = chip.parts();
    regs.learn(&mut mem, tc).unwrap();
    for (learner, sim) in twins {
        learner.step(sim, &xb);
        learner.learn(sim, tf);
    }
}

/// The chip's accumulated updates (weight LSB x 2^16, with the sign of a descent
/// step) as gradients: input, recurrent and readout weights, biases.
pub fn chip_gradients(chip: &mut HostChip) -> [Vec<f64>; 4] {
    let cfg = *chip.config();
    let eff = effective_rates(&cfg);
    let sh = cfg.shifts();
    let lsb = |s: i8, frac: u32| 2f64.powi(i32::from(s) - frac as i32);
    let (mf, rf) = (cfg.formats().membrane.frac(), cfg.formats().readout.frac());
    let mem = chip.mem();
    let to_grad = |g: &[i32], w_lsb: f64, eta: f64| -> Vec<f64> {
        g.iter()
            .map(|&q| -f64::from(q) / 65536.0 * w_lsb / eta)
            .collect()
    };
    [
        to_grad(mem.g_in, lsb(sh.input, mf), eff.eta_in),
        to_grad(mem.g_rec, lsb(sh.recurrent, mf), eff.eta_rec),
        to_grad(mem.g_out, lsb(sh.output, rf), eff.eta_out),
        to_grad(mem.g_bias, 2f64.powi(-(rf as i32)), eff.eta_bias),
    ]
}

/// A reference learner's gradients, layer by layer as [`chip_gradients`].
pub fn ref_gradients(l: &Learner) -> [Vec<f64>; 4] {
    [
        l.g.w_in.clone(),
        l.g.w_rec.clone(),
        l.g.w_out.clone(),
        l.g.bias.clone(),
    ]
}
