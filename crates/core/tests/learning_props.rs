//! Property tests of the learning circuits: extreme learning rates (shifts 0..=62),
//! extreme inputs and targets, both engines, both application modes, Dale's law.
//! The test profile has overflow checks on, so an unplanned overflow panics; every
//! stored value must stay inside its format, and Dale's law must hold throughout.

use bitvec::prelude::*;
use neurochip_core::format::Format;
use neurochip_core::learning::{Feedback, Learning, Loss};
use neurochip_core::{Chip, Target};
use proptest::prelude::*;

mod common;
use common::{any_weight, draw_input, learning_chip, next, random_gains, Arenas};

#[derive(Debug, Clone)]
struct Case {
    n_in: usize,
    n_rec: usize,
    n_out: usize,
    wb: u32,
    engine: bool,
    sample: bool,
    random_fb: bool,
    regression: bool,
    dale: bool,
    alif: bool,
    shifts: [u8; 4],
    reg_shift: u8,
    eb: u32,
    p_in: u32,
    seed: u64,
}

fn case() -> impl Strategy<Value = Case> {
    (
        (1usize..10, 1usize..16, 1usize..4, 2u32..=16),
        (
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
        ),
        (prop::array::uniform4(0u8..=62), 0u8..=62, 8u32..=31),
        (0u32..=100, any::<u64>()),
    )
        .prop_map(
            |((ni, nr, no, wb), (e, s, fb, reg, dale, alif), (sh, rs, eb), (p, seed))| Case {
                n_in: ni,
                n_rec: nr,
                n_out: no,
                wb,
                engine: e,
                sample: s,
                random_fb: fb,
                regression: reg,
                dale,
                alif,
                shifts: sh,
                reg_shift: rs,
                eb,
                p_in: p,
                seed,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 150, ..ProptestConfig::default() })]

    #[test]
    fn learning_never_panics_and_stays_in_format(c in case()) {
        let formats = common::weight_formats(c.wb);
        let learning = Learning {
            feedback: if c.random_fb { Feedback::Random } else { Feedback::Symmetric },
            loss: if c.regression { Loss::Regression } else { Loss::Classification },
            elig: Format::signed(c.eb, c.eb / 2).unwrap(),
            shift_in: c.shifts[0],
            shift_rec: c.shifts[1],
            shift_out: c.shifts[2],
            shift_bias: c.shifts[3],
            reg_shift: c.reg_shift,
            reg_target: 3000,
            dale: c.dale,
            trace_decay: 32_767,
            elig_decay: 32_000,
            ..common::learning(c.engine, c.sample)
        };
        let dims = (c.n_in, c.n_rec, c.n_out);
        let (cfg, mut arenas) = Arenas::build(learning_chip(dims, formats, learning, c.seed).alif(c.alif));
        let mut mem = arenas.mem(&cfg);
        let mut s = c.seed | 1;
        let wf = formats.weight;
        for (k, w) in mem.w_rec.iter_mut().enumerate() {
            let v = any_weight(wf, &mut s);
            // Start Dale-consistent: excitatory rows >= 0 and inhibitory rows <= 0.
            let exc = k / c.n_rec < c.n_rec / 2 + 1;
            *w = if c.dale { if exc { v.max(0) } else { v.min(0) } } else { v };
        }
        for j in 0..c.n_rec {
            mem.exc.set(j, j < c.n_rec / 2 + 1);
        }
        for w in mem.w_in.iter_mut().chain(mem.w_out.iter_mut()).chain(mem.b_fb.iter_mut()) {
            *w = any_weight(wf, &mut s);
        }
        random_gains(&mut mem, &mut s);
        if c.alif {
            for (k, be) in mem.beta.iter_mut().enumerate() {
                *be = if k % 2 == 0 { (next(&mut s) % 4096) as i32 } else { 0 };
            }
        }
        let mut chip = Chip::new(cfg, &mem).unwrap();
        let mut x = bitvec![u32, Lsb0; 0; c.n_in];
        let vals: Vec<i32> = (0..c.n_out).map(|k| if k % 2 == 0 { i32::MAX } else { i32::MIN }).collect();
        for t in 0..80u32 {
            draw_input(&mut x, &mut s, c.p_in);
            chip.step(&mut mem, &x).unwrap();
            let target = match (t % 3, c.regression) {
                (0, _) => Target::None,
                (_, false) => Target::Class((t as usize) % (c.n_out + 1)),
                (_, true) => Target::Values(&vals),
            };
            chip.learn(&mut mem, target).unwrap();
            if t % 20 == 19 {
                chip.end_sample(&mut mem).unwrap();
            }
            let rf = cfg.formats().readout;
            prop_assert!(mem.w_in.iter().chain(mem.w_rec.iter()).chain(mem.w_out.iter()).all(|&w| wf.contains(i32::from(w))));
            prop_assert!(mem.bias.iter().all(|&b| rf.contains(b)));
            prop_assert!(mem.ebar_in.iter().chain(mem.ebar_rec.iter()).all(|&e| learning.elig.contains(e)));
            if c.dale {
                for (k, &w) in mem.w_rec.iter().enumerate() {
                    let exc = mem.exc[k / c.n_rec];
                    prop_assert!(if exc { w >= 0 } else { w <= 0 }, "Dale violated at {k}: {w}");
                }
            }
        }
    }
}
