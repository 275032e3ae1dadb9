//! Property tests of the learning circuits: extreme learning rates (shifts 0..=62),
//! extreme inputs and targets, both engines, both application modes, Dale's law.
//! The test profile has overflow checks on, so an unplanned overflow panics; every
//! stored value must stay inside its format, and Dale's law must hold throughout.

use neurochip_core::format::Format;
use neurochip_core::learning::{Learning, Loss};
use neurochip_core::{Chip, Memory, Target};
use proptest::prelude::*;

mod common;
use common::{
    any_feedback, any_loss, check_dale, chip_case, drive, extreme_values, next, random_weights,
    weights, Arenas,
};

proptest! {
    #![proptest_config(ProptestConfig { cases: 150, ..ProptestConfig::default() })]

    #[test]
    fn learning_never_panics_and_stays_in_format(
        c in chip_case(1..10, 1..16, 1..4),
        feedback in any_feedback(),
        loss in any_loss(),
        dale: bool,
        alif: bool,
        shifts in prop::array::uniform4(0u8..=62),
        reg_shift in 0u8..=62,
        eb in 8u32..=31,
    ) {
        let learning = Learning {
            feedback,
            loss,
            elig: Format::signed(eb, eb / 2).unwrap(),
            shift_in: shifts[0],
            shift_rec: shifts[1],
            shift_out: shifts[2],
            shift_bias: shifts[3],
            reg_shift,
            reg_target: 3000,
            dale,
            trace_decay: 32_767,
            elig_decay: 32_000,
            ..common::learning(c.exact, c.sample)
        };
        let (cfg, mut arenas) = Arenas::build(c.chip(learning).alif(alif));
        let mut mem = arenas.mem(&cfg);
        let mut s = c.seed | 1;
        let wf = c.weight_format();
        for j in 0..c.n_rec {
            mem.exc.set(j, j < c.n_rec / 2 + 1);
        }
        random_weights(&mut mem, wf, dale, &mut s);
        if alif {
            for (k, be) in mem.beta.iter_mut().enumerate() {
                *be = if k % 2 == 0 { (next(&mut s) % 4096) as i32 } else { 0 };
            }
        }
        let mut chip = Chip::new(cfg, &mem).unwrap();
        let vals = extreme_values(c.n_out);
        let target = |t: u32, _: &mut u64| match (t % 3, loss) {
            (0, _) => Target::None,
            (_, Loss::Classification) => Target::Class((t as usize) % (c.n_out + 1)),
            (_, Loss::Regression) => Target::Values(&vals),
        };
        let rf = cfg.formats().readout;
        let in_format = |mem: &Memory<'_>| {
            prop_assert!(weights(mem).all(|&w| wf.contains(i32::from(w))));
            prop_assert!(mem.bias.iter().all(|&b| rf.contains(b)));
            prop_assert!(mem.ebar_in.iter().chain(mem.ebar_rec.iter()).all(|&e| learning.elig.contains(e)));
            if dale {
                check_dale(mem)?;
            }
            Ok(())
        };
        drive(&mut chip, &mut mem, c.run(80, 20), &mut s, target, in_format)?;
    }
}
