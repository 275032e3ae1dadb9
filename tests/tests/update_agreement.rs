//! The fixed-point engines' weight updates against the float reference's e-prop
//! updates, on the same inputs and the same (dequantised) weights: the exact engine's
//! for one sample, the light engine's (the sum of its stochastic steps) against its
//! expectation on an LSNN, whose ALIF synapses step with `zbar - beta eps`.

use bitvec::prelude::*;
use neurochip_core::format::shift_round;
use neurochip_core::learning::Engine;
use neurochip_emu::{dequantize, quantize};
use neurochip_ref::bptt::cosine;
use neurochip_ref::{Decays, LearnParams, Learner, Network, Reference, Rule};
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

/// The light engine's expected step on an LSNN (50 LIF then 50 ALIF neurons, tau_m
/// 20 ms, tau_a 2 s, beta 0.07) over `samples` cue trials, read off the chip's state
/// at every learning step (`L_j |e| psi_j` against the sign of `L_j e`, with
/// `e = zbar_i - beta_j eps_ji` onto an ALIF neuron, `zbar_i` onto a LIF one: the
/// probability its comparator is given), against the float light twin's update, on
/// the synapses onto the ALIF neurons and onto the LIF ones. (The kernels' oracle
/// checks that the steps follow these probabilities bit for bit.) The third figure
/// is the ALIF synapses' agreement when the chip's `beta eps` term is left out.
fn light_agreement(seed: u64, samples: u64) -> (f64, f64, f64) {
    let (ni, n) = (40, 100);
    let mut net = Network::zeros(ni, n, 2);
    net.alpha.fill((-1.0f64 / 20.0).exp());
    for j in 50..n {
        net.rho[j] = (-1.0f64 / 2000.0).exp();
        net.beta[j] = 0.07;
    }
    net.refractory = 5;
    random_weights(&mut net, seed, 3.0, 0.5);
    let mut chip = quantize(&net, &quant_options(seed, Engine::Light)).unwrap();
    let cfg = *chip.config();
    assert!(cfg.alif());
    let fnet = dequantize(&mut chip);
    let l = *cfg.learning();
    let mut sim = Reference::new(fnet);
    sim.psi_levels = l.psi_levels;
    let mut learner = Learner::new(
        LearnParams {
            rule: Rule::Light,
            decays: Decays::Shared {
                trace: f64::from(l.trace_decay) / 32768.0,
                kappa: f64::from(l.elig_decay) / 32768.0,
            },
            ..LearnParams::gradient_only()
        },
        &sim,
    );
    let mf = cfg.formats().membrane.frac() as i32;
    let conv = l.elig.frac() as i32 - cfg.formats().trace.frac() as i32;
    let cue = CueConfig {
        seed,
        ..CueConfig::default()
    };
    let mut x = bitvec![u32, Lsb0; 0; 40];
    let (mut e_in, mut e_rec) = (vec![0f64; ni * n], vec![0f64; n * n]);
    let (mut z_in, mut z_rec) = (vec![0f64; ni * n], vec![0f64; n * n]);
    for k in 0..samples {
        let s = cue.sample(k);
        chip.reset_state();
        sim.reset_state();
        learner.reset_state();
        for t in 0..s.steps() {
            s.spikes(t, &mut x);
            let label = s.in_recall(t).then(|| s.label() as usize);
            learn_step(&mut chip, [(&mut learner, &mut sim)], &x, label);
            if label.is_none() {
                continue;
            }
            let mem = chip.mem();
            for (trace, eps, acc, acc_z) in [
                (&*mem.xbar, &*mem.eps_in, &mut e_in, &mut z_in),
                (&*mem.zbar, &*mem.eps_rec, &mut e_rec, &mut z_rec),
            ] {
                for (i, &tr) in trace.iter().enumerate() {
                    for j in 0..n {
                        let idx = i * n + j;
                        let beps = shift_round(i64::from(mem.beta[j]) * i64::from(eps[idx]), -mf);
                        let e = (i64::from(tr) - shift_round(beps, -conv)).clamp(-0xFFFF, 0xFFFF);
                        let lp = f64::from(mem.l[j]) * f64::from(mem.psi[j]);
                        acc[idx] += lp * e as f64;
                        acc_z[idx] += lp * f64::from(tr);
                    }
                }
            }
        }
    }
    let [f_in, f_rec, ..] = ref_gradients(&learner);
    // Columns j < 50 are LIF, j >= 50 ALIF, in rows of 100.
    let cols = |g: &[f64], alif: bool| -> Vec<f64> {
        g.iter()
            .enumerate()
            .filter(|(i, _)| (i % n >= 50) == alif)
            .map(|(_, &v)| v)
            .collect()
    };
    let agree = |(g_in, g_rec): (&[f64], &[f64]), alif: bool| {
        let a = [cols(g_in, alif), cols(g_rec, alif)].concat();
        let b = [cols(&f_in, alif), cols(&f_rec, alif)].concat();
        cosine(&a, &b)
    };
    (
        agree((&e_in, &e_rec), true),
        agree((&e_in, &e_rec), false),
        agree((&z_in, &z_rec), true),
    )
}

#[test]
fn light_engine_steps_follow_its_float_twin_on_an_lsnn() {
    let cs: Vec<(f64, f64, f64)> = (1..=3).map(|s| light_agreement(s, 4)).collect();
    eprintln!(
        "update cosine (light engine's expected step, onto ALIF, onto LIF, onto ALIF \
         without beta eps): {cs:.4?}"
    );
    for (alif, lif, without) in cs {
        assert!(alif >= 0.9 && lif >= 0.9, "cosine ALIF {alif}, LIF {lif}");
        // The eps term is the twin's too: leaving it out agrees less.
        assert!(
            alif >= without + 0.01,
            "ALIF {alif} against {without} without eps"
        );
    }
}
