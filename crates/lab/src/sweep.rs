//! `neurochip sweep`: the design-space grid (engine x weight bits x trace bits x
//! seed x architecture, per configuration), trained and tested on all cores, reported
//! as a table and CSV. Every grid point trains once per seed; the chip steps through
//! the cycle model of every architecture at the same time (the bits do not depend on
//! it), so the architecture axis costs no extra training. With several seeds,
//! `seeds` sums each point up as mean, sample standard deviation and worst seed.

mod seeds;

pub use seeds::{parse_seeds, seed_markdown, seed_summaries, SeedSummary, SeedValue, MAX_SEEDS};

use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;

use neurochip_emu::arch_run;
use neurochip_emu::build::{self, BuildError};
use neurochip_emu::config::{Config, Engine};
use neurochip_emu::cycle::CycleReport;
use neurochip_emu::Arch;

/// One grid point's result.
#[derive(Clone, Debug, Serialize, serde::Deserialize)]
pub struct SweepRow {
    /// Configuration (task) name.
    pub config: String,
    /// The master seed the point trained with (the configuration's own, or one of
    /// `--seeds`).
    pub seed: u64,
    /// Engine.
    pub engine: String,
    /// Weight bits.
    pub weight_bits: u32,
    /// Trace bits.
    pub trace_bits: u32,
    /// Architecture (empty when none was asked for).
    pub arch: String,
    /// Whether the network fits the architecture (true when none).
    pub fits: bool,
    /// Why it does not fit.
    pub fit_error: Option<String>,
    /// Test accuracy (classification), `1 - nmse` (regression), or for reward
    /// learning the greedy test episodes' success rate (the learning window's when
    /// the plan has no test episodes).
    pub test_accuracy: f64,
    /// NMSE for regression tasks.
    pub nmse: Option<f64>,
    /// Weight memory, bytes.
    pub weight_bytes: usize,
    /// Learning-state memory, bytes.
    pub learning_bytes: usize,
    /// Learning state that scales with synapses, bytes.
    pub learning_per_synapse_bytes: usize,
    /// SRAM used on the architecture, bytes (row-aligned words of its banks).
    pub sram_bytes: Option<u64>,
    /// Mean cycles per step on the architecture.
    pub cycles_per_step: Option<f64>,
    /// Clock for real time at the busiest step, MHz.
    pub realtime_clock_mhz: Option<f64>,
    /// Energy per inference, nJ.
    pub energy_per_inference_nj: Option<f64>,
    /// Energy per training sample, nJ.
    pub energy_per_training_sample_nj: Option<f64>,
    /// Training time, s.
    pub train_seconds: f64,
    /// Classes of a classification task (the plot's chance line), `None` for
    /// regression.
    pub classes: Option<usize>,
    /// The chip's trace digest after training and testing: the same point gives the
    /// same digest wherever it runs (locally, or as a Ray task: docs/distributed.md).
    pub digest: String,
    /// Reward learning: the rewarded fraction of the last learning episodes (what
    /// `neurochip run` reports as `success_rate`); `None` for other workloads.
    #[serde(default)]
    pub success_rate: Option<f64>,
}

/// The axes of a sweep. An empty `engines`, `weight_bits`, `trace_bits` or `seeds`
/// keeps each configuration's own engine, weight width, trace width or seed. A trace
/// width keeps the configuration's integer trace bits and changes the fraction; a
/// seed replaces the configuration's top-level `seed` and nothing else.
#[derive(Clone, Copy, Debug, Default)]
pub struct Grid<'a> {
    /// Engines (their learning rates mean the same, `neurochip_emu::rates`).
    pub engines: &'a [Engine],
    /// Weight widths.
    pub weight_bits: &'a [u32],
    /// Trace widths.
    pub trace_bits: &'a [u32],
    /// Master seeds.
    pub seeds: &'a [u64],
    /// Architectures to cost every point on.
    pub archs: &'a [Arch],
}

/// The weight widths of `neurochip sweep` when `--weight-bits` is not given: 4, 6, 8
/// and 12 bits, or, when the sweep repeats every point over seeds, each
/// configuration's own width only (empty), so that `--seeds` alone measures the
/// configuration as it is.
pub fn default_weight_bits(seeded: bool) -> &'static [u32] {
    if seeded {
        &[]
    } else {
        &[4, 6, 8, 12]
    }
}

