//! `neurochip experiment navigation`: delayed-reward navigation
//! ([`neurochip_tasks::navigation`]) learned on the chip with actor–critic e-prop
//! ([`neurochip_core::reward`]): success rate and moves against the shortest path.
//!
//! The network is `examples/reward_cue.toml`'s with 50 inputs (place cells of the
//! agent and of the goal on a 5 x 5 arena), 5 readouts (4 moves and the value), a
//! 20 ms membrane and the rates below; one move every 20 steps, at most 30 moves.

use fixed::types::U1F15;
use neurochip_core::reward::RewardParams;
use neurochip_tasks::navigation::{self, NavConfig, NavResult, N_ACTIONS};
use serde_json::json;

use rayon::prelude::*;

use super::arms::{markdown, mean_std, pct_worst};
use super::reward_cue::{example, set_rates, sliding, success_plot};
use super::{Ctx, Outcome};
use crate::plot::Series;

/// Discount per move.
pub const GAMMA: f64 = 0.9;
/// Weight of the value loss.
pub const C_V: f64 = 0.5;

/// The chip's actor–critic parameters.
pub fn params() -> RewardParams {
    RewardParams {
        n_actions: N_ACTIONS,
        gamma: U1F15::saturating_from_num(GAMMA).to_bits(),
        c_v: U1F15::saturating_from_num(C_V).to_bits(),
    }
}

/// Episode ids of the greedy test after training: the test seed range.
use neurochip_tasks::sample::TEST_SEED_BASE as TEST_BASE;

/// Train the chip for `n` episodes, then test the greedy policy on `tests` new
/// episodes; returns both lists of results.
pub fn train(n: u64, tests: u64, seed: u64) -> Result<(Vec<NavResult>, Vec<NavResult>), String> {
    let mut cfg = example()?;
    let task = NavConfig {
        seed,
        ..NavConfig::default()
    };
    task.check().map_err(|e| e.to_string())?;
    cfg.seed = seed;
    cfg.network.inputs = task.n_inputs() as u32;
    cfg.network.outputs = (N_ACTIONS + 1) as u32;
    cfg.network.tau_m_ms = 20.0;
    cfg.network.tau_out_ms = 20.0;
    set_rates(&mut cfg, [1e-3, 1e-3, 0.05, 1e-5]);
    let (_, mut chip) = neurochip_emu::build::chip(&cfg).map_err(|e| e.to_string())?;
    let p = params();
    neurochip_core::reward::check(chip.config(), &p).map_err(|e| e.to_string())?;
    let mut x = bitvec::bitvec![u32, bitvec::order::Lsb0; 0; task.n_inputs()];
    let (c, mut mem) = chip.parts();
    let train = (0..n)
        .map(|e| {
            navigation::run_episode(c, &mut mem, &task, &p, e, &mut x, true)
                .map_err(|e| e.to_string())
        })
        .collect::<Result<Vec<_>, _>>()?;
    let test = (0..tests)
        .map(|e| {
            navigation::run_episode(c, &mut mem, &task, &p, TEST_BASE + e, &mut x, false)
                .map_err(|e| e.to_string())
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((train, test))
}

/// Success and moves against the shortest path of some episodes: the fraction that
/// arrived, and the moves of the arrivals over their shortest paths (NaN if none).
fn score(eps: &[NavResult]) -> (f64, f64) {
    let arrived: Vec<&NavResult> = eps.iter().filter(|r| r.arrived).collect();
    let success = arrived.len() as f64 / eps.len().max(1) as f64;
    let ratio = if arrived.is_empty() {
        f64::NAN
    } else {
        arrived.iter().map(|r| f64::from(r.moves)).sum::<f64>()
            / arrived.iter().map(|r| f64::from(r.shortest)).sum::<f64>()
    };
    (success, ratio)
}

/// Seeds of the full run.
const SEEDS: [u64; 5] = [1, 2, 3, 4, 5];

/// Run the experiment into `ctx.out`: every seed (in parallel) trained, then its
/// greedy policy tested; a row per seed and one of mean ± sd with the worst seed.
pub fn run(ctx: &Ctx) -> Result<Outcome, String> {
    let n: u64 = if ctx.quick { 200 } else { 3000 };
    let w = neurochip_emu::reward::window(n);
    let tests = if ctx.quick { 50 } else { 500 };
    let seeds: &[u64] = if ctx.quick { &[1] } else { &SEEDS };
    let results = seeds
        .par_iter()
        .map(|&seed| train(n, tests, seed))
        .collect::<Result<Vec<_>, _>>()?;
    let every = (n as usize / 200).max(1);
    let (mut rows, mut series, mut runs) = (Vec::new(), Vec::new(), Vec::new());
    let mut cols: [Vec<f64>; 4] = Default::default();
    for (i, (&seed, (res, test))) in seeds.iter().zip(&results).enumerate() {
        let ok: Vec<bool> = res.iter().map(|r| r.arrived).collect();
        let (success, ratio) = score(&res[res.len().saturating_sub(w)..]);
        let (t_success, t_ratio) = score(test);
        for (c, v) in cols.iter_mut().zip([success, ratio, t_success, t_ratio]) {
            c.push(v);
        }
        rows.push(vec![
            seed.to_string(),
            format!("{:.1}", 100.0 * success),
            format!("{ratio:.2}"),
            format!("{:.1}", 100.0 * t_success),
            format!("{t_ratio:.2}"),
        ]);
        let pts: Vec<(f64, f64)> = sliding(&ok, w)
            .iter()
            .enumerate()
            .filter(|(i, _)| (i + 1) % every == 0)
            .map(|(i, &v)| ((i + 1) as f64, v))
            .collect();
        series.push(Series::new(format!("chip, seed {seed}"), pts).colour(i));
        runs.push(json!({ "seed": seed, "episodes": n, "window": w, "success": success,
            "moves_over_shortest": ratio,
            "greedy": { "episodes": tests, "success": t_success, "moves_over_shortest": t_ratio } }));
    }
    if seeds.len() > 1 {
        // Moves over the shortest path: the worst is the highest.
        let ratio_cell = |v: &[f64]| {
            let (m, sd) = mean_std(v);
            let worst = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            format!("{m:.2} ± {sd:.2} (worst {worst:.2})")
        };
        rows.push(vec![
            format!("{} seeds", seeds.len()),
            pct_worst(&cols[0]),
            ratio_cell(&cols[1]),
            pct_worst(&cols[2]),
            ratio_cell(&cols[3]),
        ]);
    }
    success_plot(
        ctx,
        "success",
        "Navigation on the chip: arrivals while learning",
        "arrivals",
        w,
        &series,
    )?;
    let sampled = format!("sampled success, last {w} of {n} (%)");
    let greedy = format!("greedy success, {tests} new episodes (%)");
    let header = [
        "seed",
        sampled.as_str(),
        "moves / shortest path (sampled)",
        greedy.as_str(),
        "moves / shortest path (greedy)",
    ];
    ctx.write_csv("table.csv", &header, &rows)?;
    Ok(Outcome {
        table: markdown(&header, &rows),
        json: json!({ "episodes": n, "window": w, "runs": runs }),
    })
}
