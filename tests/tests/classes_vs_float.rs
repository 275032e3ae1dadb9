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
use neurochip_core::learning::Engine;
use neurochip_emu::{dequantize, quantize};
use neurochip_ref::bptt::cosine;
use neurochip_ref::{Decays, LearnParams, Learner, Network, Reference};
use neurochip_tasks::rng::hash;
use neurochip_tests::updates::{
    chip_gradients, learn_step, quant_options, random_weights, ref_gradients, uniform,
};
use proptest::prelude::*;

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
/// The target window: the last steps of the sample.
const WINDOW: usize = 100;

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
    random_weights(&mut net, seed, 2.5, 0.5);
    net
}

/// What one sample's updates show: the chip's cosine with exact e-prop and with the
/// shared-decay rule, its trace and readout classes, and the reference's output error
/// (`sum_k |pi_k - onehot_k|`) averaged over the target window.
struct Agreement {
    exact: f64,
    shared: f64,
    trace_classes: usize,
    readout_classes: usize,
    error: f64,
}

/// The output error below which the chip's updates are its rounding: 16 steps of the
/// Q0.15 error (`docs/fixed-point.md`) a target step.
const ERROR_FLOOR: f64 = 16.0 / 32768.0;

/// The [`Agreement`] of the chip's updates for one sample.
fn agreement(c: &Case) -> Agreement {
    let net = network(c);
    let mut chip = quantize(&net, &quant_options(c.seed, Engine::Exact)).unwrap();
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
    let mut error = 0.0;
    for t in 0..STEPS {
        for i in 0..NI {
            x.set(i, uniform(c.seed, 30, t as u64, i as u64) < 0.05);
        }
        let recall = t >= STEPS - WINDOW;
        let twins = learners.iter_mut().zip(sims.iter_mut());
        learn_step(&mut chip, twins, &x, recall.then_some(label));
        if recall {
            error += learners[0].err.iter().map(|e| e.abs()).sum::<f64>() / WINDOW as f64;
        }
    }
    let fixed = chip_gradients(&mut chip).concat();
    Agreement {
        exact: cosine(&fixed, &ref_gradients(&learners[0]).concat()),
        shared: cosine(&fixed, &ref_gradients(&learners[1]).concat()),
        trace_classes: layout.trace_classes,
        readout_classes: layout.readout_classes,
        error,
    }
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
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// The chip with decay classes computes exact e-prop: its updates point where the
    /// f64 reference's do (cosine >= 0.9), over every learned weight and bias, on
    /// every network whose readout still errs by more than [`ERROR_FLOOR`]. A network
    /// that already reads out its label (about one draw in 300) leaves an error of a
    /// step or two of Q0.15, and the chip's updates are then its rounding: cosines of
    /// 0.66-0.93, or no update at all, with the same spikes as the reference.
    #[test]
    fn chip_with_classes_agrees_with_exact_eprop(c in case()) {
        let a = agreement(&c);
        eprintln!(
            "tau_m classes {}, tau_out classes {}, alif {}: error {:.1e}, cosine exact \
             {:.4}, against the shared-decay rule {:.4}",
            a.trace_classes, a.readout_classes, c.alif, a.error, a.exact, a.shared
        );
        prop_assert!(a.trace_classes > 1 && a.readout_classes > 1);
        prop_assume!(a.error >= ERROR_FLOOR, "error {} at the chip's rounding", a.error);
        prop_assert!(a.exact >= 0.9, "cosine {}", a.exact);
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
    let a = agreement(&c);
    eprintln!(
        "fixed case: {} x {} classes, error {:.1e}, cosine exact {:.4}, shared {:.4}",
        a.trace_classes, a.readout_classes, a.error, a.exact, a.shared
    );
    assert!(
        a.error >= ERROR_FLOOR && a.exact >= 0.9,
        "cosine {}",
        a.exact
    );
}
