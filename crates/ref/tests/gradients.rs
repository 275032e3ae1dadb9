//! e-prop against BPTT in f64: equal without recurrence (also with per-neuron `tau_m`
//! and per-readout `tau_out`), close with it; BPTT itself against forward-mode
//! differentiation in both reset conventions.
#![allow(clippy::needless_range_loop)]

use neurochip_ref::bptt::{cosine, gradient, Reset};
use neurochip_ref::eprop::softmax;
use neurochip_ref::{Decays, FTarget, LearnParams, Learner, Network, Reference};
use proptest::prelude::*;

/// A deterministic pseudo-random stream (xorshift64*).
struct R(u64);
impl R {
    fn u(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }
    fn n(&mut self) -> f64 {
        let (a, b) = (self.u().max(1e-12), self.u());
        (-2.0 * a.ln()).sqrt() * (std::f64::consts::TAU * b).cos()
    }
}

fn network(seed: u64, alif: bool, recurrent: bool) -> Network {
    let (ni, n, o) = (12, 16, 3);
    let mut r = R(seed | 1);
    let mut net = Network::zeros(ni, n, o);
    net.refractory = 2;
    for (j, b) in net.beta.iter_mut().enumerate() {
        if alif && j % 2 == 1 {
            *b = 0.2;
        }
    }
    let rho = (-1.0f64 / 200.0).exp();
    net.rho.fill(rho);
    for w in &mut net.w_in {
        *w = 0.6 * r.n();
    }
    for (k, w) in net.w_rec.iter_mut().enumerate() {
        let diag = k / n == k % n;
        *w = if recurrent && !diag { 0.3 * r.n() } else { 0.0 };
    }
    if !recurrent {
        net.mask_rec.fill(false);
    }
    for w in &mut net.w_out {
        *w = 0.5 * r.n();
    }
    net
}

fn inputs(seed: u64, ni: usize, steps: usize) -> Vec<Vec<bool>> {
    let mut r = R(seed ^ 0xABCD);
    (0..steps)
        .map(|_| (0..ni).map(|_| r.u() < 0.08).collect())
        .collect()
}

