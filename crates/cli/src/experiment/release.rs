//! `neurochip experiment release`: stochastic synaptic release. Cue accumulation and
//! digits learned on the fixed-point chip with every input and recurrent synapse
//! releasing with probability p = 1.0, 0.75, 0.5 and 0.25 (`network.release_in` and
//! `network.release_rec`; the comparator of `neurochip_core::release`).
//!
//! Every arm trains the example configuration with the same budget and seeds; only the
//! release probability changes. Nothing else is rescaled: at p < 1 a neuron receives
//! on average p times the synaptic input, and e-prop has to learn through that (the
//! weights may grow to make up for it).

use serde_json::json;

use super::arms::{self, Budget, Job};
use super::{Ctx, Outcome};
use crate::plot::{self, Axes, Series};

/// Release probabilities compared.
const PS: [f64; 4] = [1.0, 0.75, 0.5, 0.25];

/// (task label, example, full budget, quick budget).
const TASKS: [(&str, &str, Budget, Budget); 2] = [
    (
        "cue",
        "cue",
        Budget {
            epochs: 2,
            train_samples: 300,
            test_samples: 200,
        },
        Budget {
            epochs: 1,
            train_samples: 8,
            test_samples: 8,
        },
    ),
    (
        "digits",
        "digits",
        Budget {
            epochs: 2,
            train_samples: 1297,
            test_samples: 500,
        },
        Budget {
            epochs: 1,
            train_samples: 20,
            test_samples: 20,
        },
    ),
];

fn arm(p: f64) -> String {
    format!("p = {p}")
}

/// Run the sweep into `ctx.out`.
pub fn run(ctx: &Ctx) -> Result<Outcome, String> {
    let seeds: &[u64] = if ctx.quick { &[1] } else { &[1, 2] };
    let ps: &[f64] = if ctx.quick { &[1.0, 0.5] } else { &PS };
    let mut jobs = Vec::new();
    for (task, example, full, quick) in TASKS {
        let base = arms::example(example)?;
        for &p in ps {
            for &seed in seeds {
                let mut cfg = base.clone();
                if ctx.quick { quick } else { full }.apply(&mut cfg);
                cfg.seed = seed;
                cfg.network.release_in = p;
                cfg.network.release_rec = p;
                jobs.push(Job {
                    arm: arm(p),
                    task: task.into(),
                    seed,
                    cfg,
                });
            }
        }
    }
    let done = arms::train_all(jobs)?;

    let header = [
        "task",
        "release p",
        "seeds",
        "test accuracy % (mean ± std)",
        "activity (spikes / neuron-step)",
    ];
    let mut rows = Vec::new();
    let mut csv_rows = Vec::new();
    let mut json_rows = Vec::new();
    let mut series = Vec::new();
    for (task, ..) in TASKS {
        let mut points = Vec::new();
        for &p in ps {
            let runs = arms::of(&done, &arm(p), task);
            let acc: Vec<f64> = runs.iter().map(|d| d.report.test_accuracy).collect();
            let act: Vec<f64> = runs.iter().map(|d| d.report.activity).collect();
            let (m, s) = arms::mean_std(&acc);
            let (am, asd) = arms::mean_std(&act);
            rows.push(vec![
                task.to_string(),
                format!("{p}"),
                runs.len().to_string(),
                arms::pct(m, s),
                format!("{am:.4} ± {asd:.4}"),
            ]);
            points.push((p, 100.0 * m));
            for d in &runs {
                csv_rows.push(vec![
                    task.to_string(),
                    format!("{p}"),
                    d.job.seed.to_string(),
                    format!("{:.4}", d.report.test_accuracy),
                    format!("{:.5}", d.report.activity),
                    d.report.digest.clone(),
                ]);
                json_rows.push(json!({
                    "task": task, "release_p": p, "seed": d.job.seed,
                    "test_accuracy": d.report.test_accuracy,
                    "test_loss": d.report.test_loss,
                    "activity": d.report.activity,
                    "digest": d.report.digest,
                    "epochs": d.report.epochs,
                }));
            }
        }
        series.push(Series::new(format!("{task} (chip, mean of seeds)"), points));
    }
    super::write(
        &ctx.path("table.csv"),
        arms::csv(
            &[
                "task",
                "release_p",
                "seed",
                "test_accuracy",
                "activity",
                "digest",
            ],
            &csv_rows,
        )
        .as_bytes(),
    )?;
    plot::lines_y(
        &ctx.path("accuracy"),
        &Axes {
            title: "Accuracy against synaptic release probability",
            x: "release probability p (input and recurrent synapses)",
            y: "test accuracy (%)",
        },
        &series,
        0.0..100.0,
    )?;
    let budgets: Vec<_> = TASKS
        .iter()
        .map(|(t, _, f, q)| json!({"task": t, "budget": if ctx.quick { q } else { f }}))
        .collect();
    Ok(Outcome {
        table: arms::markdown(&header, &rows),
        json: json!({ "quick": ctx.quick, "seeds": seeds, "budgets": budgets, "runs": json_rows }),
    })
}
