//! Dale's law under any learning rate: property tests over both engines, online and
//! per-sample application, every learning-rate shift (0..=62, from updates of many
//! LSBs per step to none), per-synapse rate spreads, any excitatory/inhibitory split
//! and saturating inputs and targets. No excitatory weight may ever be negative and
//! no inhibitory weight positive, after any step, learning step or end of sample.

use neurochip_core::learning::{Learning, Loss};
use neurochip_core::{Chip, Target};
use proptest::prelude::*;

mod common;
use common::{
    any_feedback, any_loss, check_dale, chip_case, drive, extreme_values, next, random_weights,
    Arenas,
};

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// `exc`: bit `j` is neuron `j`'s excitatory flag (any split, all E or all I too).
    #[test]
    fn dale_holds_under_any_learning_rate(
        c in chip_case(1..8, 1..20, 1..4),
        feedback in any_feedback(),
        loss in any_loss(),
        alif: bool,
        (shift_in, shift_rec, shift_out) in (0u8..=62, 0u8..=62, 0u8..=62),
        lr_spread in 0u8..=16,
        exc: u32,
    ) {
        let learning = Learning {
            feedback,
            loss,
            lr_spread,
            ..common::shifted_learning(
                c.exact,
                c.sample,
                [shift_in, shift_rec, shift_out, shift_out],
                true,
            )
        };
        let (cfg, mut arenas) = Arenas::build(c.chip(learning).alif(alif));
        let mut mem = arenas.mem(&cfg);
        let mut s = c.seed | 1;
        for j in 0..c.n_rec {
            mem.exc.set(j, exc >> j & 1 == 1);
        }
        mem.mask_rec.fill(true);
        mem.mask_in.fill(true);
        mem.mask_out.fill(true);
        // Start Dale-consistent, at full scale, so large steps meet the clamp at once.
        random_weights(&mut mem, c.weight_format(), true, &mut s);
        check_dale(&mem)?;
        let mut chip = Chip::new(cfg, &mem).unwrap();
        let vals = extreme_values(c.n_out);
        let target = |t: u32, s: &mut u64| match (t % 4, loss) {
            (0, _) => Target::None,
            (_, Loss::Classification) => Target::Class((next(s) as usize) % c.n_out),
            (_, Loss::Regression) => Target::Values(&vals),
        };
        drive(&mut chip, &mut mem, c.run(120, 15), &mut s, target, check_dale)?;
    }
}
