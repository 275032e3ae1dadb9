//! e-prop against BPTT in f64: equal without recurrence, close with it.
#![allow(clippy::needless_range_loop)]

use neurochip_ref::bptt::{cosine, gradient};
use neurochip_ref::{FTarget, LearnParams, Learner, Network, Reference};

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

fn eprop_grads(net: &Network, xs: &[Vec<bool>], targets: &[FTarget<'_>]) -> Vec<f64> {
    let mut sim = Reference::new(net.clone());
    let p = LearnParams::gradient_only(net.alpha[0], net.kappa[0]);
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
            let (g, _) = gradient(&net, &xs, &ts);
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

#[test]
fn cosine_with_recurrence() {
    for alif in [false, true] {
        let mut cs = Vec::new();
        for seed in 1..6u64 {
            let net = network(seed, alif, true);
            let xs = inputs(seed, net.n_in, 300);
            let ts = targets(300);
            let (g, _) = gradient(&net, &xs, &ts);
            let c = cosine(&eprop_grads(&net, &xs, &ts), &g.flat());
            cs.push(c);
        }
        let mean = cs.iter().sum::<f64>() / cs.len() as f64;
        eprintln!("alif={alif}: e-prop/BPTT cosine with recurrence {cs:.3?}, mean {mean:.3}");
        assert!(mean > 0.5, "mean cosine {mean}");
    }
}
