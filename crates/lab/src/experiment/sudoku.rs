//! `neurochip experiment sudoku`: the stochastic spiking constraint solver
//! (`neurochip_core::solver`) on the first 20 Sudoku puzzles of Project Euler
//! problem 96 (`problems/sudoku/`), several seeds each, against a uniform
//! random-restart baseline given the same number of steps (a new uniformly random
//! assignment of every blank each step, checked).
//!
//! Arms: the network with its default constants, the network with a refractory
//! period of 3 steps (a value held for three sweeps, closer to the paper's long
//! PSPs), and the baseline. Reported per puzzle: runs solved within the budget and
//! the median and worst time to solution (steps). Figures: the fraction of runs
//! solved against the step budget (log scale), the median time to solution per
//! puzzle, and the violated constraints along one run.
//!
//! `runs`, `cumulative` and `trace` are shared with the `coloring` experiment.

use std::path::PathBuf;

use neurochip_core::solver::Params;
use rayon::prelude::*;
use serde_json::json;

use super::arms::markdown;
use super::{Ctx, Outcome};
use crate::plot::{self, Axes, BarGroup, Series};
use neurochip_emu::csp::{self, Csp};

/// An arm: a label and the network constants (`None`: the random-restart baseline).
pub(super) type Arm = (&'static str, Option<Params>);

/// The three table columns of each arm: solved, median and worst steps.
pub(super) fn arm_columns(arms: &[Arm]) -> Vec<String> {
    arms.iter()
        .flat_map(|a| {
            [
                format!("{}: solved", a.0),
                format!("{}: median steps", a.0),
                format!("{}: worst steps", a.0),
            ]
        })
        .collect()
}

/// The arms both solver experiments compare.
pub(super) fn arms_list() -> Vec<Arm> {
    vec![
        ("network", Some(Params::DEFAULT)),
        (
            "network, refractory 3",
            Some(Params {
                refractory: 3,
                ..Params::DEFAULT
            }),
        ),
        ("random restart", None),
    ]
}

/// One run's outcome: (problem index, seed, steps to solution, digest).
pub(super) type RunOut = (usize, u64, Option<u64>, Option<String>);

/// Every (problem, seed) run of one arm, in parallel.
pub(super) fn runs(
    problems: &[Csp],
    seeds: u64,
    budget: u64,
    arm: &Arm,
) -> Result<Vec<RunOut>, String> {
    let jobs: Vec<(usize, u64)> = (0..problems.len())
        .flat_map(|p| (0..seeds).map(move |s| (p, s)))
        .collect();
    jobs.par_iter()
        .map(|&(p, s)| {
            let csp = &problems[p];
            match arm.1 {
                Some(params) => csp::run(csp, params, budget, s + 1, 0, |_, _, _| {})
                    .map(|r| (p, s, r.solved_at, r.digest)),
                None => Ok((
                    p,
                    s,
                    csp::random_restart(csp, budget, s + 1).solved_at,
                    None,
                )),
            }
        })
        .collect()
}

/// Fraction of runs solved within `b` steps, at budgets spaced evenly in log10.
pub(super) fn cumulative(times: &[Option<u64>], budget: u64) -> Vec<(f64, f64)> {
    let n = times.len().max(1) as f64;
    let top = (budget as f64).log10();
    (0..=100)
        .map(|i| {
            let lx = top * f64::from(i) / 100.0;
            let b = 10f64.powf(lx);
            let k = times
                .iter()
                .filter(|t| t.is_some_and(|t| t as f64 <= b))
                .count();
            (lx, k as f64 / n)
        })
        .collect()
}

/// Points (step, violated pairs + unassigned) of one run, and its time to solution.
pub(super) type Trace = (Vec<(f64, f64)>, Option<u64>);

/// Violated constraints and unassigned variables along one run of the network.
pub(super) fn trace(csp: &Csp, budget: u64, every: u64) -> Result<Trace, String> {
    let mut pts = Vec::new();
    let r = csp::run(csp, Params::DEFAULT, budget, 1, every, |t, v, u| {
        pts.push((t as f64, (v / 2 + u) as f64));
    })?;
    if let Some(t) = r.solved_at {
        pts.push((t as f64, 0.0));
    }
    Ok((pts, r.solved_at))
}

/// The `violations` figure: violated constraints and unassigned variables along the
/// run of `csp` with seed 1, titled `title` and the step it was solved at.
pub(super) fn violations_figure(
    ctx: &Ctx,
    csp: &Csp,
    budget: u64,
    title: &str,
    y: &str,
) -> Result<(), String> {
    let (pts, solved_at) = trace(csp, budget, 1)?;
    plot::lines(
        &ctx.path("violations"),
        &Axes {
            title: &format!(
                "{title} (solved at step {})",
                steps(solved_at.map(|x| x as f64))
            ),
            x: "step",
            y,
        },
        &[Series::new("network", pts)],
    )
}

/// Times to solution of a set of runs, summarised.
pub(super) struct Tally {
    /// Runs.
    pub runs: usize,
    /// Runs solved.
    pub solved: usize,
    /// Median steps to solution (unsolved runs count as never).
    pub median: Option<f64>,
    /// Most steps a solved run took.
    pub worst: Option<u64>,
}

impl Tally {
    /// The tally of times to solution `t` (`None`: not solved).
    pub fn of(t: &[Option<u64>]) -> Self {
        Self {
            runs: t.len(),
            solved: t.iter().filter(|x| x.is_some()).count(),
            median: csp::median(t),
            worst: t.iter().flatten().max().copied(),
        }
    }

    /// Table cells: solved/runs, median steps, worst steps (`-` unless all solved).
    pub fn cells(&self) -> [String; 3] {
        [
            format!("{}/{}", self.solved, self.runs),
            steps(self.median),
            if self.solved == self.runs {
                steps(self.worst.map(|w| w as f64))
            } else {
                "-".into()
            },
        ]
    }
}

/// `n` steps as text, `-` for none.
pub(super) fn steps(x: Option<f64>) -> String {
    x.map_or("-".into(), |v| format!("{v:.0}"))
}

/// Run the experiment.
pub fn run(ctx: &Ctx) -> Result<Outcome, String> {
    let (n_puzzles, seeds, budget) = if ctx.quick {
        (3, 2, 20_000)
    } else {
        (20, 10, 100_000)
    };
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../problems/sudoku");
    let mut puzzles = Vec::new();
    for i in 1..=n_puzzles {
        puzzles.push(csp::load(&dir.join(format!("pe96_{i:02}.txt")), None)?);
    }
    let arms = arms_list();
    let mut results = Vec::new();
    for arm in &arms {
        results.push(runs(&puzzles, seeds, budget, arm)?);
    }
    let mut header = vec!["puzzle (PE 96)", "blanks"];
    let labels = arm_columns(&arms);
    header.extend(labels.iter().map(String::as_str));
    let mut rows = Vec::new();
    let mut medians: Vec<Vec<f64>> = vec![Vec::new(); arms.len()];
    for (p, csp) in puzzles.iter().enumerate() {
        let mut row = vec![format!("Grid {:02}", p + 1), csp.blanks().to_string()];
        for (a, res) in results.iter().enumerate() {
            let t: Vec<Option<u64>> = res.iter().filter(|r| r.0 == p).map(|r| r.2).collect();
            let solved = t.iter().filter(|x| x.is_some()).count();
            let med = csp::median(&t);
            medians[a].push(med.unwrap_or(f64::NAN));
            let worst = if solved == t.len() {
                t.iter().flatten().max().map(|&w| w as f64)
            } else {
                None
            };
            row.push(format!("{solved}/{}", t.len()));
            row.push(steps(med));
            row.push(steps(worst));
        }
        rows.push(row);
    }
    let mut total = vec!["all".to_string(), String::new()];
    let mut summary = Vec::new();
    for (a, res) in results.iter().enumerate() {
        let t: Vec<Option<u64>> = res.iter().map(|r| r.2).collect();
        let tally = Tally::of(&t);
        total.extend(tally.cells());
        summary.push(json!({"arm": arms[a].0, "solved": tally.solved, "runs": tally.runs, "median_steps": tally.median, "worst_steps": tally.worst}));
    }
    rows.push(total);
    ctx.write_csv("table.csv", &header, &rows)?;

    let curves: Vec<Series> = results
        .iter()
        .zip(&arms)
        .map(|(res, a)| {
            let t: Vec<Option<u64>> = res.iter().map(|r| r.2).collect();
            Series::new(a.0, cumulative(&t, budget))
        })
        .collect();
    plot::lines_y(
        &ctx.path("solved_vs_steps"),
        &Axes {
            title: &format!(
                "Sudoku (PE 96, {n_puzzles} puzzles x {seeds} seeds): runs solved within a budget"
            ),
            x: "step budget (log10 steps)",
            y: "fraction of runs solved",
        },
        &curves,
        0.0..1.05,
    )?;
    let cats: Vec<String> = (1..=n_puzzles).map(|i| format!("{i:02}")).collect();
    plot::bars(
        &ctx.path("median_steps"),
        &Axes {
            title: "Median time to solution per puzzle (network arms; baseline solved none)",
            x: "Project Euler 96 grid",
            y: "median steps to solution (log10)",
        },
        &cats,
        &medians
            .iter()
            .zip(&arms)
            .filter(|(_, a)| a.1.is_some())
            .map(|(m, a)| BarGroup {
                label: a.0.to_string(),
                values: m
                    .iter()
                    .map(|&x| if x.is_finite() { x.log10() } else { 0.0 })
                    .collect(),
                errors: None,
            })
            .collect::<Vec<_>>(),
    )?;
    violations_figure(
        ctx,
        &puzzles[0],
        budget,
        "Grid 01, seed 1: violated constraints + unassigned cells",
        "violated pairs + unassigned cells",
    )?;
    let runs_json: Vec<_> = results
        .iter()
        .zip(&arms)
        .flat_map(|(res, a)| {
            res.iter().map(move |r| {
                json!({"arm": a.0, "puzzle": r.0 + 1, "seed": r.1 + 1, "steps": r.2, "digest": r.3})
            })
        })
        .collect();
    Ok(Outcome {
        table: markdown(&header, &rows),
        json: json!({
            "quick": ctx.quick, "budget": budget, "seeds": seeds, "puzzles": n_puzzles,
            "params": format!("{:?}", Params::DEFAULT), "summary": summary, "runs": runs_json
        }),
    })
}
