//! The float twin of the chip's `apply = "readout"`: input and recurrent updates go
//! online while the readout's wait in the accumulators for `end_sample`.

use neurochip_ref::{FTarget, LearnParams, Learner, Network, Reference};

fn network() -> Network {
    let (ni, n, o) = (6, 10, 2);
    let mut net = Network::zeros(ni, n, o);
    // A fixed, spiking network: every weight from a small formula.
    for (k, w) in net.w_in.iter_mut().enumerate() {
        *w = 0.9 + 0.4 * ((k * 7 % 11) as f64 / 11.0);
    }
    for (k, w) in net.w_rec.iter_mut().enumerate() {
        *w = if k / n == k % n {
            0.0
        } else {
            0.2 * ((k * 5 % 9) as f64 / 9.0 - 0.5)
        };
    }
    for (k, w) in net.w_out.iter_mut().enumerate() {
        *w = 0.3 * ((k * 3 % 7) as f64 / 7.0 - 0.5);
    }
    net
}

#[test]
fn readout_updates_wait_for_the_end_of_the_sample() {
    let net = network();
    let mut sim = Reference::new(net.clone());
    let p = LearnParams {
        eta_in: 1e-2,
        eta_rec: 1e-2,
        eta_out: 1e-2,
        eta_bias: 1e-2,
        online: true,
        readout_online: false,
        ..LearnParams::gradient_only()
    };
    let mut l = Learner::new(p, &sim);
    let steps = 120;
    for t in 0..steps {
        let x: Vec<bool> = (0..net.n_in).map(|i| (t + i) % 3 == 0).collect();
        l.step(&mut sim, &x);
        let target = if t >= steps - 30 {
            FTarget::Class(1)
        } else {
            FTarget::None
        };
        l.learn(&mut sim, target);
    }
    let before = sim.network().clone();
    assert_eq!(
        before.w_out, net.w_out,
        "readout weights moved during the sample"
    );
    assert_eq!(
        before.bias, net.bias,
        "readout biases moved during the sample"
    );
    assert_ne!(before.w_in, net.w_in, "input weights did not learn online");
    assert!(l.g.w_in.iter().chain(&l.g.w_rec).all(|&g| g == 0.0));
    let (g_out, g_bias) = (l.g.w_out.clone(), l.g.bias.clone());
    assert!(g_out.iter().any(|&g| g != 0.0), "no readout gradient held");
    l.end_sample(&mut sim);
    let after = sim.network();
    for ((w1, w0), g) in after.w_out.iter().zip(&before.w_out).zip(&g_out) {
        assert_eq!(*w1, w0 - 1e-2 * g);
    }
    for ((b1, b0), g) in after.bias.iter().zip(&before.bias).zip(&g_bias) {
        assert_eq!(*b1, b0 - 1e-2 * g);
    }
    assert_eq!(
        after.w_in, before.w_in,
        "end_sample moved the online layers"
    );
    assert!(
        l.g.w_out.iter().all(|&g| g == 0.0),
        "accumulators not cleared"
    );
}

/// A network without recurrent neurons (the library allows one; a configuration
/// file does not) steps and learns under both rules without a panic.
#[test]
fn no_recurrent_neurons_is_no_work() {
    for rule in [neurochip_ref::Rule::Exact, neurochip_ref::Rule::Light] {
        let mut sim = Reference::new(Network::zeros(3, 0, 2));
        let p = LearnParams {
            rule,
            eta_out: 1e-2,
            online: true,
            readout_online: true,
            ..LearnParams::gradient_only()
        };
        let mut l = Learner::new(p, &sim);
        for t in 0..5 {
            assert_eq!(l.step(&mut sim, &[true, false, true]), 0);
            assert!(l.learn(&mut sim, FTarget::Class(t % 2)));
        }
        l.end_sample(&mut sim);
        assert!(sim.network().bias.iter().all(|b| b.is_finite()));
    }
}