/// Exact e-prop's accumulated gradient with the network's own decays.
fn eprop_grads(net: &Network, xs: &[Vec<bool>], targets: &[FTarget<'_>]) -> Vec<f64> {
    eprop_grads_with(net, xs, targets, Decays::Network)
}

fn eprop_grads_with(
    net: &Network,
    xs: &[Vec<bool>],
    targets: &[FTarget<'_>],
    decays: Decays,
) -> Vec<f64> {
    let mut sim = Reference::new(net.clone());
    let p = LearnParams {
        decays,
        ..LearnParams::gradient_only()
    };
    let mut l = Learner::new(p, &sim);
    for (x, t) in xs.iter().zip(targets) {
        l.step(&mut sim, x);
        l.learn(&mut sim, *t);
    }
    l.g.flat()
}

fn targets(steps: usize) -> Vec<FTarget<'static>> {
    (0..steps)
        .map(|t| {
            if t >= steps - 40 {
                FTarget::Class(1)
            } else {
                FTarget::None
            }
        })
        .collect()
}

#[test]
fn equal_without_recurrence_lif_and_alif() {
    for alif in [false, true] {
        for seed in 1..4u64 {
            let net = network(seed, alif, false);
            let xs = inputs(seed, net.n_in, 300);
            let ts = targets(300);
            let (g, _) = gradient(&net, &xs, &ts, Reset::Detached);
            let b = g.flat();
            let e = eprop_grads(&net, &xs, &ts);
            let scale = b.iter().fold(0.0f64, |m, x| m.max(x.abs()));
            assert!(
                scale > 0.0,
                "gradient is zero: the test network does not spike"
            );
            let err = e
                .iter()
                .zip(&b)
                .fold(0.0f64, |m, (x, y)| m.max((x - y).abs()));
            assert!(
                err <= 1e-9 * scale,
                "alif={alif} seed={seed}: max diff {err:e} vs scale {scale:e}"
            );
        }
    }
}

/// Largest absolute difference, and the largest magnitude of `b`.
fn max_diff(a: &[f64], b: &[f64]) -> (f64, f64) {
    let err = a
        .iter()
        .zip(b)
        .fold(0.0f64, |m, (x, y)| m.max((x - y).abs()));
    (err, b.iter().fold(0.0f64, |m, x| m.max(x.abs())))
}

#[test]
fn cosine_with_recurrence() {
    for alif in [false, true] {
        let mut cs = Vec::new();
        let mut cd = Vec::new();
        for seed in 1..6u64 {
            let net = network(seed, alif, true);
            let xs = inputs(seed, net.n_in, 300);
            let ts = targets(300);
            let e = eprop_grads(&net, &xs, &ts);
            let (g, _) = gradient(&net, &xs, &ts, Reset::Detached);
            cs.push(cosine(&e, &g.flat()));
            let (g, _) = gradient(&net, &xs, &ts, Reset::Differentiated);
            cd.push(cosine(&e, &g.flat()));
        }
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        let (ms, md) = (mean(&cs), mean(&cd));
        eprintln!(
            "alif={alif}: e-prop/BPTT cosine with recurrence, {}: {cs:.3?}, mean {ms:.3}; \
             {}: {cd:.3?}, mean {md:.3}",
            Reset::Detached.label(),
            Reset::Differentiated.label()
        );
        assert!(ms > 0.5, "mean cosine ({}) {ms}", Reset::Detached.label());
    }
}

/// The gradient by forward-mode differentiation (one tangent per parameter) through
/// the same dynamics as [`Reference`], with the same pseudo-derivative and the reset
/// convention `reset`: an independent check of the reverse-mode [`gradient`].
fn forward_mode(
    net: &Network,
    xs: &[Vec<bool>],
    targets: &[FTarget<'_>],
    reset: Reset,
) -> Vec<f64> {
    let (ni, n, o) = (net.n_in, net.n_rec, net.n_out);
    let (n_win, n_wrec, n_wout) = (ni * n, n * n, n * o);
    let np = n_win + n_wrec + n_wout + o;
    let mut sim = Reference::new(net.clone());
    // Tangents of v, b, z (previous step) and y, per parameter.
    let mut dv = vec![vec![0.0; n]; np];
    let mut db = vec![vec![0.0; n]; np];
    let mut dz = vec![vec![0.0; n]; np];
    let mut dy = vec![vec![0.0; o]; np];
    let mut grad = vec![0.0; np];
    for (x, t) in xs.iter().zip(targets) {
        let z_old = sim.z.clone();
        sim.step(x);
        let err: Vec<f64> = match *t {
            FTarget::None => vec![0.0; o],
            FTarget::Class(c) => {
                let mut pi = softmax(&sim.y);
                pi[c] -= 1.0;
                pi
            }
            FTarget::Values(v) => sim.y.iter().zip(v).map(|(y, t)| y - t).collect(),
            FTarget::Error(e) => e.to_vec(),
        };
        for p in 0..np {
            let mut z_new = vec![0.0; n];
            for j in 0..n {
                let mut v = net.alpha[j] * dv[p][j];
                for i in 0..n {
                    v += net.w_rec[i * n + j] * dz[p][i];
                }
                if p < n_win && p % n == j && x[p / n] {
                    v += 1.0;
                }
                let q = p.wrapping_sub(n_win);
                if q < n_wrec && q % n == j && z_old[q / n] {
                    v += 1.0;
                }
                if reset == Reset::Differentiated {
                    v -= net.thr[j] * dz[p][j];
                }
                let b = if net.beta[j] != 0.0 {
                    net.rho[j] * db[p][j] + dz[p][j]
                } else {
                    0.0
                };
                dv[p][j] = v;
                db[p][j] = b;
                z_new[j] = sim.psi[j] * (v - net.beta[j] * b);
            }
            for k in 0..o {
                let mut y = net.kappa[k] * dy[p][k];
                for j in 0..n {
                    y += net.w_out[j * o + k] * z_new[j];
                }
                let q = p.wrapping_sub(n_win + n_wrec);
                if q < n_wout && q % o == k && sim.z[q / o] {
                    y += 1.0;
                }
                if p == n_win + n_wrec + n_wout + k {
                    y += 1.0;
                }
                dy[p][k] = y;
                grad[p] += err[k] * y;
            }
            dz[p] = z_new;
        }
    }
    let masks = net.mask_in.iter().chain(&net.mask_rec).chain(&net.mask_out);
    for (g, &m) in grad.iter_mut().zip(masks) {
        if !m {
            *g = 0.0;
        }
    }
    grad
}

#[test]
fn bptt_matches_forward_mode_in_both_conventions() {
    for alif in [false, true] {
        for seed in 1..3u64 {
            // Small, with recurrence and per-neuron / per-readout decays.
            let (ni, n, o) = (4, 6, 2);
            let mut r = R(seed.wrapping_mul(0x9E37_79B9) | 1);
            let mut net = Network::zeros(ni, n, o);
            net.refractory = 1;
            for j in 0..n {
                net.alpha[j] = (-1.0 / (5.0 + 30.0 * r.u())).exp();
                net.rho[j] = (-1.0 / (50.0 + 200.0 * r.u())).exp();
                net.beta[j] = if alif && j % 2 == 0 { 0.3 } else { 0.0 };
            }
            for k in 0..o {
                net.kappa[k] = (-1.0 / (5.0 + 30.0 * r.u())).exp();
            }
            for w in &mut net.w_in {
                *w = 0.4 + 0.6 * r.n();
            }
            for w in &mut net.w_rec {
                *w = 0.4 * r.n();
            }
            for w in &mut net.w_out {
                *w = 0.5 * r.n();
            }
            net.mask_rec[1] = false;
            net.w_rec[1] = 0.0;
            let xs = inputs(seed, ni, 120);
            let ts: Vec<FTarget<'_>> = (0..120)
                .map(|t| {
                    if t >= 60 {
                        FTarget::Class(1)
                    } else {
                        FTarget::None
                    }
                })
                .collect();
            let mut flats = Vec::new();
            for reset in [Reset::Detached, Reset::Differentiated] {
                let b = gradient(&net, &xs, &ts, reset).0.flat();
                let f = forward_mode(&net, &xs, &ts, reset);
                let (err, scale) = max_diff(&f, &b);
                assert!(
                    scale > 0.0,
                    "gradient is zero: the test network does not spike"
                );
                assert!(
                    err <= 1e-9 * scale,
                    "alif={alif} seed={seed} {}: max diff {err:e} vs scale {scale:e}",
                    reset.label()
                );
                flats.push(b);
            }
            let (d, scale) = max_diff(&flats[0], &flats[1]);
            assert!(
                d > 1e-6 * scale,
                "alif={alif} seed={seed}: the reset term changed nothing"
            );
        }
    }
}

/// A network without recurrent weights whose neurons and readouts have their own time
/// constants (in steps).
fn hetero_network(seed: u64, alif: bool, tau_m: &[f64], tau_a: &[f64], tau_out: &[f64]) -> Network {
    let (ni, n, o) = (5, tau_m.len(), tau_out.len());
    let mut r = R(seed | 1);
    let mut net = Network::zeros(ni, n, o);
    net.refractory = 1;
    for j in 0..n {
        net.alpha[j] = (-1.0 / tau_m[j]).exp();
        net.rho[j] = (-1.0 / tau_a[j]).exp();
        net.beta[j] = if alif && j % 2 == 1 { 0.25 } else { 0.0 };
    }
    for k in 0..o {
        net.kappa[k] = (-1.0 / tau_out[k]).exp();
    }
    for w in &mut net.w_in {
        *w = -0.5 + 2.0 * r.u();
    }
    net.mask_rec.fill(false);
    for w in &mut net.w_out {
        *w = 0.5 * r.n();
    }
    for b in &mut net.bias {
        *b = 0.1 * r.n();
    }
    net
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Exact e-prop equals BPTT (reset detached) without recurrence, for random
    /// per-neuron `tau_m` and `tau_a` and per-readout `tau_out`: in a few classes
    /// (`pooled`) or all different (10 values, past `CLASS_LIMIT`: one trace per neuron).
    #[test]
    fn heterogeneous_eprop_equals_bptt_detached_without_recurrence(
        seed in any::<u64>(),
        alif in any::<bool>(),
        pooled in any::<bool>(),
        taus in proptest::collection::vec(3.0f64..80.0, 10),
        tau_a in proptest::collection::vec(20.0f64..400.0, 10),
        tau_out in proptest::collection::vec(3.0f64..60.0, 3),
        shared_out in any::<bool>(),
        class in 0usize..3,
        regression in any::<bool>(),
    ) {
        let tau_m: Vec<f64> = (0..10).map(|j| if pooled { taus[j % 3] } else { taus[j] }).collect();
        let mut tau_out = tau_out;
        if shared_out {
            tau_out[2] = tau_out[0];
        }
        let net = hetero_network(seed, alif, &tau_m, &tau_a, &tau_out);
        let steps = 120;
        let xs = inputs(seed, net.n_in, steps);
        let values = [0.5, -0.3, 1.0];
        let ts: Vec<FTarget<'_>> = (0..steps)
            .map(|t| match (t >= steps - 40, regression) {
                (false, _) => FTarget::None,
                (true, false) => FTarget::Class(class),
                (true, true) => FTarget::Values(&values),
            })
            .collect();
        let b = gradient(&net, &xs, &ts, Reset::Detached).0.flat();
        let e = eprop_grads(&net, &xs, &ts);
        let (err, scale) = max_diff(&e, &b);
        prop_assert!(scale > 0.0, "gradient is zero");
        prop_assert!(
            err <= 1e-9 * scale,
            "alif={} pooled={}: max diff {:e} vs scale {:e}", alif, pooled, err, scale
        );
    }
}

#[test]
fn class_counts_follow_the_network() {
    let sim = |tau_m: &[f64], tau_out: &[f64]| {
        Reference::new(hetero_network(
            1,
            false,
            tau_m,
            &vec![100.0; tau_m.len()],
            tau_out,
        ))
    };
    let count = |s: &Reference, d: Decays| {
        let p = LearnParams {
            decays: d,
            ..LearnParams::gradient_only()
        };
        let l = Learner::new(p, s);
        (l.trace_classes(), l.readout_classes())
    };
    let pooled = sim(&[10.0, 20.0, 10.0, 40.0, 20.0, 10.0], &[20.0, 20.0, 50.0]);
    assert_eq!(count(&pooled, Decays::Network), (3, 2));
    let shared = Decays::Shared {
        trace: 0.9,
        kappa: 0.9,
    };
    assert_eq!(count(&pooled, shared), (1, 1));
    // Nine distinct values: past CLASS_LIMIT, one trace bank per neuron.
    let all: Vec<f64> = (0..12).map(|j| 5.0 + (j % 9) as f64).collect();
    assert_eq!(count(&sim(&all, &[20.0]), Decays::Network), (12, 1));
}

/// The chip's shared decays (mean `alpha`, readout 0's `kappa`) against BPTT with
/// heterogeneous time constants, and the exact classes: the numbers of docs/eprop.md
/// (cosines per layer: the bias gradients are the largest entries and would hide the
/// others in one cosine).
#[test]
fn shared_decays_are_inexact_when_heterogeneous() {
    let n = 10;
    let arms: [(&str, Vec<f64>, Vec<f64>); 2] = [
        (
            "tau_m 5..50, tau_out 20",
            (0..n).map(|j| 5.0 + 5.0 * j as f64).collect(),
            vec![20.0; 3],
        ),
        (
            "tau_m 20, tau_out 5/20/60",
            vec![20.0; n],
            vec![5.0, 20.0, 60.0],
        ),
    ];
    for (name, tau_m, tau_out) in arms {
        let mut cos = [Vec::new(), Vec::new(), Vec::new()];
        let mut rel = Vec::new();
        for seed in 1..6u64 {
            let net = hetero_network(seed, false, &tau_m, &vec![100.0; n], &tau_out);
            let xs = inputs(seed, net.n_in, 200);
            let ts = targets(200);
            let b = gradient(&net, &xs, &ts, Reset::Detached).0;
            let e = eprop_grads(&net, &xs, &ts);
            let (err, scale) = max_diff(&e, &b.flat());
            assert!(
                err <= 1e-9 * scale,
                "{name} seed {seed}: exact e-prop {err:e}"
            );
            let mean_alpha = net.alpha.iter().sum::<f64>() / n as f64;
            let shared = Decays::Shared {
                trace: mean_alpha,
                kappa: net.kappa[0],
            };
            let mut sim = Reference::new(net.clone());
            let p = LearnParams {
                decays: shared,
                ..LearnParams::gradient_only()
            };
            let mut l = Learner::new(p, &sim);
            for (x, t) in xs.iter().zip(&ts) {
                l.step(&mut sim, x);
                l.learn(&mut sim, *t);
            }
            let (err, scale) = max_diff(&l.g.flat(), &b.flat());
            rel.push(err / scale);
            cos[0].push(cosine(&l.g.w_in, &b.w_in));
            cos[1].push(cosine(&l.g.w_out, &b.w_out));
            cos[2].push(cosine(&l.g.bias, &b.bias));
        }
        eprintln!(
            "{name}: shared decays against BPTT ({}): cosine input weights {:.3?}, \
             readout weights {:.3?}, biases {:.3?}; max error / max gradient {rel:.3?}",
            Reset::Detached.label(),
            cos[0],
            cos[1],
            cos[2]
        );
        assert!(
            rel.iter().all(|&r| r > 1e-3),
            "{name}: shared decays were exact: {rel:?}"
        );
    }
}

/// With equal time constants the classes collapse to one and the exact rule is the
/// shared one, bit for bit.
#[test]
fn homogeneous_network_decays_equal_shared_bit_for_bit() {
    for alif in [false, true] {
        let net = network(2, alif, true);
        let xs = inputs(2, net.n_in, 200);
        let ts = targets(200);
        let shared = Decays::Shared {
            trace: net.alpha[0],
            kappa: net.kappa[0],
        };
        assert_eq!(
            eprop_grads(&net, &xs, &ts),
            eprop_grads_with(&net, &xs, &ts, shared)
        );
    }
}
