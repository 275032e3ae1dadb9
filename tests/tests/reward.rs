//! Reward-based e-prop (actor–critic): the fixed-point TD error, errors and learning
//! signal against the f64 formulas, one episode's weight change on the chip against
//! the f64 twin, a digest golden of a short reward-cue run, and (release) a short
//! training run that learns.

use bitvec::prelude::*;
use neurochip_core::reward::{self, Critic};
use neurochip_emu::config::{self, Config};
use neurochip_emu::quant::dequantize;
use neurochip_emu::reward::{self as er, float_params, params};
use neurochip_emu::HostChip;
use neurochip_ref::reward::{self as fr, ActorCritic};
use neurochip_tasks::reward_cue::ActionDraws;
use neurochip_tests::root;
use proptest::prelude::*;

/// The chip, its two twins and the cue trial of a reward configuration.
fn setup(
    cfg: &Config,
) -> (
    HostChip,
    neurochip_ref::Reference,
    neurochip_ref::Learner,
    neurochip_tasks::CueConfig,
) {
    let (_, mut chip) = neurochip_emu::build::chip(cfg).unwrap();
    let (sim, learner) = neurochip_emu::learn::float_twin(cfg, &mut chip);
    let er::Env::Cue(cue) = er::environment(cfg).unwrap() else {
        panic!("a cue environment");
    };
    (chip, sim, learner, cue)
}