/// The engines named in `names` (`exact`, `light`); the error names the one that is
/// not an engine and what is allowed.
pub fn parse_engines(names: &[String]) -> Result<Vec<Engine>, String> {
    names
        .iter()
        .map(|e| match e.as_str() {
            "exact" => Ok(Engine::Exact),
            "light" => Ok(Engine::Light),
            other => Err(format!("`{other}` is not an engine; allowed: exact, light")),
        })
        .collect()
}

/// Weight and trace widths of a sweep, checked against the chip's ranges; the error
/// names the first width out of range by its caller's name (`names`: the weight
/// widths', the trace widths'; `--weight-bits` and `--trace-bits` on the command
/// line, `weight_bits` and `trace_bits` in Python).
pub fn check_widths(
    weight_bits: &[u32],
    trace_bits: &[u32],
    names: [&str; 2],
) -> Result<(), String> {
    use neurochip_core::ranges::{TRACE_BITS, WEIGHT_BITS};
    for (flag, r, bits) in [
        (names[0], WEIGHT_BITS, weight_bits),
        (names[1], TRACE_BITS, trace_bits),
    ] {
        if let Some(b) = bits.iter().find(|&&b| !r.admits(i64::from(b))) {
            return Err(format!(
                "{flag}: {b} is out of range; allowed {}..={}",
                r.lo, r.hi
            ));
        }
    }
    Ok(())
}

/// The files of `--plot FILE`: the stem (FILE without a `.png` or `.svg` ending) and
/// the PNG and SVG [`plot`] writes there.
pub fn plot_files(plot: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let stem = match plot.extension().and_then(|e| e.to_str()) {
        Some("png" | "svg") => plot.with_extension(""),
        _ => plot.to_path_buf(),
    };
    let (png, svg) = (stem.with_extension("png"), stem.with_extension("svg"));
    (stem, png, svg)
}

/// Run the grid `configs x engines x weight_bits x trace_bits x seeds`, each point
/// through the cycle models of `grid.archs`. Rows come out in that order (the seeds
/// of a point next to each other, one row per architecture). `progress(done, total)`
/// is called as trainings finish (from any thread).
pub fn sweep(
    configs: &[Config],
    grid: &Grid<'_>,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Vec<SweepRow>, BuildError> {
    let points: Vec<Config> = grid_points(configs, grid)
        .into_iter()
        .map(|(k, p)| p.apply(&configs[k]))
        .collect();
    let total = points.len();
    let done = std::sync::atomic::AtomicUsize::new(0);
    progress(0, total);
    let rows: Result<Vec<Vec<SweepRow>>, BuildError> = points
        .par_iter()
        .map(|c| {
            let r = point(c, grid.archs);
            let d = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            progress(d, total);
            r
        })
        .collect();
    Ok(rows?.into_iter().flatten().collect())
}

/// One point of a grid: the values a configuration takes there.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Point {
    /// Engine.
    pub engine: Engine,
    /// Weight bits.
    pub weight_bits: u32,
    /// Trace bits.
    pub trace_bits: u32,
    /// Master seed.
    pub seed: u64,
}

impl Point {
    /// `c` at this point: the seed, engine (with its own rates when the file gives
    /// some: [`Config::set_engine`]) and weight width replaced; the trace width
    /// replaced keeping the integer trace bits (the fraction changes).
    pub fn apply(&self, c: &Config) -> Config {
        let mut c = c.clone();
        c.seed = self.seed;
        c.set_engine(self.engine);
        c.formats.weight_bits = self.weight_bits;
        let int_bits = c.formats.trace_bits.saturating_sub(c.formats.trace_frac);
        c.formats.trace_bits = self.trace_bits;
        c.formats.trace_frac = self.trace_bits.saturating_sub(int_bits);
        c
    }
}

