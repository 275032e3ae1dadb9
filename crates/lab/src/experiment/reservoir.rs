//! `neurochip experiment reservoir`: reservoir (liquid-state machine) mode against
//! full e-prop on cue accumulation and digits.
//!
//! Both arms train the same network (same configuration and seeds) with the same
//! budget; the reservoir arm sets `learning.learn_hidden = false`, so input and
//! recurrent weights stay as initialised and only the readout learns on the chip.

use serde_json::json;

use super::arms::{self, TaskPlan};
use super::{Ctx, Outcome};
use crate::plot::{self, Axes, BarGroup, Series};

const ARMS: [(&str, bool); 2] = [("full e-prop", true), ("reservoir", false)];

/// Cue and digits at the budgets `reservoir` and `dale` share (so `dale`'s no-Dale arm
/// is `reservoir`'s full e-prop arm, bit for bit).
const TASKS: [TaskPlan; 2] = arms::CUE_DIGITS;

/// Run the comparison into `ctx.out`.
pub fn run(ctx: &Ctx) -> Result<Outcome, String> {
    let seeds: &[u64] = if ctx.quick { &[1] } else { &[1, 2, 3, 4, 5] };
    let jobs = arms::grid(&TASKS, &ARMS, seeds, ctx.quick, |cfg, learn| {
        cfg.learning.learn_hidden = learn
    })?;
    let done = arms::train_all(jobs)?;

    let header = arms::summary_header("arm", &["chance %"]);
    let mut rows = Vec::new();
    let mut csv_rows = Vec::new();
    let mut groups: Vec<BarGroup> = Vec::new();
    let mut curves = Vec::new();
    let mut json_rows = Vec::new();
    let categories: Vec<String> = TASKS.iter().map(|t| t.0.to_string()).collect();
    for (ai, (arm, _)) in ARMS.iter().enumerate() {
        let mut values = Vec::new();
        let mut errors = Vec::new();
        for (task, ..) in TASKS {
            let runs = arms::of(&done, arm, task);
            let ((m, s), (am, _)) = arms::accuracy_activity(&runs);
            let chance = runs
                .first()
                .map_or(f64::NAN, |d| 1.0 / f64::from(d.job.cfg.network.outputs));
            rows.push(vec![
                task.to_string(),
                arm.to_string(),
                runs.len().to_string(),
                arms::pct(m, s),
                format!("{am:.4}"),
                format!("{:.0}", 100.0 * chance),
            ]);
            for d in &runs {
                let mut cells = arms::run_cells(task, arm, d);
                cells.push(format!("{:.4}", d.report.test_loss));
                cells.push(format!("{:.5}", d.report.activity));
                csv_rows.push(cells);
                json_rows.push(arms::json_row(
                    json!({ "task": task, "arm": arm, "seed": d.job.seed }),
                    &d.report,
                    json!({ "epochs": d.report.epochs, "digest": d.report.digest }),
                ));
            }
            values.push(100.0 * m);
            errors.push(100.0 * s);
            let pts: Vec<(f64, f64)> = arms::mean_curve(&runs)
                .into_iter()
                .map(|(e, a)| (e, 100.0 * a))
                .collect();
            let label = format!("{task}, {arm}");
            curves.push(if ai == 0 {
                Series::new(label, pts)
                    .colour(categories.iter().position(|c| c == task).unwrap_or(0))
            } else {
                Series::dashed(label, pts)
                    .colour(categories.iter().position(|c| c == task).unwrap_or(0))
            });
        }
        groups.push(BarGroup::with_errors(*arm, values, errors));
    }
    arms::task_major(&mut rows);
    let table = arms::markdown(&header, &rows);
    let csv_header = arms::run_header("arm", &["test_loss", "activity"]);
    ctx.write_csv("table.csv", &csv_header, &csv_rows)?;
    arms::accuracy_bars(
        ctx,
        "Reservoir (readout only) against full e-prop, same network and budget",
        &categories,
        &groups,
    )?;
    plot::lines(
        &ctx.path("curves"),
        &Axes {
            title: "Learning curves (solid: full e-prop, dashed: reservoir)",
            x: "epoch",
            y: "test accuracy (%), mean over seeds",
        },
        &curves,
    )?;
    let budgets = arms::budgets(&TASKS, ctx.quick);
    Ok(Outcome {
        table,
        json: json!({ "quick": ctx.quick, "seeds": seeds, "budgets": budgets, "runs": json_rows }),
    })
}
