//! The learning-rate step register (`Chip::set_rate_step`): a chip at rate step `k`
//! learns exactly what a chip configured with every learning-rate shift `k` larger
//! learns (saturating at the top shift), for both engines and both application modes,
//! and the register changes nothing while it is 0.

use neurochip_core::{Chip, Target};
use proptest::prelude::*;

mod common;
use common::{
    any_weight, drive, learning_chip, random_gains, shifted_learning, weights, weights_mut, Arenas,
    Run,
};

/// Train `cfg`'s chip for 60 steps from seeded weights at rate step `k`: (weights,
/// digest).
fn train(cfg: &neurochip_core::ChipConfig, k: u8, seed: u64) -> (Vec<i16>, u64) {
    let mut arenas = Arenas::with_defaults(cfg);
    let mut mem = arenas.mem(cfg);
    let mut s = seed | 1;
    let wf = cfg.formats().weight;
    for w in weights_mut(&mut mem) {
        *w = any_weight(wf, &mut s);
    }
    random_gains(&mut mem, &mut s);
    let mut chip = Chip::new(*cfg, &mem).unwrap();
    chip.set_rate_step(k);
    let run = Run {
        steps: 60,
        sample: 20,
        p_in: 30,
    };
    let target = |t: u32, _: &mut u64| {
        if t % 3 == 0 {
            Target::None
        } else {
            Target::Class(t as usize % cfg.n_out())
        }
    };
    drive(&mut chip, &mut mem, run, &mut s, target, |_| Ok(())).unwrap();
    (weights(&mem).copied().collect(), chip.digest())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn rate_step_k_learns_what_shifts_k_larger_learn(
        exact: bool,
        sample: bool,
        shifts in prop::array::uniform4(0u8..=62),
        k in 0u8..=70,
        seed: u64,
    ) {
        let learning = shifted_learning(exact, sample, shifts, false);
        let formats = common::weight_formats(8);
        let (cfg, _) = Arenas::build(learning_chip((6, 12, 3), formats, learning, seed));
        let stepped = train(&cfg, k, seed);
        let shifted = train(&cfg.with_rate_step(k), 0, seed);
        prop_assert_eq!(stepped, shifted);
        if k == 0 {
            prop_assert_eq!(cfg.with_rate_step(0), cfg);
        }
    }
}
