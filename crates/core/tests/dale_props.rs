//! Dale's law under any learning rate: property tests over both engines, online and
//! per-sample application, every learning-rate shift (0..=62, from updates of many
//! LSBs per step to none), per-synapse rate spreads, any excitatory/inhibitory split
//! and saturating inputs and targets. No excitatory weight may ever be negative and
//! no inhibitory weight positive, after any step, learning step or end of sample.

use bitvec::prelude::*;
use neurochip_core::learning::{Feedback, Learning, Loss};
use neurochip_core::{Chip, Memory, Target};
use proptest::prelude::*;

mod common;
use common::{any_weight, draw_input, learning_chip, next, random_gains, Arenas};

#[derive(Debug, Clone)]
struct Case {
    n_in: usize,
    n_rec: usize,
    n_out: usize,
    weight_bits: u32,
    exact: bool,
    sample: bool,
    random_fb: bool,
    regression: bool,
    alif: bool,
    shift_in: u8,
    shift_rec: u8,
    shift_out: u8,
    lr_spread: u8,
    /// Excitatory flag per neuron (any split, including all E or all I).
    exc: Vec<bool>,
    p_in: u32,
    seed: u64,
}

fn case() -> impl Strategy<Value = Case> {
    (1usize..8, 1usize..20, 1usize..4).prop_flat_map(|(ni, nr, no)| {
        (
            (
                Just((ni, nr, no)),
                2u32..=16,
                prop::collection::vec(any::<bool>(), nr),
            ),
            (
                any::<bool>(),
                any::<bool>(),
                any::<bool>(),
                any::<bool>(),
                any::<bool>(),
            ),
            (0u8..=62, 0u8..=62, 0u8..=62, 0u8..=16),
            (0u32..=100, any::<u64>()),
        )
            .prop_map(
                |(((ni, nr, no), wb, exc), (ex, s, fb, reg, alif), (si, sr, so, k), (p, seed))| {
                    Case {
                        n_in: ni,
                        n_rec: nr,
                        n_out: no,
                        weight_bits: wb,
                        exact: ex,
                        sample: s,
                        random_fb: fb,
                        regression: reg,
                        alif,
                        shift_in: si,
                        shift_rec: sr,
                        shift_out: so,
                        lr_spread: k,
                        exc,
                        p_in: p,
                        seed,
                    }
                },
            )
    })
}

fn check_dale(mem: &Memory<'_>, n: usize) -> Result<(), TestCaseError> {
    for (k, &w) in mem.w_rec.iter().enumerate() {
        let exc = mem.exc[k / n];
        prop_assert!(
            if exc { w >= 0 } else { w <= 0 },
            "Dale violated at synapse {k} (presynaptic neuron {}, {}): {w}",
            k / n,
            if exc { "excitatory" } else { "inhibitory" }
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn dale_holds_under_any_learning_rate(c in case()) {
        let formats = common::weight_formats(c.weight_bits);
        let learning = Learning {
            feedback: if c.random_fb { Feedback::Random } else { Feedback::Symmetric },
            loss: if c.regression { Loss::Regression } else { Loss::Classification },
            lr_spread: c.lr_spread,
            ..common::shifted_learning(
                c.exact,
                c.sample,
                [c.shift_in, c.shift_rec, c.shift_out, c.shift_out],
                true,
            )
        };
        let dims = (c.n_in, c.n_rec, c.n_out);
        let (cfg, mut arenas) = Arenas::build(learning_chip(dims, formats, learning, c.seed).alif(c.alif));
        let mut mem = arenas.mem(&cfg);
        let n = c.n_rec;
        let wf = formats.weight;
        let mut s = c.seed | 1;
        for (j, &e) in c.exc.iter().enumerate() {
            mem.exc.set(j, e);
        }
        // Start Dale-consistent, at full scale, so large steps meet the clamp at once.
        for (k, w) in mem.w_rec.iter_mut().enumerate() {
            let v = any_weight(wf, &mut s);
            *w = if c.exc[k / n] { v.max(0) } else { v.min(0) };
        }
        mem.mask_rec.fill(true);
        mem.mask_in.fill(true);
        mem.mask_out.fill(true);
        for w in mem.w_in.iter_mut().chain(mem.w_out.iter_mut()).chain(mem.b_fb.iter_mut()) {
            *w = any_weight(wf, &mut s);
        }
        random_gains(&mut mem, &mut s);
        check_dale(&mem, n)?;
        let mut chip = Chip::new(cfg, &mem).unwrap();
        let mut x = bitvec![u32, Lsb0; 0; c.n_in];
        let vals: Vec<i32> =
            (0..c.n_out).map(|k| if k % 2 == 0 { i32::MAX } else { i32::MIN }).collect();
        for t in 0..120u32 {
            draw_input(&mut x, &mut s, c.p_in);
            chip.step(&mut mem, &x).unwrap();
            let target = match (t % 4, c.regression) {
                (0, _) => Target::None,
                (_, false) => Target::Class((next(&mut s) as usize) % c.n_out),
                (_, true) => Target::Values(&vals),
            };
            chip.learn(&mut mem, target).unwrap();
            check_dale(&mem, n)?;
            if t % 15 == 14 {
                chip.end_sample(&mut mem).unwrap();
                check_dale(&mem, n)?;
            }
        }
    }
}
