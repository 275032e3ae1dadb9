//! The fixed-point exact engine's weight updates for one sample against the float
//! reference's e-prop updates, on the same inputs and the same (dequantised) weights.

use bitvec::prelude::*;
use neurochip_core::learning::Engine;
use neurochip_emu::{dequantize, quantize};
use neurochip_ref::bptt::cosine;
use neurochip_ref::{Decays, LearnParams, Learner, Network, Reference};
use neurochip_tasks::cue::CueConfig;
use neurochip_tests::updates::{
    chip_gradients, learn_step, quant_options, random_weights, ref_gradients,
};

/// A 100-neuron LIF network with tau_m = 2 s on the cue-accumulation input.
fn network(seed: u64) -> Network {
    let mut net = Network::zeros(40, 100, 2);
    net.alpha.fill((-1.0f64 / 2000.0).exp());
    net.refractory = 5;
    random_weights(&mut net, seed, 1.0, 0.3);
    net
}

fn agreement(seed: u64, engine: Engine) -> f64 {
    let net = network(seed);
    let mut chip = quantize(&net, &quant_options(seed, engine)).unwrap();
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
        let label = s.in_recall(t).then(|| s.label() as usize);
        learn_step(&mut chip, [(&mut learner, &mut sim)], &x, label);
    }
    // The hidden weights: input and recurrent.
    let [g_in, g_rec, ..] = chip_gradients(&mut chip);
    let [f_in, f_rec, ..] = ref_gradients(&learner);
    cosine(&[g_in, g_rec].concat(), &[f_in, f_rec].concat())
}

#[test]
fn exact_engine_updates_agree_with_float_eprop() {
    let cs: Vec<f64> = (1..=4).map(|s| agreement(s, Engine::Exact)).collect();
    eprintln!("update cosine (exact engine, hidden weights): {cs:.4?}");
    for c in cs {
        assert!(c >= 0.9, "cosine {c}");
    }
}
