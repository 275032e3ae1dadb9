//! `neurochip experiment NAME`: the seed's comparisons, rerun from scratch.
//!
//! Each experiment lives in its own module and registers one [`Experiment`] in
//! [`ALL`]. It trains what it compares, writes its table (`table.md`, `table.csv`),
//! its figures (PNG and SVG, through [`crate::plot`]) and `result.json` into the run
//! folder it is given, and returns the markdown table that `docs/experiments.md`
//! quotes.

use std::path::{Path, PathBuf};

pub(crate) mod arms;
pub mod assemblies;
pub mod coloring;
pub mod dale;
pub mod heterogeneity;
pub mod navigation;
pub mod release;
pub mod reservoir;
pub mod reward_cue;
pub mod rewiring;
pub mod sudoku;

use serde_json::Value;

/// How an experiment is asked to run.
#[derive(Clone, Debug)]
pub struct Ctx {
    /// The run folder (created before the experiment starts).
    pub out: PathBuf,
    /// A short version (fewer seeds, episodes or samples) for tests and smoke runs;
    /// the published figures come from full runs.
    pub quick: bool,
    /// No progress bars.
    pub quiet: bool,
}

impl Ctx {
    /// A path inside the run folder.
    pub fn path(&self, name: &str) -> PathBuf {
        self.out.join(name)
    }

    /// Write `name` in the run folder as CSV (`arms::csv`) of `header` and `rows`.
    pub fn write_csv(
        &self,
        name: &str,
        header: &[&str],
        rows: &[Vec<String>],
    ) -> Result<(), String> {
        write(&self.path(name), arms::csv(header, rows).as_bytes())
    }
}

/// What an experiment returns: the table it wrote and every figure as JSON.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The result table, markdown.
    pub table: String,
    /// Every figure of the table (and more), for `result.json`.
    pub json: Value,
}

/// One named experiment.
pub struct Experiment {
    /// The name given on the command line.
    pub name: &'static str,
    /// One line: what it compares.
    pub about: &'static str,
    /// Run it into `ctx.out`.
    pub run: fn(&Ctx) -> Result<Outcome, String>,
}

/// Every experiment, in the order `neurochip experiment --list` prints them.
pub const ALL: &[Experiment] = &[
    Experiment {
        name: "reward-cue",
        about: "reward-based cue accumulation (actor-critic e-prop): chip against its f64 twin",
        run: reward_cue::run,
    },
    Experiment {
        name: "navigation",
        about: "delayed-reward navigation learned on the chip (actor-critic e-prop): success, moves against the shortest path",
        run: navigation::run,
    },
    Experiment {
        name: "reservoir",
        about: "reservoir (readout-only learning) against full e-prop on cue and digits",
        run: reservoir::run,
    },
    Experiment {
        name: "heterogeneity",
        about: "homogeneous against heterogeneous tau_m (shared trace decay, or 8 exact decay classes) on cue and digits, 5 seeds each",
        run: heterogeneity::run,
    },
    Experiment {
        name: "dale",
        about: "E/I network under Dale's law: sign violations, activity, accuracy against no Dale",
        run: dale::run,
    },
    Experiment {
        name: "release",
        about: "stochastic synaptic release: accuracy at p = 1, 0.75, 0.5, 0.25 on cue and digits",
        run: release::run,
    },
    Experiment {
        name: "rewiring",
        about: "Deep R rewiring at a 10% budget against dense and fixed sparse on digits; memory",
        run: rewiring::run,
    },
    Experiment {
        name: "assemblies",
        about: "STDP assemblies under a k-cap: projection, recall from a partial cue, association",
        run: assemblies::run,
    },
    Experiment {
        name: "sudoku",
        about: "stochastic spiking solver on 20 Project Euler 96 sudokus against random restart",
        run: sudoku::run,
    },
    Experiment {
        name: "coloring",
        about: "stochastic spiking solver 3-colouring random 50-node graphs against random restart",
        run: coloring::run,
    },
];

/// The experiment called `name`, or an error listing the names there are.
pub fn find(name: &str) -> Result<&'static Experiment, String> {
    ALL.iter().find(|e| e.name == name).ok_or_else(|| {
        let names: Vec<&str> = ALL.iter().map(|e| e.name).collect();
        format!(
            "no experiment named `{name}`; there are: {}",
            if names.is_empty() {
                "(none yet)".to_string()
            } else {
                names.join(", ")
            }
        )
    })
}

/// Run `exp` into `ctx.out`: the folder is created, and `table.md` and `result.json`
/// are written (atomically) from what the experiment returns.
pub fn run(exp: &Experiment, ctx: &Ctx) -> Result<Outcome, String> {
    std::fs::create_dir_all(&ctx.out)
        .map_err(|e| format!("{}: cannot create the run folder: {e}", ctx.out.display()))?;
    let outcome = (exp.run)(ctx)?;
    write(&ctx.path("table.md"), outcome.table.as_bytes())?;
    let json = serde_json::to_string_pretty(&outcome.json).map_err(|e| e.to_string())?;
    write(&ctx.path("result.json"), json.as_bytes())?;
    Ok(outcome)
}

/// Write a file of the run folder atomically, with an error naming it.
pub fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    neurochip_emu::export::write_atomic(path, bytes)
        .map_err(|e| format!("{}: cannot write: {e}", path.display()))
}