/// The points of the grid `configs x engines x weight_bits x trace_bits x seeds`, in
/// the order [`sweep`] runs and reports them: `(index of the configuration, point)`.
pub fn grid_points(configs: &[Config], grid: &Grid<'_>) -> Vec<(usize, Point)> {
    let mut points = Vec::new();
    for (k, c) in configs.iter().enumerate() {
        let own_e = [c.learning.engine];
        let own_wb = [c.formats.weight_bits];
        let own_tb = [c.formats.trace_bits];
        let own_seed = [c.seed];
        for &engine in or(grid.engines, &own_e) {
            for &weight_bits in or(grid.weight_bits, &own_wb) {
                for &trace_bits in or(grid.trace_bits, &own_tb) {
                    for &seed in or(grid.seeds, &own_seed) {
                        points.push((
                            k,
                            Point {
                                engine,
                                weight_bits,
                                trace_bits,
                                seed,
                            },
                        ));
                    }
                }
            }
        }
    }
    points
}

/// Train one point (a configuration already at its point, [`Point::apply`]) and cost
/// it on `archs`: its rows, one per architecture (one without). What [`sweep`] runs
/// for each point, and what a Ray task runs for one (the Python package).
pub fn run_point(c: &Config, archs: &[Arch]) -> Result<Vec<SweepRow>, BuildError> {
    point(c, archs)
}

/// `v`, or `own` when `v` is empty.
fn or<'a, T>(v: &'a [T], own: &'a [T]) -> &'a [T] {
    if v.is_empty() {
        own
    } else {
        v
    }
}

fn point(c: &Config, archs: &[Arch]) -> Result<Vec<SweepRow>, BuildError> {
    let (_, mut chip) = build::chip(c)?;
    // Every architecture the network fits steps beside the one training.
    let mut models = Vec::new();
    let mut fit: Vec<Result<usize, String>> = Vec::new();
    for a in archs {
        match arch_run::model(c, a, &mut chip) {
            Ok(m) => {
                fit.push(Ok(models.len()));
                models.push(m);
            }
            Err(e) => fit.push(Err(e.message)),
        }
    }
    let (base, reports) = if c.reward.is_some() {
        // Reward learning: trained by its plan, as `neurochip run` does.
        let (rep, reports) = arch_run::reward_models(c, chip, models)?;
        let base = SweepRow {
            test_accuracy: rep.test_success_rate.unwrap_or(rep.success_rate),
            train_seconds: rep.train_seconds,
            success_rate: Some(rep.success_rate),
            ..row(c, &c.learning.engine, &rep.footprint, &rep.digest)
        };
        (base, reports)
    } else {
        let task = build::task(c)?;
        let t = arch_run::train_models(c, chip, &task, models, true);
        let base = SweepRow {
            test_accuracy: t.score.accuracy,
            nmse: t.score.nmse,
            train_seconds: t.seconds,
            classes: task.n_classes(),
            ..row(c, &c.learning.engine, &t.footprint, &t.digest)
        };
        (base, t.reports)
    };
    Ok(costed(base, archs, |i| {
        fit[i].clone().map(|k| reports[k].clone())
    }))
}

/// A point's row before its scores and costs: the configuration's coordinates, the
/// chip's footprint and digest.
fn row(
    c: &Config,
    engine: &Engine,
    footprint: &neurochip_emu::Footprint,
    digest: &str,
) -> SweepRow {
    SweepRow {
        config: c.name.clone(),
        seed: c.seed,
        engine: format!("{engine:?}").to_lowercase(),
        weight_bits: c.formats.weight_bits,
        trace_bits: c.formats.trace_bits,
        arch: String::new(),
        fits: true,
        fit_error: None,
        test_accuracy: 0.0,
        nmse: None,
        weight_bytes: footprint.weights,
        learning_bytes: footprint.learning,
        learning_per_synapse_bytes: footprint.learning_per_synapse,
        sram_bytes: None,
        cycles_per_step: None,
        realtime_clock_mhz: None,
        energy_per_inference_nj: None,
        energy_per_training_sample_nj: None,
        train_seconds: 0.0,
        classes: None,
        digest: digest.to_string(),
        success_rate: None,
    }
}

