//! Stochastic synaptic release (`neurochip_core::release`): the same seed gives the
//! same bits, another seed other bits; the chip's input currents are exactly the sums
//! over the synapses that [`released`] says transmitted; probability one is the plain
//! chip.

use bitvec::prelude::*;
use neurochip_core::learning::{Apply, Engine, Learning};
use neurochip_core::release::{class, released, Release, ALWAYS};
use neurochip_core::{Chip, ChipConfig, ConfigBuilder, Memory, Shifts, Target};
use proptest::prelude::*;

mod common;
use common::Arenas;

fn cfg(seed: u64, rel: Release, learn: bool) -> ChipConfig {
    let mut b = ConfigBuilder::new(12, 24, 3)
        .shifts(Shifts {
            input: 7,
            recurrent: 5,
            output: 4,
        })
        .refractory(1)
        .release(rel)
        .seed(seed);
    if learn {
        b = b.learning(Learning {
            engine: Engine::Exact,
            apply: Apply::Online,
            shift_in: 10,
            shift_rec: 10,
            shift_out: 10,
            shift_bias: 12,
            trace_decay: 31_000,
            elig_decay: 31_000,
            ..Learning::DEFAULT
        });
    }
    b.build().unwrap()
}

fn fill(mem: &mut Memory<'_>, c: &ChipConfig) {
    mem.init_default_params(c);
    let mut s = 0x1234_5678u32;
    let mut r = || {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        s
    };
    for w in mem.w_in.iter_mut() {
        *w = (r() % 60) as i16 - 20;
    }
    for w in mem.w_rec.iter_mut() {
        *w = (r() % 40) as i16 - 20;
    }
    for w in mem.w_out.iter_mut() {
        *w = (r() % 40) as i16 - 20;
    }
    mem.psi_gain.fill(1 << 18);
}

/// Run 300 steps (learning when the config learns); returns the digest and the
/// number of recurrent spikes.
fn run(c: ChipConfig) -> (u64, u32) {
    let mut arenas = Arenas::new(&c);
    let mut mem = arenas.mem(&c);
    fill(&mut mem, &c);
    let mut chip = Chip::new(c, &mem).unwrap();
    let mut spikes = 0;
    let mut x = bitvec![u32, Lsb0; 0; 12];
    for t in 0..300usize {
        for i in 0..12 {
            x.set(i, (t * 7 + i * 3) % 5 == 0);
        }
        spikes += chip.step(&mut mem, &x).unwrap().spikes;
        chip.learn(&mut mem, Target::Class(t % 3)).unwrap();
    }
    (chip.digest(), spikes)
}

#[test]
fn same_seed_same_bits_other_seed_other_bits() {
    let rel = Release {
        p_in: ALWAYS / 2,
        p_rec: 3 * ALWAYS / 4,
    };
    for learn in [false, true] {
        let a = run(cfg(3, rel, learn));
        assert_eq!(a, run(cfg(3, rel, learn)), "learn = {learn}");
        assert_ne!(a.0, run(cfg(4, rel, learn)).0, "learn = {learn}");
        assert_ne!(a.0, run(cfg(3, Release::ALWAYS, learn)).0);
    }
}

#[test]
fn probability_one_is_the_plain_chip() {
    // The builder default and an explicit p = 1 are one configuration, and with it
    // the chip never consults the comparator: its bits are those of a chip built
    // without any release setting.
    let plain = ConfigBuilder::new(12, 24, 3)
        .shifts(Shifts {
            input: 7,
            recurrent: 5,
            output: 4,
        })
        .refractory(1)
        .seed(3)
        .build()
        .unwrap();
    assert_eq!(plain, cfg(3, Release::ALWAYS, false));
    assert!(run(plain).1 > 0, "the network must spike");
}

#[test]
fn lower_release_means_less_input() {
    let full = run(cfg(3, Release::ALWAYS, false)).1;
    let quarter = run(cfg(
        3,
        Release {
            p_in: ALWAYS / 4,
            p_rec: ALWAYS / 4,
        },
        false,
    ))
    .1;
    assert!(
        quarter < full,
        "spikes at p = 0.25: {quarter}, at 1: {full}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// The chip's input currents equal the sums over the synapses `released` lets
    /// through, at the chip's step counter: what the float reference replays.
    #[test]
    fn currents_are_the_released_sums(seed in any::<u64>(), p_in in 0u32..=ALWAYS,
                                      p_rec in 0u32..=ALWAYS, steps in 1usize..40) {
        let c = cfg(seed, Release { p_in, p_rec }, false);
        let mut arenas = Arenas::new(&c);
        let mut mem = arenas.mem(&c);
        fill(&mut mem, &c);
        let mut chip = Chip::new(c, &mem).unwrap();
        let n = 24;
        let mut x = bitvec![u32, Lsb0; 0; 12];
        for t in 0..steps {
            for i in 0..12 {
                x.set(i, (t + i * 5 + seed as usize) % 3 == 0);
            }
            let z_before: Vec<bool> = mem.z.iter().by_vals().collect();
            let t_chip = chip.steps();
            chip.step(&mut mem, &x).unwrap();
            for j in 0..n {
                let mut want_in = 0i32;
                let mut want_rec = 0i32;
                for i in x.iter_ones() {
                    if released(seed, t_chip, class::INPUT, i * n + j, p_in) {
                        want_in += i32::from(mem.w_in[i * n + j]);
                    }
                }
                for (i, &z) in z_before.iter().enumerate() {
                    if z && released(seed, t_chip, class::RECURRENT, i * n + j, p_rec) {
                        want_rec += i32::from(mem.w_rec[i * n + j]);
                    }
                }
                prop_assert_eq!(mem.acc_in[j], want_in);
                prop_assert_eq!(mem.acc_rec[j], want_rec);
            }
        }
    }
}
