//! `neurochip experiment coloring`: the stochastic spiking constraint solver
//! 3-colouring random 50-node graphs with a planted 3-colouring
//! (`csp::planted_graph`, seeded), at three edge densities around the
//! 3-colourability threshold of random graphs (average degree about 4.7), against
//! the uniform random-restart baseline given the same number of steps.
//!
//! Same arms and figures as `sudoku` (`super::sudoku`).

use neurochip_core::solver::Params;
use serde_json::json;

use super::arms::markdown;
use super::sudoku::{arm_columns, arms_list, cumulative, runs, violations_figure, Tally};
use super::{Ctx, Outcome};
use crate::plot::{self, Axes, Series};
use neurochip_emu::csp;

/// Nodes per graph.
const NODES: usize = 50;

/// Run the experiment.
pub fn run(ctx: &Ctx) -> Result<Outcome, String> {
    let (edge_counts, graphs, seeds, budget): (&[usize], u64, u64, u64) = if ctx.quick {
        (&[115], 3, 1, 10_000)
    } else {
        (&[100, 115, 125], 20, 5, 100_000)
    };
    let arms = arms_list();
    let mut header = vec!["edges (avg degree)", "graphs x seeds"];
    let labels = arm_columns(&arms);
    header.extend(labels.iter().map(String::as_str));
    let mut rows = Vec::new();
    let mut summary = Vec::new();
    let mut curves = Vec::new();
    let mut baseline = Vec::new();
    for (di, &m) in edge_counts.iter().enumerate() {
        let problems: Vec<_> = (1..=graphs)
            .map(|g| csp::planted_graph(NODES, m, 3, g))
            .collect();
        let mut row = vec![
            format!("{m} ({:.1})", 2.0 * m as f64 / NODES as f64),
            format!("{graphs} x {seeds}"),
        ];
        for (a, arm) in arms.iter().enumerate() {
            let res = runs(&problems, seeds, budget, arm)?;
            let t: Vec<Option<u64>> = res.iter().map(|r| r.2).collect();
            let tally = Tally::of(&t);
            row.extend(tally.cells());
            summary.push(json!({
                "edges": m, "arm": arm.0, "solved": tally.solved, "runs": tally.runs,
                "median_steps": tally.median, "worst_steps": tally.worst,
                "digests": res.iter().map(|r| r.3.clone()).collect::<Vec<_>>(),
            }));
            let label = format!("{}, {m} edges", arm.0);
            match (arm.1, a) {
                (None, _) => baseline.extend(t),
                (Some(_), 0) => curves.push(Series::new(label, cumulative(&t, budget)).colour(di)),
                (Some(_), _) => {
                    curves.push(Series::dashed(label, cumulative(&t, budget)).colour(di))
                }
            }
        }
        rows.push(row);
    }
    ctx.write_csv("table.csv", &header, &rows)?;
    // One colour per density: the network solid, refractory 3 dashed; the baseline
    // (no run solved at any density) once.
    curves.push(
        Series::new(
            "random restart, all densities",
            cumulative(&baseline, budget),
        )
        .colour(edge_counts.len()),
    );
    plot::lines_y(
        &ctx.path("solved_vs_steps"),
        &Axes {
            title: &format!(
                "3-colouring random {NODES}-node graphs ({graphs} graphs x {seeds} seeds per density)"
            ),
            x: "step budget (log10 steps)",
            y: "fraction of runs solved",
        },
        &curves,
        0.0..1.05,
    )?;
    let mid = edge_counts[edge_counts.len() / 2];
    violations_figure(
        ctx,
        &csp::planted_graph(NODES, mid, 3, 1),
        budget,
        &format!("Graph 1 ({mid} edges), seed 1: violated edges + uncoloured nodes"),
        "violated edges + uncoloured nodes",
    )?;
    Ok(Outcome {
        table: markdown(&header, &rows),
        json: json!({
            "quick": ctx.quick, "budget": budget, "nodes": NODES, "graphs": graphs, "seeds": seeds,
            "params": format!("{:?}", Params::DEFAULT), "summary": summary,
        }),
    })
}
