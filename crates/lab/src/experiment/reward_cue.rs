//! `neurochip experiment reward-cue`: reward-based cue accumulation, actor–critic
//! e-prop on the fixed-point chip against its f64 twin.
//!
//! Both learners start from the same network (the float twin runs on the chip's
//! dequantised weights, with the chip's effective learning rates) and see the same
//! trials (cue sample `e` in episode `e`); the chip draws its actions from its PRNG,
//! the twin from [`ActionDraws`]. Success is the fraction of rewarded episodes while
//! learning (actions sampled from the policy), over a sliding window of 500.

use neurochip_core::reward::RewardParams;
use neurochip_emu::HostChip;
use neurochip_ref::reward::{ActorCritic, RewardParams as FParams};
use neurochip_ref::{Learner, Reference};
use neurochip_tasks::reward_cue::{self, ActionDraws, Episode};
use neurochip_tasks::CueConfig;
use serde_json::json;

use super::arms::markdown;
use super::{Ctx, Outcome};
use crate::plot::{self, Axes, Series};
use neurochip_emu::config::Config;
use neurochip_emu::task::Task;

/// Discount per agent step.
pub const GAMMA: f64 = 0.9;
/// Weight of the value loss.
pub const C_V: f64 = 0.5;
/// Success is measured over this many last episodes.
pub const WINDOW: usize = 500;

/// The success window of a run of `n` episodes: [`WINDOW`], or a third of a short run.
pub fn window(n: u64) -> usize {
    WINDOW.min((n as usize / 3).max(1))
}

/// The chip's actor–critic parameters.
pub fn params() -> RewardParams {
    RewardParams {
        n_actions: 2,
        gamma: (GAMMA * 32768.0).round() as u16,
        c_v: (C_V * 32768.0).round() as u16,
    }
}

/// The float twin's actor–critic parameters (the chip's, dequantised).
pub fn float_params() -> FParams {
    let p = params();
    FParams {
        n_actions: p.n_actions,
        gamma: f64::from(p.gamma) / 32768.0,
        c_v: f64::from(p.c_v) / 32768.0,
    }
}

/// The chip, its float twin and the cue task of a configuration.
pub fn setup(cfg: &Config) -> Result<(HostChip, Reference, Learner, CueConfig), String> {
    let (_, mut chip) = neurochip_emu::build::chip(cfg).map_err(|e| e.to_string())?;
    neurochip_core::reward::check(chip.config(), &params())
        .map_err(|e| format!("{}: {e}", cfg.origin))?;
    let cue = match neurochip_emu::build::task(cfg).map_err(|e| e.to_string())? {
        Task::Cue(c) => c,
        _ => return Err(format!("{}: task.kind must be \"cue\"", cfg.origin)),
    };
    let (sim, learner) = neurochip_emu::learn::float_twin(cfg, &mut chip);
    Ok((chip, sim, learner, cue))
}

/// Train the chip for `n` episodes (episode ids `0..n`).
pub fn train_chip(chip: &mut HostChip, cue: &CueConfig, n: u64) -> Result<Vec<Episode>, String> {
    let p = params();
    let mut x = bitvec::bitvec![u32, bitvec::order::Lsb0; 0; cue.sample(0).n_inputs()];
    let (c, mut mem) = chip.parts();
    (0..n)
        .map(|e| {
            reward_cue::run_episode(c, &mut mem, cue, &p, e, &mut x, true)
                .map_err(|e| e.to_string())
        })
        .collect()
}

/// Train the float twin on the same episodes; returns whether each was rewarded.
pub fn train_float(
    sim: &mut Reference,
    learner: &mut Learner,
    cue: &CueConfig,
    n: u64,
    seed: u64,
) -> Vec<bool> {
    let mut ac = ActorCritic::new(float_params(), sim);
    let draws = ActionDraws::new(seed);
    let n_in = cue.sample(0).n_inputs();
    let mut bits = bitvec::bitvec![u32, bitvec::order::Lsb0; 0; n_in];
    let mut x = vec![false; n_in];
    (0..n)
        .map(|e| {
            let s = cue.sample(e);
            sim.reset_state();
            learner.reset_state();
            let steps = s.steps();
            let mut action = 0;
            for t in 0..steps {
                s.spikes(t, &mut bits);
                for (xi, b) in x.iter_mut().zip(bits.iter()) {
                    *xi = *b;
                }
                learner.step(sim, &x);
                if t + 1 == steps {
                    action = ac.act(sim, learner, 0.0, draws.draw(e, 0)).0;
                }
            }
            let ok = action == usize::from(s.label());
            ac.finish(sim, learner, if ok { 1.0 } else { 0.0 });
            ok
        })
        .collect()
}

/// Success over the last `w` episodes after each episode (shorter at the start).
pub fn sliding(ok: &[bool], w: usize) -> Vec<f64> {
    let mut out = Vec::with_capacity(ok.len());
    let mut sum = 0usize;
    for i in 0..ok.len() {
        sum += usize::from(ok[i]);
        if i >= w {
            sum -= usize::from(ok[i - w]);
        }
        out.push(sum as f64 / (i + 1).min(w) as f64);
    }
    out
}

