//! `neurochip experiment heterogeneity`: homogeneous against heterogeneous membrane
//! time constants on cue accumulation and digits, five seeds each.
//!
//! Every arm trains the same configuration with the same budget; the heterogeneous
//! arms draw each neuron's `tau_m` as `tau_m_ms * f`, with `f` of mean 1 from
//! `network.spread_dist` (log-normal, or uniform on `[1 - s, 1 + s]`). The chip holds
//! the per-neuron decays; thresholds stay homogeneous.
//!
//! Each heterogeneous distribution runs twice: with the drawn time constants and one
//! shared presynaptic trace decay (the mean `alpha`: biased e-prop, the chip before
//! issue 17), and with the time constants put on 8 log-spaced classes
//! (`learning.tau_classes = 8`) so the chip's learning circuits compute exact e-prop
//! (`neurochip_core::classes`).

use serde_json::json;

use super::arms::{self, Budget, TaskPlan};
use super::{Ctx, Outcome};
use crate::plot::BarGroup;
use neurochip_emu::config::SpreadDist;

/// (arm label, distribution, spread of tau_m, decay classes).
const ARMS: [(&str, SpreadDist, f64, Option<u32>); 5] = [
    ("homogeneous", SpreadDist::Lognormal, 0.0, None),
    (
        "log-normal s=0.5, shared trace",
        SpreadDist::Lognormal,
        0.5,
        None,
    ),
    (
        "log-normal s=0.5, 8 classes",
        SpreadDist::Lognormal,
        0.5,
        Some(8),
    ),
    (
        "uniform s=0.5, shared trace",
        SpreadDist::Uniform,
        0.5,
        None,
    ),
    (
        "uniform s=0.5, 8 classes",
        SpreadDist::Uniform,
        0.5,
        Some(8),
    ),
];

/// Cue and digits, (full, quick) budgets.
const TASKS: [TaskPlan; 2] = arms::cue_digits(
    (Budget::new(2, 250, 150), Budget::new(1, 4, 4)),
    (Budget::new(2, 400, 200), Budget::new(1, 8, 8)),
);

/// Run the comparison into `ctx.out`.
pub fn run(ctx: &Ctx) -> Result<Outcome, String> {
    let seeds: &[u64] = if ctx.quick { &[1] } else { &[1, 2, 3, 4, 5] };
    let jobs = arms::grid(
        &TASKS,
        &ARMS.map(|(a, d, s, c)| (a, (d, s, c))),
        seeds,
        ctx.quick,
        |cfg, (dist, spread, classes)| {
            cfg.network.spread_dist = dist;
            cfg.network.tau_m_spread = spread;
            cfg.learning.tau_classes = classes;
        },
    )?;
    let done = arms::train_all(jobs)?;

    let header = arms::summary_header("tau_m", &[]);
    let mut rows = Vec::new();
    let mut csv_rows = Vec::new();
    let mut groups = Vec::new();
    let mut json_rows = Vec::new();
    let categories: Vec<String> = TASKS.iter().map(|t| t.0.to_string()).collect();
    for (arm, dist, spread, classes) in ARMS {
        let mut values = Vec::new();
        let mut errors = Vec::new();
        for (task, ..) in TASKS {
            let runs = arms::of(&done, arm, task);
            let (row, (m, s), _) = arms::summary_row(task, arm, &runs);
            rows.push(row);
            for d in &runs {
                csv_rows.push(vec![
                    task.to_string(),
                    arm.to_string(),
                    format!("{dist:?}").to_lowercase(),
                    format!("{spread}"),
                    classes.map_or("shared".into(), |c| c.to_string()),
                    d.job.seed.to_string(),
                    format!("{:.4}", d.report.test_accuracy),
                    format!("{:.5}", d.report.activity),
                ]);
                json_rows.push(arms::json_row(
                    json!({
                        "task": task, "arm": arm, "spread_dist": format!("{dist:?}").to_lowercase(),
                        "tau_m_spread": spread, "tau_classes": classes, "seed": d.job.seed,
                    }),
                    &d.report,
                    json!({ "epochs": d.report.epochs }),
                ));
            }
            values.push(100.0 * m);
            errors.push(100.0 * s);
        }
        groups.push(BarGroup::with_errors(arm, values, errors));
    }
    arms::task_major(&mut rows);
    ctx.write_csv(
        "table.csv",
        &[
            "task",
            "arm",
            "spread_dist",
            "tau_m_spread",
            "tau_classes",
            "seed",
            "test_accuracy",
            "activity",
        ],
        &csv_rows,
    )?;
    arms::accuracy_bars(
        ctx,
        "Homogeneous against heterogeneous tau_m",
        &categories,
        &groups,
    )?;
    let budgets = arms::budgets(&TASKS, ctx.quick);
    Ok(Outcome {
        table: arms::markdown(&header, &rows),
        json: json!({ "quick": ctx.quick, "seeds": seeds, "budgets": budgets, "runs": json_rows }),
    })
}
