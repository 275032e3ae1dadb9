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

/// Run the experiment into `ctx.out`.
pub fn run(ctx: &Ctx) -> Result<Outcome, String> {
    let n: u64 = if ctx.quick { 200 } else { 3000 };
    let w = neurochip_emu::reward::window(n);
    let tests = if ctx.quick { 50 } else { 500 };
    let (res, test) = train(n, tests, 1)?;
    let t_success = test.iter().filter(|r| r.arrived).count() as f64 / tests as f64;
    let t_arr: Vec<&NavResult> = test.iter().filter(|r| r.arrived).collect();
    let t_ratio = t_arr.iter().map(|r| f64::from(r.moves)).sum::<f64>()
        / t_arr.iter().map(|r| f64::from(r.shortest)).sum::<f64>();
    let ok: Vec<bool> = res.iter().map(|r| r.arrived).collect();
    let last = &res[res.len() - w..];
    let success = last.iter().filter(|r| r.arrived).count() as f64 / w as f64;
    let arrived: Vec<&NavResult> = last.iter().filter(|r| r.arrived).collect();
    let ratio = if arrived.is_empty() {
        f64::NAN
    } else {
        arrived.iter().map(|r| f64::from(r.moves)).sum::<f64>()
            / arrived.iter().map(|r| f64::from(r.shortest)).sum::<f64>()
    };
    let every = (n as usize / 200).max(1);
    let pts: Vec<(f64, f64)> = sliding(&ok, w)
        .iter()
        .enumerate()
        .filter(|(i, _)| (i + 1) % every == 0)
        .map(|(i, &v)| ((i + 1) as f64, v))
        .collect();
    success_plot(
        ctx,
        "success",
        "Navigation on the chip: arrivals while learning",
        "arrivals",
        w,
        &[Series::new("chip, seed 1", pts)],
    )?;
    let header =
        "| policy | episodes | success (%) | moves / shortest path (arrivals) |\n|---|---|---|---|\n";
    let table = format!(
        "{header}| sampled, while learning (last {w}) | {n} | {:.1} | {:.2} |\n| greedy, after training ({tests} new episodes) | {tests} | {:.1} | {:.2} |\n",
        100.0 * success,
        ratio,
        100.0 * t_success,
        t_ratio
    );
    ctx.write_csv(
        "table.csv",
        &["policy", "episodes", "success", "moves_over_shortest"],
        &[
            vec![
                "sampled".into(),
                n.to_string(),
                success.to_string(),
                ratio.to_string(),
            ],
            vec![
                "greedy".into(),
                tests.to_string(),
                t_success.to_string(),
                t_ratio.to_string(),
            ],
        ],
    )?;
    Ok(Outcome {
        table,
        json: json!({ "episodes": n, "window": w, "success": success, "moves_over_shortest": ratio,
            "greedy": { "episodes": tests, "success": t_success, "moves_over_shortest": t_ratio } }),
    })
}