/// `base` alone without architectures, else one row per architecture with the cycle
/// model's figures from `cost(index of the architecture)`, or why the network does
/// not fit.
fn costed(
    base: SweepRow,
    archs: &[Arch],
    cost: impl Fn(usize) -> Result<CycleReport, String>,
) -> Vec<SweepRow> {
    if archs.is_empty() {
        return vec![base];
    }
    archs
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let mut r = base.clone();
            r.arch = a.name.clone();
            match cost(i) {
                Ok(c) => {
                    r.sram_bytes = Some(c.sram_used_bytes);
                    r.cycles_per_step = Some(c.cycles_per_step);
                    r.realtime_clock_mhz = Some(c.realtime_clock_mhz_worst);
                    r.energy_per_inference_nj = c.energy_per_inference_nj;
                    r.energy_per_training_sample_nj = c.energy_per_training_sample_nj;
                }
                Err(e) => {
                    r.fits = false;
                    r.fit_error = Some(e);
                }
            }
            r
        })
        .collect()
}

fn opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or(String::new(), |x| x.to_string())
}

fn optf(v: Option<f64>, digits: usize) -> String {
    v.map_or(String::new(), |x| format!("{x:.digits$}"))
}

/// Write a sweep's run folder into `dir`: `report.json` (the rows, stamped with the
/// [`crate::runs::Provenance`]; with `seeded`, also `summary`, the
/// [`seed_summaries`]), `sweep.csv` (one line per row, with its seed), the plot
/// `sweep.png`/`.svg` and `summary.md` (the command, with `seeded` the table over
/// seeds, the table of rows and the plot). A plot that cannot be drawn is returned as
/// a warning.
pub fn write_folder(
    dir: &std::path::Path,
    prov: &crate::runs::Provenance<'_>,
    rows: &[SweepRow],
    seeded: bool,
) -> Result<Vec<String>, String> {
    let put = |name: &str, bytes: &[u8]| {
        let p = dir.join(name);
        neurochip_emu::export::write_atomic(&p, bytes)
            .map_err(|e| format!("{}: cannot write: {e}", p.display()))
    };
    let summaries = seed_summaries(rows);
    let body = if seeded {
        serde_json::json!({ "summary": summaries, "rows": rows })
    } else {
        serde_json::json!({ "rows": rows })
    };
    let report = prov.stamp(&body);
    let json = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
    put("report.json", json.as_bytes())?;
    put("sweep.csv", csv(rows).as_bytes())?;
    let mut warnings = Vec::new();
    let mut md = format!(
        "# neurochip sweep\n\n`{}`\n\nneurochip {}\n\n",
        prov.command, prov.version,
    );
    if seeded {
        md.push_str("## Over seeds\n\n");
        md.push_str(&seed_markdown(&summaries));
        md.push_str("\n## Every run\n\n");
    }
    md.push_str(&markdown(rows));
    match plot(rows, &dir.join("sweep")) {
        Ok(()) => md.push_str("\n![accuracy against cost](sweep.png)\n"),
        Err(e) => warnings.push(format!("sweep: {e}")),
    }
    put("summary.md", md.as_bytes())?;
    Ok(warnings)
}

/// Plot the rows into `<stem>.png` and `<stem>.svg`: accuracy against energy per
/// inference, one colour per configuration, engine and architecture (rows with an
/// architecture they fit); without architectures, accuracy against weight memory.
pub fn plot(rows: &[SweepRow], stem: &std::path::Path) -> Result<(), String> {
    use crate::plot::{self, Axes, Series};
    let with_energy = rows.iter().any(|r| r.energy_per_inference_nj.is_some());
    let mut series: Vec<Series> = Vec::new();
    for r in rows {
        let x = if with_energy {
            match r.energy_per_inference_nj {
                Some(e) if r.fits => e,
                _ => continue,
            }
        } else {
            r.weight_bytes as f64
        };
        // Energy does not depend on the architecture (the same operations at the same
        // cost), so a colour is a configuration, engine and weight width; points are
        // the trace widths and architectures (equal points drawn once).
        let label = format!("{} {}, {}-bit weights", r.config, r.engine, r.weight_bits);
        let y = 100.0 * r.test_accuracy;
        match series.iter_mut().find(|s| s.label == label) {
            Some(s) if s.points.contains(&(x, y)) => {}
            Some(s) => s.points.push((x, y)),
            None => series.push(Series::new(label, vec![(x, y)])),
        }
    }
    if series.is_empty() {
        return Err("no row to plot (no architecture fits any point)".into());
    }
    let axes = if with_energy {
        Axes {
            title: "Design space: accuracy against energy per inference",
            x: "energy per inference (nJ, log scale)",
            y: "test accuracy (%)",
        }
    } else {
        Axes {
            title: "Design space: accuracy against weight memory",
            x: "weight memory (bytes)",
            y: "test accuracy (%)",
        }
    };
    // Chance, when every point is a classification with the same number of classes.
    let chance = match rows.first().and_then(|r| r.classes) {
        Some(n) if rows.iter().all(|r| r.classes == Some(n)) => Some((n, 100.0 / n.max(1) as f64)),
        _ => None,
    };
    let label = chance.map(|(n, _)| format!("chance (1/{n})"));
    let line = chance.zip(label.as_deref()).map(|((_, y), l)| (y, l));
    plot::scatter_line(stem, &axes, &series, with_energy, line)
}

