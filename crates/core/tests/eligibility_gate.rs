//! The eligibility enable (`Chip::set_eligibility_enabled`): an inference sample run
//! with it cleared computes the same spikes, membranes, readouts, PRNG stream and
//! digest as with it set, leaves the eligibility memories untouched, and the learning
//! that follows (after the sample reset) gives the same bits. Random exact-engine
//! chips (LIF or ALIF, both application modes, stochastic trace rounding).

use bitvec::prelude::*;
use neurochip_core::format::Format;
use neurochip_core::learning::{Apply, Engine, Learning};
use neurochip_core::{Chip, ChipConfig, Formats, Target};
use proptest::prelude::*;

mod common;
use common::{learning_chip, next, random_params, Arenas};

proptest! {
    #![proptest_config(ProptestConfig { cases: 100, ..ProptestConfig::default() })]

    #[test]
    fn gated_inference_changes_no_bit(
        n_in in 1usize..10, n_rec in 1usize..16, n_out in 1usize..4,
        alif: bool, sample: bool, p_in in 5u64..60, seed: u64,
    ) {
        let learning = Learning {
            apply: if sample { Apply::Sample } else { Apply::Online },
            ..EXACT
        };
        let cfg = exact_chip((n_in, n_rec, n_out), alif, learning, seed);
        let mut s = seed | 1;
        let mut arenas = Arenas::with_defaults(&cfg);
        random_params(&mut arenas.mem(&cfg), &mut s, alif);
        let mut copy = arenas.clone();
        let mut a_mem = arenas.mem(&cfg);
        let mut b_mem = copy.mem(&cfg);
        let mut a = Chip::new(cfg, &a_mem).unwrap();
        let mut b = a.clone();
        let inputs: Vec<BitVec<u32, Lsb0>> = (0..90)
            .map(|_| (0..n_in).map(|_| next(&mut s) % 100 < p_in).collect())
            .collect();
        // 1. A learning sample on both (enable set).
        // 2. An inference sample: A with the enable set, B with it cleared.
        // 3. Another learning sample on both.
        for (phase, xs) in inputs.chunks(30).enumerate() {
            let learn = phase != 1;
            b.set_eligibility_enabled(learn);
            for chip_mem in [(&mut a, &mut a_mem), (&mut b, &mut b_mem)] {
                let (chip, mem) = chip_mem;
                mem.reset_state();
                for (t, x) in xs.iter().enumerate() {
                    chip.step(mem, x).unwrap();
                    if learn {
                        chip.learn(mem, Target::Class(t % n_out)).unwrap();
                    }
                }
                if learn {
                    chip.end_sample(mem).unwrap();
                }
            }
            prop_assert_eq!(a.digest(), b.digest(), "phase {}", phase);
            prop_assert_eq!(a.prng(), b.prng());
            prop_assert_eq!(&a_mem.v[..], &b_mem.v[..]);
            prop_assert_eq!(&a_mem.y[..], &b_mem.y[..]);
            prop_assert_eq!(&a_mem.w_in[..], &b_mem.w_in[..]);
            prop_assert_eq!(&a_mem.w_rec[..], &b_mem.w_rec[..]);
            if phase == 1 {
                // Cleared: the eligibility kept its reset value.
                prop_assert!(b_mem.ebar_in.iter().chain(b_mem.ebar_rec.iter()).all(|&e| e == 0));
            } else {
                prop_assert_eq!(&a_mem.ebar_in[..], &b_mem.ebar_in[..]);
                prop_assert_eq!(&a_mem.ebar_rec[..], &b_mem.ebar_rec[..]);
            }
        }
        // The enable is a register: the chips differ in it only while it is cleared.
        b.set_eligibility_enabled(true);
        prop_assert_eq!(a, b);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// The horizon is the step count the float bound gives: the first `n` with
    /// `kappa^n 2^(bits - 1) < 1`, or one more (the products are rounded up).
    #[test]
    fn horizon_is_the_float_bound(kappa in 1u16..32_768, bits in 8u32..=31) {
        let cfg = horizon_chip(1, 1, kappa, bits, 1);
        let k = f64::from(kappa) / 32_768.0;
        let float = (f64::from(bits - 1) * 2f64.ln() / -k.ln()).floor() as u64 + 1;
        match cfg.eligibility_horizon() {
            Some(n) => prop_assert!(u64::from(n) == float || u64::from(n) == float + 1,
                "horizon {} against {}", n, float),
            None => prop_assert!(float >= u64::from(neurochip_core::config::MAX_HORIZON)),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    /// What the horizon promises: an eligibility whose update starts `horizon` steps
    /// late (from zero) differs from one updated all along (here from any value of
    /// the format) by less than `1 + 1 / (1 - kappa)` LSB on every synapse.
    #[test]
    fn a_late_start_is_forgotten_within_the_horizon(
        n_in in 1usize..8, n_rec in 1usize..12, tau in 2u32..40, p_in in 5u64..60, seed: u64,
    ) {
        let kappa = ((-1.0 / f64::from(tau)).exp() * 32_768.0).round() as u16;
        let cfg = horizon_chip(n_in, n_rec, kappa, 16, seed);
        let h = cfg.eligibility_horizon().unwrap();
        let mut s = seed | 1;
        let mut late = Arenas::with_defaults(&cfg);
        random_params(&mut late.mem(&cfg), &mut s, false);
        let mut early = late.clone();
        let (mut e_mem, mut l_mem) = (early.mem(&cfg), late.mem(&cfg));
        let top = 1i64 << 15;
        for e in e_mem.ebar_in.iter_mut().chain(e_mem.ebar_rec.iter_mut()) {
            *e = ((next(&mut s) % (2 * top as u64)) as i64 - top) as i32;
        }
        let mut a = Chip::new(cfg, &e_mem).unwrap();
        let mut b = a.clone();
        for _ in 0..h {
            let x: BitVec<u32, Lsb0> = (0..n_in).map(|_| next(&mut s) % 100 < p_in).collect();
            a.step(&mut e_mem, &x).unwrap();
            b.step(&mut l_mem, &x).unwrap();
        }
        let bound = 1.0 + 32_768.0 / f64::from(32_768 - u32::from(kappa));
        let pairs = e_mem.ebar_in.iter().zip(l_mem.ebar_in.iter())
            .chain(e_mem.ebar_rec.iter().zip(l_mem.ebar_rec.iter()));
        for (&x, &y) in pairs {
            prop_assert!(f64::from((x - y).abs()) < bound, "{} vs {} after {} steps", x, y, h);
        }
        prop_assert_eq!(a.digest(), b.digest());
    }
}

/// The exact engine at this file's learning-rate shifts.
const EXACT: Learning = Learning {
    engine: Engine::Exact,
    shift_in: 4,
    shift_rec: 4,
    shift_out: 4,
    shift_bias: 8,
    ..Learning::DEFAULT
};

/// A chip of `(inputs, neurons, readouts)` that learns with `learning`: the common
/// learning chip ([`learning_chip`]) with 12-bit traces of 6 fractional bits, no
/// refractory period, adaptive neurons if `alif`.
fn exact_chip(
    sizes: (usize, usize, usize),
    alif: bool,
    learning: Learning,
    seed: u64,
) -> ChipConfig {
    let formats = Formats {
        trace: Format::unsigned(12, 6).unwrap(),
        ..Formats::default()
    };
    learning_chip(sizes, formats, learning, seed)
        .refractory(0)
        .alif(alif)
        .build()
        .unwrap()
}

/// An exact-engine LIF chip with readout decay `kappa` and `bits`-bit eligibility.
fn horizon_chip(n_in: usize, n_rec: usize, kappa: u16, bits: u32, seed: u64) -> ChipConfig {
    let learning = Learning {
        elig_decay: kappa,
        elig: Format::signed(bits, bits / 2).unwrap(),
        ..EXACT
    };
    exact_chip((n_in, n_rec, 2), false, learning, seed)
}
