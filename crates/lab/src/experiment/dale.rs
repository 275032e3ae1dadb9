//! `neurochip experiment dale`: an E/I network under Dale's law, trained with e-prop
//! on cue accumulation and digits, against the same configuration without Dale's law.
//!
//! The Dale arm sets `network.excitatory_fraction = 0.8`: the first 80 % of the
//! neurons are excitatory (outgoing recurrent weights `>= 0`), the rest inhibitory
//! (`<= 0`), and the learning circuits keep those signs. After training, every
//! recurrent weight is checked against its neuron's sign (violations must be 0), and
//! the weights whose sign flipped during training are counted in both arms (in the
//! Dale arm a weight can only reach zero, never cross it).

use neurochip_emu::HostChip;
use serde_json::json;

use super::arms::{self, TaskPlan};
use super::{Ctx, Outcome};
use crate::plot::{self, Axes, BarGroup};
use neurochip_emu::build;

/// (arm label, excitatory fraction).
const ARMS: [(&str, Option<f64>); 2] = [("Dale 80% E / 20% I", Some(0.8)), ("no Dale", None)];

/// Cue and digits at the budgets `reservoir` and `dale` share (so `dale`'s no-Dale arm
/// is `reservoir`'s full e-prop arm, bit for bit).
const TASKS: [TaskPlan; 2] = arms::CUE_DIGITS;

/// Sign bookkeeping of the recurrent weights after training.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Signs {
    /// Weights of excitatory neurons below 0 or of inhibitory neurons above 0 (only
    /// counted when the chip keeps Dale's law).
    pub violations: usize,
    /// Weights whose sign is the opposite of their initial sign.
    pub flipped: usize,
    /// Weights that were non-zero at the start and are zero now.
    pub zeroed: usize,
    /// Connected recurrent synapses.
    pub synapses: usize,
}

/// Compare the recurrent weights of `after` with those of `before` (same layout).
pub fn signs(before: &mut HostChip, after: &mut HostChip) -> Signs {
    let dale = after.config().learning().dale;
    let b = before.mem();
    let a = after.mem();
    let n = a.layout.n_rec.max(1);
    let mut s = Signs::default();
    for (k, (&w0, &w1)) in b.w_rec.iter().zip(a.w_rec.iter()).enumerate() {
        if !a.mask_rec.get(k).is_some_and(|x| *x) {
            continue;
        }
        s.synapses += 1;
        if dale {
            let exc = a.exc.get(k / n).is_some_and(|x| *x);
            if (exc && w1 < 0) || (!exc && w1 > 0) {
                s.violations += 1;
            }
        }
        if i32::from(w0) * i32::from(w1) < 0 {
            s.flipped += 1;
        }
        if w0 != 0 && w1 == 0 {
            s.zeroed += 1;
        }
    }
    s
}

/// Run the comparison into `ctx.out`.
pub fn run(ctx: &Ctx) -> Result<Outcome, String> {
    let seeds: &[u64] = if ctx.quick { &[1] } else { &[1, 2, 3, 4, 5] };
    let jobs = arms::grid(&TASKS, &ARMS, seeds, ctx.quick, |cfg, frac| {
        cfg.network.excitatory_fraction = frac
    })?;
    let mut done = arms::train_all(jobs)?;
    let mut all_signs = Vec::new();
    for d in &mut done {
        let (_, mut before) = build::chip(&d.job.cfg).map_err(|e| e.to_string())?;
        all_signs.push(signs(&mut before, &mut d.chip));
    }

    let header = arms::summary_header(
        "arm",
        &[
            "sign violations",
            "sign flips",
            "weights driven to 0",
            "recurrent synapses",
        ],
    );
    let signs_of = |d: &arms::Done| {
        arms::position(&done, d)
            .and_then(|i| all_signs.get(i).copied())
            .unwrap_or_default()
    };
    let mut rows = Vec::new();
    let mut csv_rows = Vec::new();
    let mut groups = Vec::new();
    let mut act_groups = Vec::new();
    let mut json_rows = Vec::new();
    let categories: Vec<String> = TASKS.iter().map(|t| t.0.to_string()).collect();
    for (arm, _) in ARMS {
        let (mut values, mut errors) = (Vec::new(), Vec::new());
        let (mut avals, mut aerrs) = (Vec::new(), Vec::new());
        for (task, ..) in TASKS {
            let runs = arms::of(&done, arm, task);
            let (mut row, (m, s), (am, asd)) = arms::summary_row(task, arm, &runs);
            let sg: Vec<Signs> = runs.iter().map(|d| signs_of(d)).collect();
            let sum = |f: fn(&Signs) -> usize| sg.iter().map(f).sum::<usize>();
            let dale = runs
                .first()
                .is_some_and(|d| d.job.cfg.network.excitatory_fraction.is_some());
            row.extend([
                if dale {
                    sum(|s| s.violations).to_string()
                } else {
                    "n/a".into()
                },
                sum(|s| s.flipped).to_string(),
                sum(|s| s.zeroed).to_string(),
                sum(|s| s.synapses).to_string(),
            ]);
            rows.push(row);
            for (d, &sg) in runs.iter().zip(&sg) {
                let mut cells = arms::run_cells(task, arm, d);
                cells.extend([
                    format!("{:.5}", d.report.activity),
                    if dale {
                        sg.violations.to_string()
                    } else {
                        "n/a".into()
                    },
                    sg.flipped.to_string(),
                    sg.zeroed.to_string(),
                    sg.synapses.to_string(),
                ]);
                csv_rows.push(cells);
                json_rows.push(json!({
                    "task": task, "arm": arm, "seed": d.job.seed, "dale": dale,
                    "test_accuracy": d.report.test_accuracy,
                    "activity": d.report.activity,
                    "sign_violations": sg.violations, "sign_flips": sg.flipped,
                    "zeroed": sg.zeroed, "synapses": sg.synapses,
                    "epochs": d.report.epochs,
                }));
            }
            values.push(100.0 * m);
            errors.push(100.0 * s);
            avals.push(100.0 * am);
            aerrs.push(100.0 * asd);
        }
        groups.push(BarGroup::with_errors(arm, values, errors));
        act_groups.push(BarGroup::with_errors(arm, avals, aerrs));
    }
    arms::task_major(&mut rows);
    let csv_header = arms::run_header(
        "arm",
        &[
            "activity",
            "sign_violations",
            "sign_flips",
            "zeroed",
            "synapses",
        ],
    );
    ctx.write_csv("table.csv", &csv_header, &csv_rows)?;
    arms::accuracy_bars(
        ctx,
        "Dale's law (E/I) against no Dale, same budget",
        &categories,
        &groups,
    )?;
    plot::bars(
        &ctx.path("activity"),
        &Axes {
            title: "Activity on the test set",
            x: "task",
            y: "neuron-steps with a spike (%), mean ± std",
        },
        &categories,
        &act_groups,
    )?;
    let violations: usize = all_signs.iter().map(|s| s.violations).sum();
    Ok(Outcome {
        table: arms::markdown(&header, &rows),
        json: json!({ "quick": ctx.quick, "seeds": seeds, "sign_violations": violations, "runs": json_rows }),
    })
}
