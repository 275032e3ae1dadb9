//! The eligibility enable (`Chip::set_eligibility_enabled`): an inference sample run
//! with it cleared computes the same spikes, membranes, readouts, PRNG stream and
//! digest as with it set, leaves the eligibility memories untouched, and the learning
//! that follows (after the sample reset) gives the same bits. Random exact-engine
//! chips (LIF or ALIF, both application modes, stochastic trace rounding).

use bitvec::prelude::*;
use neurochip_core::format::Format;
use neurochip_core::learning::{Apply, Engine, Learning};
use neurochip_core::{Chip, ConfigBuilder, Formats, Rounding, Target};
use proptest::prelude::*;

mod common;
use common::{next, random_params, Arenas, SHIFTS};

proptest! {
    #![proptest_config(ProptestConfig { cases: 100, ..ProptestConfig::default() })]

    #[test]
    fn gated_inference_changes_no_bit(
        n_in in 1usize..10, n_rec in 1usize..16, n_out in 1usize..4,
        alif: bool, sample: bool, p_in in 5u64..60, seed: u64,
    ) {
        let learning = Learning {
            engine: Engine::Exact,
            apply: if sample { Apply::Sample } else { Apply::Online },
            shift_in: 4,
            shift_rec: 4,
            shift_out: 4,
            shift_bias: 8,
            ..Learning::DEFAULT
        };
        let cfg = ConfigBuilder::new(n_in, n_rec, n_out)
            .formats(Formats { trace: Format::unsigned(12, 6).unwrap(), ..Formats::default() })
            .shifts(SHIFTS)
            .leak_rounding(Rounding::Stochastic)
            .alif(alif)
            .learning(learning)
            .seed(seed)
            .build()
            .unwrap();
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
