//! Exact e-prop with heterogeneous time constants on the fixed-point chip (issue 17,
//! `neurochip_core::classes`): random networks whose neurons have per-neuron `tau_m`
//! in a few classes and whose readouts have per-readout `tau_out`, trained for one
//! sample with the exact engine in per-sample mode. The chip's accumulated updates
//! (input, recurrent and readout weights, biases) are compared with the f64
//! reference's exact e-prop (`Decays::Network`, every neuron's and readout's own
//! decay) on the same dequantised network and inputs: cosine at least 0.9. The
//! reference with the chip's old circuit (one shared trace decay, the mean `alpha`,
//! and readout 0's `kappa`) is printed beside it.

use bitvec::prelude::*;
use neurochip_core::format::Format;
use neurochip_core::learning::{Apply, Engine, Loss};
use neurochip_core::{ChipLimits, Formats, Rounding, Target};
use neurochip_emu::{dequantize, effective_rates, quantize, LearnSpec, QuantOptions};
use neurochip_ref::bptt::cosine;
use neurochip_ref::{Decays, FTarget, LearnParams, Learner, Network, Reference};
use neurochip_tasks::rng::hash;
use proptest::prelude::*;

fn uniform(seed: u64, s: u64, i: u64, c: u64) -> f64 {
    ((hash(seed, s, i, c) >> 11) as f64 + 0.5) / (1u64 << 53) as f64
}

fn normal(seed: u64, s: u64, i: u64) -> f64 {
    (-2.0 * uniform(seed, s, i, 0).ln()).sqrt()
        * (std::f64::consts::TAU * uniform(seed, s, i, 1)).cos()
}

/// The network of one case: `classes` distinct `tau_m` (ms, 1 ms steps) spread over
/// the neurons at random, `tau_out` per readout, ALIF neurons when `alif`.
#[derive(Clone, Debug)]
struct Case {
    seed: u64,
    tau_m: Vec<f64>,
    tau_out: Vec<f64>,
    alif: bool,
}

const NI: usize = 16;
const N: usize = 24;
const STEPS: usize = 300;

fn network(c: &Case) -> Network {
    let o = c.tau_out.len();
    let mut net = Network::zeros(NI, N, o);
    let seed = c.seed;
    for j in 0..N {
        // Every class has a neuron; the rest are drawn.
        let nc = c.tau_m.len();
        let k = if j < nc {
            j
        } else {
            (hash(seed, 10, j as u64, 0) % nc as u64) as usize
        };
        net.alpha[j] = (-1.0 / c.tau_m[k]).exp();
        net.rho[j] = (-1.0f64 / 200.0).exp();
        net.beta[j] = if c.alif && j % 2 == 0 { 0.2 } else { 0.0 };
    }
    for (k, &t) in c.tau_out.iter().enumerate() {
        net.kappa[k] = (-1.0 / t).exp();
    }
    net.refractory = 2;
    for k in 0..NI * N {
        net.w_in[k] = 2.5 / (NI as f64).sqrt() * normal(seed, 1, k as u64);
    }
    for k in 0..N * N {
        if k / N == k % N {
            net.mask_rec[k] = false;
        } else {
            net.w_rec[k] = 0.5 / (N as f64).sqrt() * normal(seed, 2, k as u64);
        }
    }
    for k in 0..N * o {
        net.w_out[k] = 1.0 / (N as f64).sqrt() * normal(seed, 3, k as u64);
    }
    net
}

fn spec() -> LearnSpec {
    LearnSpec {
        engine: Engine::Exact,
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
    }
}