/// The columns of [`csv`], comma-separated.
const CSV_HEADER: &str = "config,seed,engine,weight_bits,trace_bits,arch,fits,test_accuracy,nmse,weight_bytes,learning_bytes,learning_per_synapse_bytes,sram_bytes,cycles_per_step,realtime_clock_mhz,energy_per_inference_nj,energy_per_training_sample_nj,train_seconds,success_rate";

/// The rows as CSV (written by the `csv` crate through the experiments' writer: a field that needs
/// quotes, such as a configuration name with a comma, is quoted).
pub fn csv(rows: &[SweepRow]) -> String {
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let cells: [&dyn std::fmt::Display; 19] = [
                &r.config,
                &r.seed,
                &r.engine,
                &r.weight_bits,
                &r.trace_bits,
                &r.arch,
                &r.fits,
                &format!("{:.4}", r.test_accuracy),
                &optf(r.nmse, 4),
                &r.weight_bytes,
                &r.learning_bytes,
                &r.learning_per_synapse_bytes,
                &opt(r.sram_bytes),
                &optf(r.cycles_per_step, 1),
                &optf(r.realtime_clock_mhz, 3),
                &optf(r.energy_per_inference_nj, 1),
                &optf(r.energy_per_training_sample_nj, 1),
                &format!("{:.1}", r.train_seconds),
                &optf(r.success_rate, 4),
            ];
            cells.iter().map(ToString::to_string).collect()
        })
        .collect();
    let header: Vec<&str> = CSV_HEADER.split(',').collect();
    crate::experiment::arms::csv(&header, &rows)
}

