//! Golden digests of the f64 reference: the float twin that `neurochip verify` trains
//! beside the chip must keep its bits when its code is rearranged for speed. Each case
//! trains a small network for a few samples and folds the bits of every weight, bias,
//! membrane and readout, and the spike count, into one digest.
//!
//! The cases cover both rules, adaptive neurons, several membrane and readout decay
//! classes (the network's own decays), a refractory period, a quantised
//! pseudo-derivative, random feedback, rate regularisation, per-sample and online
//! updates, and stochastic release through `Learner::step_gated`.

use neurochip_ref::{Decays, FTarget, LearnParams, Learner, Network, Reference, Rule};
use neurochip_tests::check_golden;

/// A value in `[0, 1)` from `(case, k)`: a multiplicative hash, so the cases need no
/// random-number crate.
fn unit(case: u64, k: u64) -> f64 {
    let h = (case.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ k).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    ((h ^ (h >> 31)) >> 11) as f64 / (1u64 << 53) as f64
}

/// FNV-1a over the bits of each value.
fn fold(h: &mut u64, xs: &[f64]) {
    for x in xs {
        for b in x.to_bits().to_le_bytes() {
            *h = (*h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01B3);
        }
    }
}

/// One case: the network of `case`, `adaptive` with every third neuron adaptive and
/// two membrane and two readout decays (else one of each).
fn network(case: u64, adaptive: bool) -> Network {
    let (ni, n, o) = (8, 12, 3);
    let mut net = Network::zeros(ni, n, o);
    for (k, w) in net.w_in.iter_mut().enumerate() {
        *w = 0.5 * unit(case, k as u64);
    }
    for (k, w) in net.w_rec.iter_mut().enumerate() {
        *w = 0.4 * (unit(case, 1000 + k as u64) - 0.5);
    }
    for (k, w) in net.w_out.iter_mut().enumerate() {
        *w = 0.6 * (unit(case, 2000 + k as u64) - 0.5);
    }
    if adaptive {
        for j in 0..n {
            net.alpha[j] = if j % 2 == 0 { 0.95 } else { 0.8 };
            net.beta[j] = if j % 3 == 0 { 0.5 } else { 0.0 };
            net.rho[j] = 0.99;
        }
        net.kappa = vec![0.9, 0.7, 0.9];
        net.refractory = 2;
    }
    net
}

/// Train case `case` for three samples of 60 steps and return its digest line.
fn run(case: u64, rule: Rule, adaptive: bool, online: bool, gated: bool) -> String {
    let net = network(case, adaptive);
    let (ni, n, o) = (net.n_in, net.n_rec, net.n_out);
    let mut sim = Reference::new(net);
    if rule == Rule::Light && adaptive {
        sim.psi_levels = 4;
    }
    let p = LearnParams {
        rule,
        decays: Decays::Network,
        eta_in: 1e-2,
        eta_rec: 1e-2,
        eta_out: 2e-2,
        eta_bias: 5e-3,
        feedback: adaptive.then(|| {
            (0..n * o)
                .map(|k| unit(case, 3000 + k as u64) - 0.5)
                .collect()
        }),
        online,
        readout_online: online,
        reg: adaptive.then_some((0.1, 0.02, 0.95)),
        ..LearnParams::gradient_only()
    };
    let mut learner = Learner::new(p, &sim);
    let gate = |c: u32, k: usize| unit(case ^ u64::from(c), 5000 + k as u64) < 0.7;
    let mut spikes = 0;
    let mut x = vec![false; ni];
    for sample in 0..3u64 {
        sim.reset_state();
        learner.reset_state();
        for t in 0..60u64 {
            for (i, xi) in x.iter_mut().enumerate() {
                *xi = unit(case, 10_000 + sample * 1000 + t * 16 + i as u64) < 0.2;
            }
            spikes += if gated {
                learner.step_gated(&mut sim, &x, gate)
            } else {
                learner.step(&mut sim, &x)
            };
            let class = (sample % o as u64) as usize;
            let target = if t >= 40 {
                FTarget::Class(class)
            } else {
                FTarget::None
            };
            learner.learn(&mut sim, target);
        }
        learner.end_sample(&mut sim);
    }
    let mut h = 0xCBF2_9CE4_8422_2325u64;
    let net = sim.network();
    for xs in [&net.w_in, &net.w_rec, &net.w_out, &net.bias, &sim.v, &sim.y] {
        fold(&mut h, xs);
    }
    format!("{case:2} {rule:?} adaptive={adaptive} online={online} gated={gated} spikes={spikes} {h:016x}\n")
}

#[test]
fn float_twin_digests() {
    let mut out = String::new();
    let mut case = 0;
    for rule in [Rule::Exact, Rule::Light] {
        for adaptive in [false, true] {
            for (online, gated) in [(true, false), (false, false), (true, true)] {
                out.push_str(&run(case, rule, adaptive, online, gated));
                case += 1;
            }
        }
    }
    check_golden("float_twin.digests", &out);
}
