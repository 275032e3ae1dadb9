//! The learning-rate step register (`Chip::set_rate_step`): a chip at rate step `k`
//! learns exactly what a chip configured with every learning-rate shift `k` larger
//! learns (saturating at the top shift), for both engines and both application modes,
//! and the register changes nothing while it is 0.

use bitvec::prelude::*;
use neurochip_core::{Chip, Target};
use proptest::prelude::*;

mod common;
use common::{any_weight, draw_input, learning_chip, random_gains, shifted_learning, Arenas};

/// Train `cfg`'s chip for 60 steps from seeded weights at rate step `k`: (weights,
/// digest).
fn train(cfg: &neurochip_core::ChipConfig, k: u8, seed: u64) -> (Vec<i16>, u64) {
    let mut arenas = Arenas::with_defaults(cfg);
    let mut mem = arenas.mem(cfg);
    let mut s = seed | 1;
    let wf = cfg.formats().weight;
    for w in mem
        .w_in
        .iter_mut()
        .chain(mem.w_rec.iter_mut())
        .chain(mem.w_out.iter_mut())
    {
        *w = any_weight(wf, &mut s);
    }
    random_gains(&mut mem, &mut s);
    let mut chip = Chip::new(*cfg, &mem).unwrap();
    chip.set_rate_step(k);
    let mut x = bitvec![u32, Lsb0; 0; cfg.n_in()];
    for t in 0..60u32 {
        draw_input(&mut x, &mut s, 30);
        chip.step(&mut mem, &x).unwrap();
        let target = if t % 3 == 0 {
            Target::None
        } else {
            Target::Class(t as usize % cfg.n_out())
        };
        chip.learn(&mut mem, target).unwrap();
        if t % 20 == 19 {
            chip.end_sample(&mut mem).unwrap();
        }
    }
    let w = mem
        .w_in
        .iter()
        .chain(mem.w_rec.iter())
        .chain(mem.w_out.iter())
        .copied()
        .collect();
    (w, chip.digest())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn rate_step_k_learns_what_shifts_k_larger_learn(
        exact in any::<bool>(),
        sample in any::<bool>(),
        shifts in prop::array::uniform4(0u8..=62),
        k in 0u8..=70,
        seed in any::<u64>(),
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
