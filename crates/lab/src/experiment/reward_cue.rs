//! `neurochip experiment reward-cue`: reward-based cue accumulation, actor–critic
//! e-prop on the fixed-point chip against its f64 twin.
//!
//! Both learners start from the same network (the float twin runs on the chip's
//! dequantised weights, with the chip's effective learning rates) and see the same
//! trials (cue sample `e` in episode `e`); the chip draws its actions from its PRNG,
//! the twin from [`neurochip_tasks::reward_cue::ActionDraws`]. Success is the
//! fraction of rewarded episodes while learning (actions sampled from the policy),
//! over a sliding window of 500.

use neurochip_emu::reward::{self, window};
use neurochip_emu::HostChip;
use neurochip_ref::{Learner, Reference};
use neurochip_tasks::runner::{self, Event};
use serde_json::json;

use rayon::prelude::*;

use super::arms::{markdown, mean_std, pct_worst};
use super::{Ctx, Outcome};
use crate::plot::{self, Axes, Series};
use neurochip_emu::config::Config;

/// The chip, its float twin and the cue task of a configuration.
pub fn setup(cfg: &Config) -> Result<(HostChip, Reference, Learner), String> {
    let (_, mut chip) = neurochip_emu::build::chip(cfg).map_err(|e| e.to_string())?;
    let (sim, learner) = neurochip_emu::learn::float_twin(cfg, &mut chip);
    Ok((chip, sim, learner))
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

/// A plot of success fractions while learning (0 to 1 over the episodes), `what`
/// counted over the last `w` episodes, as the figure `name` of `ctx`.
pub fn success_plot(
    ctx: &Ctx,
    name: &str,
    title: &str,
    what: &str,
    w: usize,
    series: &[Series],
) -> Result<(), String> {
    plot::lines_y(
        &ctx.path(name),
        &Axes {
            title,
            x: "episode",
            y: &format!("{what} over the last {w} episodes (fraction)"),
        },
        series,
        0.0..1.0,
    )
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
    /// Chip: rewarded or not, per learning episode.
    pub chip: Vec<bool>,
    /// Float twin: rewarded or not.
    pub float: Vec<bool>,
    /// Digest of the chip after training.
    pub digest: u64,
}

/// Train chip and twin on the learning episodes of `cfg` (in parallel).
pub fn run_pair(cfg: &Config) -> Result<RunResult, String> {
    let (mut chip, mut sim, mut learner) = setup(cfg)?;
    let app = reward::app(cfg, true).map_err(|e| e.to_string())?;
    let mut chip_ok = Vec::new();
    let (c, f) = rayon::join(
        || {
            let (c, mut mem) = chip.parts();
            let mut x = bitvec::bitvec![u32, bitvec::order::Lsb0; 0; c.config().n_in()];
            let mut sums = vec![0i64; c.config().n_out()];
            runner::run_app(c, &mut mem, &app, &mut x, &mut sums, |ev| {
                if let Event::Episode {
                    success,
                    learn: true,
                    ..
                } = ev
                {
                    chip_ok.push(success);
                }
            })
            .map_err(|e| e.to_string())
        },
        || reward::train_float(cfg, &mut sim, &mut learner),
    );
    c?;
    Ok(RunResult {
        chip: chip_ok,
        float: f.map_err(|e| e.to_string())?,
        digest: chip.digest(),
    })
}

/// `examples/reward_cue.toml` (`arms::example`).
pub fn example() -> Result<Config, String> {
    super::arms::example("reward_cue")
}

/// Set the learning rates `[eta_in, eta_rec, eta_out, eta_bias]` of `cfg`.
pub(super) fn set_rates(cfg: &mut Config, [eta_in, eta_rec, eta_out, eta_bias]: [f64; 4]) {
    cfg.learning.rates.eta_in = eta_in;
    cfg.learning.rates.eta_rec = eta_rec;
    cfg.learning.rates.eta_out = eta_out;
    cfg.learning.rates.eta_bias = eta_bias;
}

/// Seeds of the full run.
const SEEDS: [u64; 5] = [1, 2, 3, 4, 5];

/// Run the experiment into `ctx.out`: every seed's chip and twin (the seeds in
/// parallel), a row per seed and one of mean ± sd with the worst seed.
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
        (u64::from(cfg.train.train_samples), &SEEDS)
    };
    let w = window(n);
    let results = seeds
        .par_iter()
        .map(|&seed| {
            let mut c = cfg.clone();
            c.seed = seed;
            c.train.train_samples = n as u32;
            c.train.test_samples = 0;
            run_pair(&c)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut rows = Vec::new();
    let mut series = Vec::new();
    let mut runs = Vec::new();
    let (mut chips, mut twins, mut gaps) = (Vec::new(), Vec::new(), Vec::new());
    for (i, (&seed, r)) in seeds.iter().zip(&results).enumerate() {
        let (sc, sf) = (
            reward::success_rate(&r.chip, w),
            reward::success_rate(&r.float, w),
        );
        chips.push(sc);
        twins.push(sf);
        gaps.push(sc - sf);
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
                points(&sliding(&r.chip, w), every),
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
    if seeds.len() > 1 {
        let (g, gsd) = mean_std(&gaps);
        rows.push(vec![
            format!("{} seeds", seeds.len()),
            n.to_string(),
            pct_worst(&chips),
            pct_worst(&twins),
            format!("{:+.1} ± {:.1}", 100.0 * g, 100.0 * gsd),
            String::new(),
        ]);
    }
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
    success_plot(
        ctx,
        "learning_curve",
        "Reward-based cue accumulation: success while learning",
        "success",
        w,
        &series,
    )?;
    Ok(Outcome {
        table: markdown(&header, &rows),
        json: json!({ "reward": cfg.reward, "runs": runs }),
    })
}
