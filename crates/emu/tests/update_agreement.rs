//! The fixed-point exact engine's weight updates for one sample against the float
//! reference's e-prop updates, on the same inputs and the same (dequantised) weights.

use bitvec::prelude::*;
use neurochip_core::format::Format;
use neurochip_core::learning::{Apply, Engine, Loss};
use neurochip_core::{ChipLimits, Formats, Rounding, Target};
use neurochip_emu::{dequantize, effective_rates, quantize, LearnSpec, QuantOptions};
use neurochip_ref::bptt::cosine;
use neurochip_ref::{Decays, FTarget, LearnParams, Learner, Network, Reference};
use neurochip_tasks::cue::CueConfig;
use neurochip_tasks::rng::hash;

fn normal(seed: u64, s: u64, i: u64) -> f64 {
    let u = |c| ((hash(seed, s, i, c) >> 11) as f64 + 0.5) / (1u64 << 53) as f64;
    (-2.0 * u(0).ln()).sqrt() * (std::f64::consts::TAU * u(1)).cos()
}

/// A 100-neuron LIF network with tau_m = 2 s on the cue-accumulation input.
fn network(seed: u64) -> Network {
    let (ni, n, o) = (40, 100, 2);
    let mut net = Network::zeros(ni, n, o);
    net.alpha.fill((-1.0f64 / 2000.0).exp());
    net.refractory = 5;
    for k in 0..ni * n {
        net.w_in[k] = 1.0 / (ni as f64).sqrt() * normal(seed, 1, k as u64);
    }
    for k in 0..n * n {
        if k / n == k % n {
            net.mask_rec[k] = false;
        } else {
            net.w_rec[k] = 0.3 / (n as f64).sqrt() * normal(seed, 2, k as u64);
        }
    }
    for k in 0..n * o {
        net.w_out[k] = 1.0 / (n as f64).sqrt() * normal(seed, 3, k as u64);
    }
    net
}

fn agreement(seed: u64, engine: Engine) -> f64 {
    let net = network(seed);
    let opt = QuantOptions {
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
            eta_in: 1e-3,
            eta_rec: 1e-3,
            eta_out: 1e-3,
            eta_bias: 1e-3,
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
    };
    let mut chip = quantize(&net, &opt).unwrap();
    let cfg = *chip.config();
    let fnet = dequantize(&mut chip);
    let l = cfg.learning();
    let mut sim = Reference::new(fnet);
    let mut learner = Learner::new(
        LearnParams {
            // The chip's circuits: one trace decay, one eligibility decay.
            decays: Decays::Shared {
                trace: f64::from(l.trace_decay) / 32768.0,
                kappa: f64::from(l.elig_decay) / 32768.0,
            },
            ..LearnParams::gradient_only()
        },
        &sim,
    );
    let cue = CueConfig {
        seed,
        ..CueConfig::default()
    };
    let s = cue.sample(0);
    let mut x = bitvec![u32, Lsb0; 0; 40];
    for t in 0..s.steps() {
        s.spikes(t, &mut x);
        let xb: Vec<bool> = x.iter().by_vals().collect();
        chip.step(&x).unwrap();
        learner.step(&mut sim, &xb);
        let (tc, tf) = if s.in_recall(t) {
            (
                Target::Class(s.label() as usize),
                FTarget::Class(s.label() as usize),
            )
        } else {
            (Target::None, FTarget::None)
        };
        let (c, mut mem) = chip.parts();
        c.learn(&mut mem, tc).unwrap();
        learner.learn(&mut sim, tf);
    }
    // Chip accumulators (weight LSB * 2^16, sign of a descent step) to gradients.
    let eff = effective_rates(&cfg);
    let sh = cfg.shifts();
    let lsb = |s: i8, frac: u32| 2f64.powi(i32::from(s) - frac as i32);
    let mf = cfg.formats().membrane.frac();
    let mem = chip.mem();
    let to_grad = |g: &[i32], w_lsb: f64, eta: f64| -> Vec<f64> {
        g.iter()
            .map(|&q| -f64::from(q) / 65536.0 * w_lsb / eta)
            .collect()
    };
    let mut fixed = to_grad(mem.g_in, lsb(sh.input, mf), eff.eta_in);
    fixed.extend(to_grad(mem.g_rec, lsb(sh.recurrent, mf), eff.eta_rec));
    let float = [learner.g.w_in.clone(), learner.g.w_rec.clone()].concat();
    cosine(&fixed, &float)
}

#[test]
fn exact_engine_updates_agree_with_float_eprop() {
    let cs: Vec<f64> = (1..=4).map(|s| agreement(s, Engine::Exact)).collect();
    eprintln!("update cosine (exact engine, hidden weights): {cs:.4?}");
    for c in cs {
        assert!(c >= 0.9, "cosine {c}");
    }
}