/// The reward-cue example with a short trial (3 cues, 200 ms delay).
fn short_cfg(seed: u64) -> Config {
    let mut cfg = config::load(&root().join("examples/reward_cue.toml")).unwrap();
    cfg.task.n_cues = 3;
    cfg.task.delay_ms = 200;
    cfg.seed = seed;
    cfg
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// `r + gamma V' - V` in fixed point is the f64 value to within one LSB
    /// (the one rounding of `gamma V'`).
    #[test]
    fn td_error_matches_f64(
        r in -(1i32 << 20)..(1 << 20),
        v in -(1i32 << 20)..(1 << 20),
        vp in -(1i32 << 20)..(1 << 20),
        gamma in 0u16..=32768,
        terminal in any::<bool>(),
    ) {
        let next = if terminal { None } else { Some(v) };
        let fixed = reward::td_error(r, next, vp, gamma);
        let g = f64::from(gamma) / 32768.0;
        let float = fr::td_error(f64::from(r), next.map(f64::from), f64::from(vp), g);
        prop_assert!((f64::from(fixed) - float).abs() <= 0.5 + 1e-9, "{fixed} vs {float}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    /// After some steps of random input, the chip's per-readout errors and learning
    /// signals at an agent step are the f64 formulas of its own readouts, weights and
    /// action: `err = (pi - onehot(a), -c_V)`, `L_j = sum_k W_out[j,k] err_k`.
    #[test]
    fn errors_and_learning_signal_match_f64(seed in 0u64..1000, steps in 20u32..120) {
        let cfg = short_cfg(1 + seed % 3);
        let (mut chip, _, _, cue) = setup(&cfg);
        let p = params(cfg.reward.as_ref().unwrap());
        let s = cue.sample(seed);
        let mut x = bitvec![u32, Lsb0; 0; s.n_inputs()];
        let rf = chip.config().formats().readout.frac();
        let (c, mut mem) = chip.parts();
        mem.reset_state();
        for t in 0..steps {
            s.spikes(t, &mut x);
            c.step(&mut mem, &x).unwrap();
        }
        let y: Vec<f64> = mem.y.iter().map(|&v| f64::from(v) / f64::from(1u32 << rf)).collect();
        let (a, delta) = reward::act(c, &mut mem, &p, &mut Critic::default(), 0).unwrap();
        prop_assert_eq!(delta, 0);
        let pi = neurochip_ref::eprop::softmax(&y[..2]);
        let err = fr::actor_critic_error(&pi, a, f64::from(p.c_v) / 32768.0);
        for (k, (&e, &ef)) in mem.err.iter().zip(&err).enumerate() {
            // The fixed-point softmax is within 2e-4 of exact (plus Q15 rounding).
            prop_assert!((f64::from(e) / 32768.0 - ef).abs() < 3e-4, "err[{k}] {e} vs {ef}");
        }
        let o = mem.layout.n_out;
        for (j, &l) in mem.l.iter().enumerate() {
            let lf: f64 = (0..o).map(|k| f64::from(mem.w_out[j * o + k]) * err[k] * 32768.0).sum();
            let bound: f64 = (0..o).map(|k| f64::from(mem.w_out[j * o + k]).abs()).sum::<f64>() * 10.0 + 1.0;
            prop_assert!((f64::from(l) - lf).abs() <= bound, "L[{j}] {l} vs {lf}");
        }
    }
}

/// One episode of learning with a large TD error changes the chip's weights like the
/// f64 twin's (started from the chip's dequantised weights, with the chip's action):
/// the two weight changes point the same way.
#[test]
fn one_episode_update_agrees_with_f64() {
    let mut cfg = short_cfg(2);
    // One cue and no delay: a 300-step trial, short enough that the chip's and the
    // twin's spike trains stay close.
    cfg.task.n_cues = 1;
    cfg.task.delay_ms = 0;
    // Large rates so that one update is many LSBs.
    cfg.learning.rates.eta_in = 3e-2;
    cfg.learning.rates.eta_rec = 3e-2;
    let (mut chip, _, _, cue) = setup(&cfg);
    let before = dequantize(&mut chip);
    let (mut sim, mut learner) = neurochip_emu::learn::float_twin(&cfg, &mut chip);
    let p = params(cfg.reward.as_ref().unwrap());
    let s = cue.sample(5);
    let mut x = bitvec![u32, Lsb0; 0; s.n_inputs()];
    let (c, mut mem) = chip.parts();
    mem.reset_state();
    let mut critic = Critic::default();
    let mut action = 0;
    for t in 0..s.steps() {
        s.spikes(t, &mut x);
        c.step(&mut mem, &x).unwrap();
        if t + 1 == s.steps() {
            action = reward::act(c, &mut mem, &p, &mut critic, 0).unwrap().0;
        }
    }
    let r_fixed = 1i32 << c.config().formats().readout.frac();
    reward::finish(c, &mut mem, &mut critic, r_fixed).unwrap();
    let after = dequantize(&mut chip);

    let mut ac = ActorCritic::new(float_params(cfg.reward.as_ref().unwrap()), &sim);
    let xs: Vec<bool> = vec![false; s.n_inputs()];
    let mut xf = xs.clone();
    sim.reset_state();
    learner.reset_state();
    for t in 0..s.steps() {
        s.spikes(t, &mut x);
        for (a, b) in xf.iter_mut().zip(x.iter()) {
            *a = *b;
        }
        learner.step(&mut sim, &xf);
        if t + 1 == s.steps() {
            // Force the chip's action: a draw inside its probability interval.
            let pi = ac.policy(&sim);
            let draw = if action == 0 {
                pi[0] * 0.5
            } else {
                pi[0] + pi[1] * 0.5
            };
            assert_eq!(ac.act(&mut sim, &mut learner, 0.0, draw).0, action);
        }
    }
    ac.finish(&mut sim, &learner, 1.0);
    let fafter = sim.network();
    for (name, b, a, f) in [
        ("w_in", &before.w_in, &after.w_in, &fafter.w_in),
        ("w_rec", &before.w_rec, &after.w_rec, &fafter.w_rec),
        ("w_out", &before.w_out, &after.w_out, &fafter.w_out),
    ] {
        let dc: Vec<f64> = a.iter().zip(b).map(|(a, b)| a - b).collect();
        let df: Vec<f64> = f.iter().zip(b).map(|(a, b)| a - b).collect();
        let dot: f64 = dc.iter().zip(&df).map(|(x, y)| x * y).sum();
        let nc = dc.iter().map(|x| x * x).sum::<f64>().sqrt();
        let nf = df.iter().map(|x| x * x).sum::<f64>().sqrt();
        assert!(
            nf > 0.0 && nc > 0.0,
            "{name}: no change (chip {nc}, f64 {nf})"
        );
        let cos = dot / (nc * nf);
        assert!(
            cos > 0.8,
            "{name}: cosine {cos:.3} (chip |dW| {nc:.3e}, f64 {nf:.3e})"
        );
        assert!(
            (nc / nf - 1.0).abs() < 0.5,
            "{name}: |dW| chip {nc:.3e} vs f64 {nf:.3e}"
        );
    }
}

/// Float draws are in [0, 1) and depend on the seed.
#[test]
fn action_draws_depend_on_the_seed() {
    let a = ActionDraws::new(1).draw(3, 0);
    let b = ActionDraws::new(2).draw(3, 0);
    assert!((0.0..1.0).contains(&a) && a != b);
}

/// Learning works: on the short trial, the chip's success over episodes 300..400 is
/// well above its success over the first 100 (chance is 50%), on average over three
/// seeds (one seed's curve is noisy). About 10 s per seed in release.
#[test]
fn short_training_improves_success() {
    let (mut first, mut last) = (0.0, 0.0);
    let seeds = [1u64, 2, 3];
    for seed in seeds {
        let (f, l) = short_training(seed);
        eprintln!("seed {seed}: success first 100 {f:.2}, last 100 {l:.2}");
        first += f / seeds.len() as f64;
        last += l / seeds.len() as f64;
    }
    assert!(
        last >= first + 0.15 && last >= 0.75,
        "mean first {first:.2}, last {last:.2}"
    );
}

/// Success over episodes 0..100 and 300..400 of 400 training episodes of the short
/// trial under `seed`.
fn short_training(seed: u64) -> (f64, f64) {
    let mut cfg = short_cfg(seed);
    // The short trial learns faster with larger rates than the full task's.
    cfg.learning.rates.eta_in = 1e-3;
    cfg.learning.rates.eta_rec = 1e-3;
    cfg.learning.rates.eta_out = 0.1;
    cfg.learning.rates.eta_bias = 3e-5;
    cfg.train.train_samples = 400;
    cfg.train.test_samples = 0;
    let (_, mut chip) = neurochip_emu::build::chip(&cfg).unwrap();
    let app = er::app(&cfg, true).unwrap();
    let (c, mut mem) = chip.parts();
    let mut eps = Vec::new();
    let mut x = bitvec![u32, Lsb0; 0; c.config().n_in()];
    let mut sums = vec![0i64; c.config().n_out()];
    neurochip_tasks::runner::run_app(c, &mut mem, &app, &mut x, &mut sums, |ev| {
        if let neurochip_tasks::runner::Event::Episode { success, .. } = ev {
            eps.push(success);
        }
    })
    .unwrap();
    let rate = |r: std::ops::Range<usize>| {
        let n = r.len() as f64;
        eps[r].iter().filter(|&&e| e).count() as f64 / n
    };
    (rate(0..100), rate(300..400))
}

/// `neurochip experiment reward-cue --quick` writes its table, JSON and figure, and
/// the chip learns within 10 points of its twin or better (quick runs are short).
#[test]
fn quick_experiment_writes_its_run_folder() {
    use neurochip_lab::experiment::{self, Ctx};
    let tmp = neurochip_tests::temp_dir("reward-cue");
    let out = tmp.path();
    let exp = experiment::find("reward-cue").expect("registered");
    let ctx = Ctx {
        out: out.to_path_buf(),
        quick: true,
        quiet: true,
    };
    experiment::run(exp, &ctx).expect("quick run");
    for f in [
        "table.md",
        "table.csv",
        "result.json",
        "learning_curve.png",
        "learning_curve.svg",
    ] {
        assert!(out.join(f).is_file(), "{f} missing from the run folder");
    }
}

/// Navigation learns on the chip: arrivals over episodes 700..800 well above the
/// first 100 (a random walk arrives in about 55% of them). A few seconds in release.
#[test]
fn navigation_training_improves_arrivals() {
    let (eps, _) = neurochip_lab::experiment::navigation::train(800, 0, 1).unwrap();
    let rate = |r: std::ops::Range<usize>| {
        let n = r.len() as f64;
        eps[r].iter().filter(|e| e.arrived).count() as f64 / n
    };
    let (first, last) = (rate(0..100), rate(700..800));
    assert!(last >= first + 0.15, "first {first:.2}, last {last:.2}");
}

/// The cycle model prices reward learning without changing a bit: the firmware's
/// reward configuration trained through `multicore` (which has an eligibility SRAM)
/// gives the digest of the functional chip, and its learning engine is charged for the
/// actor-critic's agent steps.
#[test]
fn cycle_model_prices_reward_learning_with_the_functional_digest() {
    let cfg = config::load(&root().join("tests/firmware/reward_cue.toml")).unwrap();
    let (rep, _) = er::train_chip(&cfg, None, &|| None, |_, _| {}).unwrap();
    let arch = neurochip_emu::Arch::builtin("multicore").unwrap();
    let run = neurochip_emu::arch_run::run_arch(&cfg, &arch, None, true).unwrap();
    assert_eq!(run.digest, rep.digest);
    assert_eq!(run.success_rate, Some(rep.success_rate));
    assert!(run.cycles.cycles_per_step_by_stage.learning > 0.0);
}