/// (cosine with exact e-prop, cosine with the shared-decay rule, trace classes,
/// readout classes) of the chip's updates for one sample.
fn agreement(c: &Case) -> (f64, f64, usize, usize) {
    let net = network(c);
    let opt = QuantOptions {
        limits: ChipLimits::default(),
        formats: Formats {
            trace: Format::unsigned(12, 6).unwrap(),
            ..Formats::default()
        },
        rounding: Rounding::Stochastic,
        seed: c.seed,
        learning: Some(spec()),
        shifts: None,
    };
    let mut chip = quantize(&net, &opt).unwrap();
    let cfg = *chip.config();
    let layout = cfg.layout();
    let fnet = dequantize(&mut chip);
    let mean = fnet.alpha.iter().sum::<f64>() / N as f64;
    let learner = |decays, sim: &Reference| {
        Learner::new(
            LearnParams {
                decays,
                ..LearnParams::gradient_only()
            },
            sim,
        )
    };
    let mut sims = [Reference::new(fnet.clone()), Reference::new(fnet.clone())];
    let mut learners = [
        learner(Decays::Network, &sims[0]),
        learner(
            Decays::Shared {
                trace: mean,
                kappa: fnet.kappa[0],
            },
            &sims[1],
        ),
    ];
    let o = c.tau_out.len();
    let label = (hash(c.seed, 20, 0, 0) % o as u64) as usize;
    let mut x = bitvec![u32, Lsb0; 0; NI];
    for t in 0..STEPS {
        for i in 0..NI {
            x.set(i, uniform(c.seed, 30, t as u64, i as u64) < 0.05);
        }
        let xb: Vec<bool> = x.iter().by_vals().collect();
        chip.step(&x).unwrap();
        let recall = t >= STEPS - 100;
        let (tc, tf) = if recall {
            (Target::Class(label), FTarget::Class(label))
        } else {
            (Target::None, FTarget::None)
        };
        let (chip_regs, mut mem) = chip.parts();
        chip_regs.learn(&mut mem, tc).unwrap();
        for (l, s) in learners.iter_mut().zip(sims.iter_mut()) {
            l.step(s, &xb);
            l.learn(s, tf);
        }
    }
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
    let mut fixed = to_grad(mem.g_in, lsb(sh.input, mf), eff.eta_in);
    fixed.extend(to_grad(mem.g_rec, lsb(sh.recurrent, mf), eff.eta_rec));
    fixed.extend(to_grad(mem.g_out, lsb(sh.output, rf), eff.eta_out));
    fixed.extend(to_grad(mem.g_bias, 2f64.powi(-(rf as i32)), eff.eta_bias));
    let float = |l: &Learner| {
        [
            l.g.w_in.clone(),
            l.g.w_rec.clone(),
            l.g.w_out.clone(),
            l.g.bias.clone(),
        ]
        .concat()
    };
    (
        cosine(&fixed, &float(&learners[0])),
        cosine(&fixed, &float(&learners[1])),
        layout.trace_classes,
        layout.readout_classes,
    )
}

fn case() -> impl Strategy<Value = Case> {
    (
        1u64..1_000_000,
        prop::collection::vec(4.0f64..80.0, 2..=5),
        prop::collection::vec(4.0f64..60.0, 2..=4),
        any::<bool>(),
    )
        .prop_map(|(seed, tau_m, tau_out, alif)| Case {
            seed,
            tau_m,
            tau_out,
            alif,
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// The chip with decay classes computes exact e-prop: its updates point where the
    /// f64 reference's do (cosine >= 0.9), over every learned weight and bias.
    #[test]
    fn chip_with_classes_agrees_with_exact_eprop(c in case()) {
        let (exact, shared, tc, kc) = agreement(&c);
        eprintln!(
            "tau_m classes {tc}, tau_out classes {kc}, alif {}: cosine exact {exact:.4}, \
             against the shared-decay rule {shared:.4}",
            c.alif
        );
        prop_assert!(tc > 1 && kc > 1, "{tc} {kc}");
        prop_assert!(exact >= 0.9, "cosine {exact}");
    }
}

/// The chip's classes come from the distinct quantised decays: the cosine of a fixed
/// case, printed for the docs.
#[test]
fn fixed_case_cosine() {
    let c = Case {
        seed: 7,
        tau_m: vec![5.0, 12.0, 30.0, 70.0],
        tau_out: vec![8.0, 25.0, 50.0],
        alif: false,
    };
    let (exact, shared, tc, kc) = agreement(&c);
    eprintln!("fixed case: {tc} x {kc} classes, cosine exact {exact:.4}, shared {shared:.4}");
    assert!(exact >= 0.9, "cosine {exact}");
}
