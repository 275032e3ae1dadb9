//! Rewiring under a budget (Deep R, `neurochip_core::rewire`): property tests over
//! both engines, online and per-sample application, every learning-rate shift
//! (0..=62), any budget from empty to full, with and without synaptic-sampling noise
//! and Dale's law, any seed. After the host's initialisation and after every step,
//! learning step and end of sample, each layer holds exactly its budget of active
//! synapses, every silent synapse has weight zero, every active one has its fixed
//! sign and is nonzero, and no recurrent self-connection is active.

use bitvec::prelude::*;
use neurochip_core::learning::{Apply, Engine, Learning};
use neurochip_core::rewire::{self, Rewire};
use neurochip_core::{Chip, ConfigBuilder, Memory, Target};
use proptest::prelude::*;

mod common;
use common::{any_weight, chip_case, drive, next, random_gains, weights_mut, Arenas, SHIFTS};

fn check(mem: &Memory<'_>, r: Rewire, seed: u64, dale: bool) -> Result<(), TestCaseError> {
    let n = mem.layout.n_rec;
    let (a_in, a_rec) = rewire::active(mem);
    prop_assert_eq!(a_in, r.budget_in as usize, "input budget");
    prop_assert_eq!(a_rec, r.budget_rec as usize, "recurrent budget");
    for (k, &w) in mem.w_in.iter().enumerate() {
        if mem.mask_in[k] {
            let pos = rewire::sign(seed, rewire::layer::INPUT, k);
            prop_assert!(if pos { w > 0 } else { w < 0 }, "input {k}: {w}");
        } else {
            prop_assert_eq!(w, 0, "silent input synapse {} holds a weight", k);
        }
    }
    for (k, &w) in mem.w_rec.iter().enumerate() {
        if mem.mask_rec[k] {
            prop_assert!(k / n != k % n, "self-connection {k} active");
            let pos = if dale {
                mem.exc[k / n]
            } else {
                rewire::sign(seed, rewire::layer::RECURRENT, k)
            };
            prop_assert!(if pos { w > 0 } else { w < 0 }, "recurrent {k}: {w}");
        } else {
            prop_assert_eq!(w, 0, "silent recurrent synapse {} holds a weight", k);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// `frac`: the budgets as a fraction of capacity, per mille.
    #[test]
    fn budget_holds_at_every_step(
        c in chip_case(1..10, 2..20, 1..4),
        dale: bool,
        (shift_in, shift_rec, shift_out) in (0u8..=62, 0u8..=62, 0u8..=62),
        frac in (0u32..=1000, 0u32..=1000),
        noise in prop_oneof![Just(0u16), any::<u16>()],
    ) {
        let learning = common::shifted_learning(
            c.exact,
            c.sample,
            [shift_in, shift_rec, shift_out, shift_out],
            dale,
        );
        let (ni, nr) = (c.n_in as u32, c.n_rec as u32);
        let r = Rewire {
            budget_in: ni * nr * frac.0 / 1000,
            budget_rec: nr * (nr - 1) * frac.1 / 1000,
            noise,
        };
        let (cfg, mut arenas) = Arenas::build(c.chip(learning).rewire(r));
        let mut mem = arenas.mem(&cfg);
        let wf = c.weight_format();
        let mut s = c.seed | 1;
        let n = c.n_rec;
        for j in 0..n {
            mem.exc.set(j, next(&mut s) % 4 != 0);
        }
        // Any starting weights (zeros included) and masks: init must fix them.
        for w in weights_mut(&mut mem) {
            *w = any_weight(wf, &mut s);
        }
        for k in 0..mem.mask_rec.len() {
            mem.mask_rec.set(k, next(&mut s) % 3 != 0);
        }
        for k in 0..mem.w_rec.len() {
            let v = i64::from(mem.w_rec[k]);
            let w = match (dale, mem.exc[k / n], mem.mask_rec[k]) {
                (_, _, false) => 0,
                (true, true, true) => v.abs(),
                (true, false, true) => -v.abs(),
                (false, _, true) => v,
            };
            mem.w_rec[k] = wf.saturate(w) as i16;
        }
        random_gains(&mut mem, &mut s);
        rewire::init(&cfg, &mut mem);
        check(&mem, r, c.seed, dale)?;
        let mut chip = Chip::new(cfg, &mem).unwrap();
        let target = |t: u32, s: &mut u64| {
            if t % 4 == 0 {
                Target::None
            } else {
                Target::Class((next(s) as usize) % c.n_out)
            }
        };
        let holds = |mem: &Memory<'_>| check(mem, r, c.seed, dale);
        drive(&mut chip, &mut mem, c.run(100, 10), &mut s, target, holds)?;
    }
}

/// Rewiring really rewires: with learning that keeps pushing weights through zero,
/// synapses retire and others take their place, the budget held.
#[test]
fn synapses_come_and_go() {
    let learning = Learning {
        engine: Engine::Exact,
        apply: Apply::Online,
        shift_in: 0,
        shift_rec: 0,
        shift_out: 8,
        shift_bias: 8,
        trace_decay: 32_000,
        elig_decay: 32_000,
        ..Learning::DEFAULT
    };
    let r = Rewire {
        budget_in: 20,
        budget_rec: 30,
        noise: 2000,
    };
    let (cfg, mut arenas) = Arenas::build(
        ConfigBuilder::new(8, 16, 2)
            .shifts(SHIFTS)
            .learning(learning)
            .rewire(r)
            .seed(5),
    );
    let mut mem = arenas.mem(&cfg);
    mem.psi_gain.fill(1 << 20);
    mem.w_out.fill(20);
    rewire::init(&cfg, &mut mem);
    let before: Vec<bool> = mem.mask_in.iter().by_vals().collect();
    let mut chip = Chip::new(cfg, &mem).unwrap();
    let x = bitvec![u32, Lsb0; 1; 8];
    for t in 0..200 {
        chip.step(&mut mem, &x).unwrap();
        chip.learn(&mut mem, Target::Class(t % 2)).unwrap();
    }
    let after: Vec<bool> = mem.mask_in.iter().by_vals().collect();
    assert_ne!(before, after, "no input synapse was rewired");
    assert_eq!(rewire::active(&mem), (20, 30));
}
