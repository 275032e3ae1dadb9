//! `neurochip experiment release`: stochastic synaptic release. Cue accumulation and
//! digits learned on the fixed-point chip with every input and recurrent synapse
//! releasing with probability p = 1.0, 0.75, 0.5 and 0.25 (`network.release_in` and
//! `network.release_rec`; the comparator of `neurochip_core::release`).
//!
//! Every arm trains the example configuration with the same budget and seeds; only the
//! release probability changes. Nothing else is rescaled: at p < 1 a neuron receives
//! on average p times the synaptic input, and e-prop has to learn through that (the
//! weights may grow to make up for it).
//!
//! Each trained chip then runs its test samples once more through the cycle model of
//! the `multicore` architecture, for the synaptic operations and energy of an
//! inference: a failed release accumulates nothing, so it costs no SOP energy.

use neurochip_emu::Arch;
use rayon::prelude::*;
use serde_json::json;

use super::arms::{self, Budget, Done, Job, TaskPlan};
use super::{Ctx, Outcome};
use crate::plot::{self, Axes, Series};
use neurochip_emu::train::{self, ChipModel};
use neurochip_emu::{arch_run as cycles, build};

/// The architecture whose cycle model prices an inference.
const ARCH: &str = "multicore";

/// Synaptic operations per step and energy per inference (nJ) of a trained chip on
/// its test samples, on [`ARCH`].
fn inference_cost(d: &Done) -> Result<(f64, f64), String> {
    let cfg = &d.job.cfg;
    let arch = Arch::builtin(ARCH).ok_or_else(|| format!("no architecture `{ARCH}`"))?;
    let task = build::task(cfg).map_err(|e| e.to_string())?;
    let mut chip = d.chip.clone();
    let cm = cycles::model(cfg, &arch, &mut chip).map_err(|e| e.to_string())?;
    let mut model = ChipModel::new(chip, task.n_inputs());
    model.cycles = vec![cm];
    train::test(&mut model, &task, cfg.train.test_samples as usize);
    let r = model
        .cycles
        .first_mut()
        .map(|m| {
            m.finish();
            m.report()
        })
        .ok_or("no cycle model")?;
    Ok((
        r.synaptic_operations.effective_acs,
        r.energy_per_inference_nj.unwrap_or(f64::NAN),
    ))
}

/// Release probabilities compared.
const PS: [f64; 4] = [1.0, 0.75, 0.5, 0.25];

/// Cue and digits, (full, quick) budgets.
const TASKS: [TaskPlan; 2] = arms::cue_digits(
    (Budget::new(2, 300, 200), Budget::new(1, 8, 8)),
    (Budget::new(2, 1297, 500), Budget::new(1, 20, 20)),
);

fn arm(p: f64) -> String {
    format!("p = {p}")
}

/// Run the sweep into `ctx.out`.
pub fn run(ctx: &Ctx) -> Result<Outcome, String> {
    let seeds: &[u64] = if ctx.quick { &[1] } else { &[1, 2, 3, 4, 5] };
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
    let costs: Vec<(f64, f64)> = done
        .par_iter()
        .map(inference_cost)
        .collect::<Result<_, _>>()?;
    let cost_of = |d: &Done| {
        arms::position(&done, d)
            .and_then(|i| costs.get(i).copied())
            .unwrap_or((f64::NAN, f64::NAN))
    };

    let header = arms::summary_header(
        "release p",
        &[
            "synaptic operations / step (multicore)",
            "energy / inference nJ (multicore)",
        ],
    );
    let mut rows = Vec::new();
    let mut csv_rows = Vec::new();
    let mut json_rows = Vec::new();
    let mut series = Vec::new();
    for (task, ..) in TASKS {
        let mut points = Vec::new();
        for &p in ps {
            let runs = arms::of(&done, &arm(p), task);
            let (mut row, (m, _), _) = arms::summary_row(task, &format!("{p}"), &runs);
            let sops: Vec<f64> = runs.iter().map(|d| cost_of(d).0).collect();
            let nj: Vec<f64> = runs.iter().map(|d| cost_of(d).1).collect();
            row.push(format!("{:.1}", arms::mean_std(&sops).0));
            row.push(format!("{:.0}", arms::mean_std(&nj).0));
            rows.push(row);
            points.push((p, 100.0 * m));
            for d in &runs {
                let (sop, e) = cost_of(d);
                let mut cells = arms::run_cells(task, &format!("{p}"), d);
                cells.extend([
                    format!("{:.5}", d.report.activity),
                    format!("{sop:.2}"),
                    format!("{e:.1}"),
                    d.report.digest.clone(),
                ]);
                csv_rows.push(cells);
                json_rows.push(arms::json_row(
                    json!({ "task": task, "release_p": p, "seed": d.job.seed }),
                    &d.report,
                    json!({
                        "sops_per_step": sop, "energy_per_inference_nj": e, "arch": ARCH,
                        "digest": d.report.digest, "epochs": d.report.epochs,
                    }),
                ));
            }
        }
        series.push(Series::new(format!("{task} (chip, mean of seeds)"), points));
    }
    let csv_header = arms::run_header(
        "release_p",
        &[
            "activity",
            "sops_per_step",
            "energy_per_inference_nj",
            "digest",
        ],
    );
    ctx.write_csv("table.csv", &csv_header, &csv_rows)?;
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
    let budgets = arms::budgets(&TASKS, ctx.quick);
    Ok(Outcome {
        table: arms::markdown(&header, &rows),
        json: json!({ "quick": ctx.quick, "seeds": seeds, "budgets": budgets, "runs": json_rows }),
    })
}
