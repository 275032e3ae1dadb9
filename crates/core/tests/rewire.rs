//! Rewiring under a budget (Deep R, `neurochip_core::rewire`): property tests over
//! both engines, online and per-sample application, every learning-rate shift
//! (0..=62), any budget from empty to full, with and without synaptic-sampling noise
//! and Dale's law, any seed. After the host's initialisation and after every step,
//! learning step and end of sample, each layer holds exactly its budget of active
//! synapses, every silent synapse has weight zero, every active one has its fixed
//! sign and is nonzero, and no recurrent self-connection is active.

use bitvec::prelude::*;
use neurochip_core::learning::{Apply, Engine, Learning, Loss};
use neurochip_core::rewire::{self, Rewire};
use neurochip_core::{Chip, ConfigBuilder, Memory, Target};
use proptest::prelude::*;

mod common;
use common::{any_weight, draw_input, learning_chip, next, random_gains, Arenas, SHIFTS};

#[derive(Debug, Clone)]
struct Case {
    n_in: usize,
    n_rec: usize,
    n_out: usize,
    weight_bits: u32,
    exact: bool,
    sample: bool,
    dale: bool,
    shifts: (u8, u8, u8),
    /// Budgets as a fraction of capacity, per mille.
    frac: (u32, u32),
    noise: u16,
    p_in: u32,
    seed: u64,
}

fn case() -> impl Strategy<Value = Case> {
    (
        (1usize..10, 2usize..20, 1usize..4, 2u32..=16),
        (any::<bool>(), any::<bool>(), any::<bool>()),
        (0u8..=62, 0u8..=62, 0u8..=62),
        (0u32..=1000, 0u32..=1000),
        (
            prop_oneof![Just(0u16), any::<u16>()],
            0u32..=100,
            any::<u64>(),
        ),
    )
        .prop_map(
            |((ni, nr, no, wb), (ex, s, d), sh, fr, (noise, p, seed))| Case {
                n_in: ni,
                n_rec: nr,
                n_out: no,
                weight_bits: wb,
                exact: ex,
                sample: s,
                dale: d,
                shifts: sh,
                frac: fr,
                noise,
                p_in: p,
                seed,
            },
        )
}

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

    #[test]
    fn budget_holds_at_every_step(c in case()) {
        let formats = common::weight_formats(c.weight_bits);
        let learning = Learning {
            loss: Loss::Classification,
            ..common::shifted_learning(c.exact, c.sample, [c.shifts.0, c.shifts.1, c.shifts.2, c.shifts.2], c.dale)
        };
        let (ni, nr) = (c.n_in as u32, c.n_rec as u32);
        let r = Rewire {
            budget_in: ni * nr * c.frac.0 / 1000,
            budget_rec: nr * (nr - 1) * c.frac.1 / 1000,
            noise: c.noise,
        };
        let dims = (c.n_in, c.n_rec, c.n_out);
        let (cfg, mut arenas) = Arenas::build(learning_chip(dims, formats, learning, c.seed).rewire(r));
        let mut mem = arenas.mem(&cfg);
        let wf = formats.weight;
        let mut s = c.seed | 1;
        let n = c.n_rec;
        for j in 0..n {
            mem.exc.set(j, next(&mut s) % 4 != 0);
        }
        // Any starting weights (zeros included) and masks: init must fix them.
        for w in mem.w_in.iter_mut().chain(mem.w_rec.iter_mut()).chain(mem.w_out.iter_mut()) {
            *w = any_weight(wf, &mut s);
        }
        for k in 0..mem.mask_rec.len() {
            mem.mask_rec.set(k, next(&mut s) % 3 != 0);
        }
        for k in 0..mem.w_rec.len() {
            let v = i64::from(mem.w_rec[k]);
            let w = match (c.dale, mem.exc[k / n], mem.mask_rec[k]) {
                (_, _, false) => 0,
                (true, true, true) => v.abs(),
                (true, false, true) => -v.abs(),
                (false, _, true) => v,
            };
            mem.w_rec[k] = wf.saturate(w) as i16;
        }
        random_gains(&mut mem, &mut s);
        rewire::init(&cfg, &mut mem);
        check(&mem, r, c.seed, c.dale)?;
        let mut chip = Chip::new(cfg, &mem).unwrap();
        let mut x = bitvec![u32, Lsb0; 0; c.n_in];
        for t in 0..100u32 {
            draw_input(&mut x, &mut s, c.p_in);
            chip.step(&mut mem, &x).unwrap();
            check(&mem, r, c.seed, c.dale)?;
            let target = if t % 4 == 0 {
                Target::None
            } else {
                Target::Class((next(&mut s) as usize) % c.n_out)
            };
            chip.learn(&mut mem, target).unwrap();
            check(&mem, r, c.seed, c.dale)?;
            if t % 10 == 9 {
                chip.end_sample(&mut mem).unwrap();
                check(&mem, r, c.seed, c.dale)?;
            }
        }
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