/// The rows as a Markdown table; with a seed column when the rows have more than
/// one seed.
pub fn markdown(rows: &[SweepRow]) -> String {
    let seeded = rows
        .first()
        .is_some_and(|f| rows.iter().any(|r| r.seed != f.seed));
    let (seed_head, seed_rule) = if seeded {
        (" seed |", "---|")
    } else {
        ("", "")
    };
    let mut s = format!(
        "| task |{seed_head} engine | weight bits | trace bits | arch | test accuracy | NMSE | weights (B) | learning state (B) | of which per synapse (B) | SRAM (B) | cycles/step | real-time clock (MHz) | energy/inference (nJ) |\n|---|{seed_rule}---|---|---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for r in rows {
        let arch = if r.arch.is_empty() {
            "–".to_string()
        } else if r.fits {
            r.arch.clone()
        } else {
            format!("{} (does not fit)", r.arch)
        };
        let dash = |v: String| if v.is_empty() { "–".to_string() } else { v };
        let seed = if seeded {
            format!(" {} |", r.seed)
        } else {
            String::new()
        };
        s.push_str(&format!(
            "| {} |{seed} {} | {} | {} | {} | {:.1}% | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            r.config,
            r.engine,
            r.weight_bits,
            r.trace_bits,
            arch,
            100.0 * r.test_accuracy,
            dash(optf(r.nmse, 4)),
            r.weight_bytes,
            r.learning_bytes,
            r.learning_per_synapse_bytes,
            dash(opt(r.sram_bytes)),
            dash(optf(r.cycles_per_step, 1)),
            dash(optf(r.realtime_clock_mhz, 3)),
            dash(optf(r.energy_per_inference_nj, 1)),
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use neurochip_emu::LayerRates;

    fn row() -> SweepRow {
        SweepRow {
            config: "cue".into(),
            seed: 1,
            engine: "eprop".into(),
            weight_bits: 8,
            trace_bits: 12,
            arch: "small".into(),
            fits: true,
            fit_error: None,
            test_accuracy: 0.87654,
            nmse: None,
            weight_bytes: 1024,
            learning_bytes: 2048,
            learning_per_synapse_bytes: 512,
            sram_bytes: Some(4096),
            cycles_per_step: Some(123.45),
            realtime_clock_mhz: Some(0.5),
            energy_per_inference_nj: Some(10.0),
            energy_per_training_sample_nj: None,
            train_seconds: 1.25,
            classes: Some(2),
            digest: "0123456789abcdef".into(),
            success_rate: None,
        }
    }

    #[test]
    fn csv_has_the_header_and_a_line_per_row() {
        let header = "config,seed,engine,weight_bits,trace_bits,arch,fits,test_accuracy,nmse,weight_bytes,learning_bytes,learning_per_synapse_bytes,sram_bytes,cycles_per_step,realtime_clock_mhz,energy_per_inference_nj,energy_per_training_sample_nj,train_seconds,success_rate\n";
        assert_eq!(
            csv(&[row()]),
            format!("{header}cue,1,eprop,8,12,small,true,0.8765,,1024,2048,512,4096,123.5,0.500,10.0,,1.2,\n")
        );
        let mut odd = row();
        odd.config = "cue, short".into();
        assert!(csv(&[odd]).contains("\n\"cue, short\",1,eprop,"));
    }

    /// A point on the other engine learns at that engine's rates when the file gives
    /// some: `examples/kws.toml` switched to light takes its `[learning.light]`.
    #[test]
    fn a_point_switches_to_the_engines_own_rates() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/kws.toml");
        let c = neurochip_emu::config::load(&path).unwrap_or_else(|e| panic!("{e}"));
        let at = |engine| {
            let p = Point {
                engine,
                weight_bits: c.formats.weight_bits,
                trace_bits: c.formats.trace_bits,
                seed: 3,
            };
            let c = p.apply(&c);
            (
                c.learning.engine,
                c.learning.rates,
                c.train.halve_rates_every,
            )
        };
        let rates = |eta, eta_out| LayerRates {
            eta_out,
            eta_bias: 1e-8,
            ..LayerRates::uniform(eta)
        };
        assert_eq!(at(Engine::Exact), (Engine::Exact, rates(1e-4, 1e-5), 0));
        assert_eq!(at(Engine::Light), (Engine::Light, rates(4e-4, 4e-5), 2));
    }

    /// A file switched to the engine of its table trains the chip that a file naming
    /// that engine, with the table's rates as its own, trains: the same digest.
    #[test]
    fn a_switched_point_trains_what_its_table_says() {
        let file = |learning: &str, halve: u32| {
            let text = format!(
                "[network]\ninputs = 40\nneurons = 16\noutputs = 2\n\
                 [task]\nkind = \"cue\"\nn_cues = 3\ndelay_ms = 100\n\
                 [learning]\n{learning}\n\
                 [train]\nepochs = 2\ntrain_samples = 4\ntest_samples = 2\n\
                 halve_rates_every = {halve}\n"
            );
            neurochip_emu::config::parse(&text, "x.toml").unwrap_or_else(|e| panic!("{e}"))
        };
        let table = "engine = \"exact\"\neta = 1e-4\n\
                     [learning.light]\neta = 4e-4\neta_out = 1e-3\nhalve_rates_every = 1";
        let own = "engine = \"light\"\neta = 4e-4\neta_out = 1e-3";
        let digest = |c: &Config| {
            run_point(c, &[]).unwrap_or_else(|e| panic!("{e}"))[0]
                .digest
                .clone()
        };
        let point = Point {
            engine: Engine::Light,
            weight_bits: 8,
            trace_bits: 12,
            seed: 1,
        };
        let switched = point.apply(&file(table, 0));
        assert_eq!(digest(&switched), digest(&file(own, 1)));
        // And the table is what made the difference.
        assert_ne!(
            digest(&switched),
            digest(&point.apply(&file("engine = \"exact\"\neta = 1e-4", 0)))
        );
    }
}
