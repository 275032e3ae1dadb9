//! The neuron engine's block path (a LIF chip: 32 neurons a word, branch-free, and
//! with 32-bit sums when [`neurochip_core::neuron`] proves they fit) with learning on
//! against the same chip with learning off, and against the statement of the
//! membrane update written out here: leak with the chip's rounding (the stochastic
//! draws in neuron order from the chip's PRNG), inputs scaled by the layer shifts,
//! reset by subtraction, saturation to the membrane format, refractory counters, and
//! with learning the pseudo-derivative of each neuron (zero while refractory).

use bitvec::prelude::*;
use neurochip_core::format::shift_round;
use neurochip_core::learning::{Engine, Learning};
use neurochip_core::neuron::pseudo_derivative;
use neurochip_core::{ChipConfig, ConfigBuilder, Rounding, Shifts};
use proptest::prelude::*;

mod common;
use common::{next, weight_formats, Arenas};

fn rounding(code: u8) -> Rounding {
    Rounding::from_code(code % 3).unwrap_or(Rounding::Nearest)
}

/// A LIF chip of `sizes` with these shifts, rounding, weight width and engine.
fn chip(
    sizes: (usize, usize, usize),
    shifts: (i8, i8),
    round: Rounding,
    weight_bits: u32,
    engine: Engine,
    seed: u64,
) -> ChipConfig {
    let learning = Learning {
        engine,
        ..Learning::DEFAULT
    };
    ConfigBuilder::new(sizes.0, sizes.1, sizes.2)
        .formats(weight_formats(weight_bits))
        .shifts(Shifts {
            input: shifts.0,
            recurrent: shifts.1,
            output: 2,
        })
        .refractory(2)
        .leak_rounding(round)
        .learning(learning)
        .seed(seed)
        .build()
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Without stochastic rounding the neuron engine draws nothing, so the same chip
    /// with learning on (which also writes pseudo-derivatives and traces) must compute
    /// the same membranes, spikes and refractory counters, step after step.
    #[test]
    fn learning_leaves_the_membranes_as_they_are(
        sizes in (1usize..6, 1usize..100, 1usize..3),
        truncate in any::<bool>(),
        shifts in (-6i8..=6, -6i8..=6),
        seed in 1u64..u64::MAX,
    ) {
        let round = if truncate { Rounding::Truncate } else { Rounding::Nearest };
        let plain = chip(sizes, shifts, round, 8, Engine::Off, seed);
        let general = chip(sizes, shifts, round, 8, Engine::Exact, seed);
        let mut s = seed;
        let mut a = Arenas::with_defaults(&plain);
        let mut b = Arenas::with_defaults(&general);
        {
            let (ma, mb) = (a.mem(&plain), b.mem(&general));
            let ws = ma.w_in.iter_mut().chain(ma.w_rec.iter_mut());
            for (wa, wb) in ws.zip(mb.w_in.iter_mut().chain(mb.w_rec.iter_mut())) {
                let w = (next(&mut s) % 200) as i16 - 60;
                *wa = w;
                *wb = w;
            }
        }
        let mut ca = neurochip_core::Chip::new(plain, &a.mem(&plain)).unwrap();
        let mut cb = neurochip_core::Chip::new(general, &b.mem(&general)).unwrap();
        let mut x = bitvec![u32, Lsb0; 0; sizes.0];
        for _ in 0..60 {
            common::draw_input(&mut x, &mut s, 30);
            ca.step(&mut a.mem(&plain), &x).unwrap();
            cb.step(&mut b.mem(&general), &x).unwrap();
            let (ma, mb) = (a.mem(&plain), b.mem(&general));
            prop_assert_eq!(&*ma.v, &*mb.v);
            prop_assert_eq!(&*ma.refr, &*mb.refr);
            prop_assert_eq!(ma.z.to_bitvec(), mb.z.to_bitvec());
        }
    }

    /// Every rounding, shifts up to the largest, weights up to 16 bits and dense
    /// input (so that some steps need the 64-bit sums and others fit in 32): each
    /// step's membranes, refractory counters and spikes are the statement's, computed
    /// from the step's accumulators with a copy of the chip's PRNG; with learning on
    /// (either engine: the light one quantises to 4 levels), the pseudo-derivatives
    /// too.
    #[test]
    fn neuron_block_path_equals_the_statement(
        sizes in (1usize..70, 1usize..80, 1usize..3),
        code in 0u8..3,
        engine in prop_oneof![Just(Engine::Off), Just(Engine::Exact), Just(Engine::Light)],
        shifts in (-24i8..=24, -24i8..=24),
        weight_bits in prop_oneof![Just(8u32), Just(16u32)],
        p_in in 5u32..90,
        seed in 1u64..u64::MAX,
    ) {
        let round = rounding(code);
        let cfg = chip(sizes, shifts, round, weight_bits, engine, seed);
        let levels = if engine == Engine::Light { cfg.learning().psi_levels } else { 0 };
        let mut s = seed;
        let mut a = Arenas::with_defaults(&cfg);
        {
            let mut m = a.mem(&cfg);
            common::random_gains(&mut m, &mut s);
            let wf = cfg.formats().weight;
            for w in m.w_in.iter_mut().chain(m.w_rec.iter_mut()) {
                *w = common::any_weight(wf, &mut s);
            }
            for (k, al) in m.alpha.iter_mut().enumerate() {
                // Decays from 0.5 to 1 (Q1.15), one neuron at exactly 1.
                *al = if k == 0 { 1 << 15 } else { (1 << 14) + (next(&mut s) % (1 << 14)) as u32 };
            }
        }
        let mf = cfg.formats().membrane;
        let (lo, hi) = (i64::from(mf.min()), i64::from(mf.max()));
        let mut c = neurochip_core::Chip::new(cfg, &a.mem(&cfg)).unwrap();
        let mut x = bitvec![u32, Lsb0; 0; sizes.0];
        for _ in 0..40 {
            common::draw_input(&mut x, &mut s, p_in);
            let (v0, refr0, z0) = {
                let m = a.mem(&cfg);
                (m.v.to_vec(), m.refr.to_vec(), m.z.to_bitvec())
            };
            let mut prng = c.prng();
            if engine != Engine::Off && round == Rounding::Stochastic {
                // The presynaptic traces draw first, one word each.
                for _ in 0..sizes.0 + sizes.1 {
                    prng.next_u32();
                }
            }
            c.step(&mut a.mem(&cfg), &x).unwrap();
            let m = a.mem(&cfg);
            for j in 0..sizes.1 {
                let leak = round.decay(i64::from(v0[j]), m.alpha[j] as u16, &mut prng);
                let input = shift_round(i64::from(m.acc_in[j]), i32::from(shifts.0))
                    .saturating_add(shift_round(i64::from(m.acc_rec[j]), i32::from(shifts.1)));
                let reset = if z0[j] { i64::from(m.thr[j]) } else { 0 };
                let v = leak.saturating_add(input).saturating_sub(reset).clamp(lo, hi) as i32;
                let refractory = refr0[j] > 0;
                let fire = !refractory && v > m.thr[j];
                let refr = if fire { 2 } else if refractory { refr0[j] - 1 } else { refr0[j] };
                prop_assert_eq!(m.v[j], v, "membrane of neuron {}", j);
                prop_assert_eq!(m.refr[j], refr, "refractory counter of neuron {}", j);
                prop_assert_eq!(m.z[j], fire, "spike of neuron {}", j);
                if engine != Engine::Off {
                    let (thr, gain) = (m.thr[j], m.psi_gain[j]);
                    let psi = if refractory {
                        0
                    } else {
                        pseudo_derivative(v, i64::from(thr), thr, gain, mf.frac(), levels).to_bits()
                    };
                    prop_assert_eq!(m.psi[j], u32::from(psi), "pseudo-derivative of neuron {}", j);
                }
            }
        }
    }
}