/// The curve as plot points, every `every` episodes.
fn points(curve: &[f64], every: usize) -> Vec<(f64, f64)> {
    curve
        .iter()
        .enumerate()
        .filter(|(i, _)| (i + 1) % every == 0 || i + 1 == curve.len())
        .map(|(i, &v)| ((i + 1) as f64, v))
        .collect()
}

/// What one run produced.
pub struct RunResult {
    /// Chip episodes.
    pub chip: Vec<Episode>,
    /// Float twin: rewarded or not.
    pub float: Vec<bool>,
    /// Digest of the chip after training.
    pub digest: u64,
}

/// Train chip and twin on `n` episodes of `cfg` (in parallel).
pub fn run_pair(cfg: &Config, n: u64) -> Result<RunResult, String> {
    let (mut chip, mut sim, mut learner, cue) = setup(cfg)?;
    let seed = cfg.seed;
    let (c, f) = rayon::join(
        || train_chip(&mut chip, &cue, n),
        || train_float(&mut sim, &mut learner, &cue, n, seed),
    );
    let chip_eps = c?;
    Ok(RunResult {
        chip: chip_eps,
        float: f,
        digest: chip.digest(),
    })
}

/// `examples/reward_cue.toml` ([`super::arms::example`]).
pub fn example() -> Result<Config, String> {
    super::arms::example("reward_cue")
}

/// Set the learning rates `[eta_in, eta_rec, eta_out, eta_bias]` of `cfg`.
pub(super) fn set_rates(cfg: &mut Config, [eta_in, eta_rec, eta_out, eta_bias]: [f64; 4]) {
    cfg.learning.eta_in = eta_in;
    cfg.learning.eta_rec = eta_rec;
    cfg.learning.eta_out = eta_out;
    cfg.learning.eta_bias = eta_bias;
}

/// Run the experiment into `ctx.out`.
pub fn run(ctx: &Ctx) -> Result<Outcome, String> {
    let mut cfg = example()?;
    let (n, seeds): (u64, &[u64]) = if ctx.quick {
        // A shorter trial (3 cues, short delay) so the quick run stays small.
        cfg.task.n_cues = 3;
        cfg.task.delay_ms = 200;
        // and the larger rates that the short trial learns with in 300 episodes.
        set_rates(&mut cfg, [1e-3, 1e-3, 0.1, 3e-5]);
        (300, &[1])
    } else {
        (u64::from(cfg.train.train_samples), &[1])
    };
    let mut rows = Vec::new();
    let mut series = Vec::new();
    let mut runs = Vec::new();
    for (i, &seed) in seeds.iter().enumerate() {
        let mut c = cfg.clone();
        c.seed = seed;
        let r = run_pair(&c, n)?;
        let chip_ok: Vec<bool> = r.chip.iter().map(Episode::success).collect();
        let w = window(n);
        let last = |v: &[bool]| v[v.len() - w..].iter().filter(|&&b| b).count() as f64 / w as f64;
        let (sc, sf) = (last(&chip_ok), last(&r.float));
        rows.push(vec![
            seed.to_string(),
            n.to_string(),
            format!("{:.1}", 100.0 * sc),
            format!("{:.1}", 100.0 * sf),
            format!("{:+.1}", 100.0 * (sc - sf)),
            format!("{:016x}", r.digest),
        ]);
        let every = (n as usize / 200).max(1);
        series.push(
            Series::new(
                format!("chip, seed {seed}"),
                points(&sliding(&chip_ok, w), every),
            )
            .colour(i),
        );
        series.push(
            Series::dashed(
                format!("f64 twin, seed {seed}"),
                points(&sliding(&r.float, w), every),
            )
            .colour(i),
        );
        runs.push(json!({
            "seed": seed, "episodes": n, "window": w,
            "chip_success": sc, "float_success": sf, "digest": format!("{:016x}", r.digest),
        }));
    }
    let w = window(n);
    let (hc, hf) = (
        format!("chip success, last {w} (%)"),
        format!("f64 twin success, last {w} (%)"),
    );
    let header = [
        "seed",
        "episodes",
        hc.as_str(),
        hf.as_str(),
        "chip - twin (points)",
        "chip digest",
    ];
    ctx.write_csv("table.csv", &header, &rows)?;
    plot::lines_y(
        &ctx.path("learning_curve"),
        &Axes {
            title: "Reward-based cue accumulation: success while learning",
            x: "episode",
            y: &format!("success over the last {w} episodes (fraction)"),
        },
        &series,
        0.0..1.0,
    )?;
    Ok(Outcome {
        table: markdown(&header, &rows),
        json: json!({ "gamma": GAMMA, "c_v": C_V, "runs": runs }),
    })
}
