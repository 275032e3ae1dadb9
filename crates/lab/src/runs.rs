//! Run folders: where `run`, `verify` and `experiment` leave their reports and plots.
//!
//! A run folder (`runs/<name>-<timestamp>/`, or `--out DIR`) holds `report.json`
//! (every figure the command printed, and where it came from: the configuration's
//! `seed`, the `neurochip_version` and the `command` line), `summary.md` (the same,
//! for a person, with the figures inline), `config.toml` (the configuration file as
//! given, byte for byte) and the plots, each as PNG and SVG:
//!
//! | file | what |
//! |---|---|
//! | `raster` | input, recurrent and readout rows of one test sample |
//! | `membrane` | membranes of a few neurons, the chip beside the f64 reference |
//! | `curves` | loss and accuracy per epoch, chip (and reference, for verify) |
//! | `weights` | weight histogram before and after learning |
//! | `divergence` | chip against reference, membrane error per step (verify) |

use std::path::{Path, PathBuf};

pub use neurochip_emu::outputs::{OutputError, RunDir};

pub use neurochip_emu::confusion::{confusion, Confusion};
pub use neurochip_emu::probe::{probe, probe_config, weights, Probe};

use crate::plot::{self, Axes, RasterGroup, Series};
use neurochip_emu::train::Epoch;

/// `runs/<name>-<UTC timestamp>` (relative to the working directory).
pub fn default_folder(name: &str) -> PathBuf {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    PathBuf::from("runs").join(format!("{}-{}", sanitize(name), timestamp(secs)))
}

fn sanitize(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// `YYYYMMDD-HHMMSS` (UTC) for seconds since the Unix epoch.
pub fn timestamp(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}{m:02}{d:02}-{:02}{:02}{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Claim the run folder ([`RunDir::claim`]): `out` when given (new, or empty unless
/// `force`), else a new `runs/<name>-<timestamp>` (with `-2`, `-3`, ... when that
/// is taken). It is locked while the returned [`RunDir`] lives, and removed again
/// if the command writes nothing into it.
pub fn claim(out: Option<&Path>, name: &str, force: bool) -> Result<RunDir, OutputError> {
    if let Some(dir) = out {
        return RunDir::claim(dir, force);
    }
    let base = default_folder(name);
    let mut k = 1;
    loop {
        let dir = if k == 1 {
            base.clone()
        } else {
            PathBuf::from(format!("{}-{k}", base.display()))
        };
        match RunDir::claim(&dir, false) {
            Err(OutputError::NotEmpty { .. } | OutputError::Locked { .. }) if k < 1000 => k += 1,
            r => return r,
        }
    }
}

/// Where a command leaves its run folder, claimed before it runs so an unusable
/// folder is refused before any work ([`claim`]), or none (`--no-out`); with the
/// title of its summary and what its provenance records of the configuration.
pub struct RunFolder {
    /// The folder, unless none was asked for.
    dir: Option<RunDir>,
    /// The title of its summary (`neurochip run: NAME`).
    title: String,
    /// The configuration's seed, for the report.
    seed: u64,
    /// The configuration file as given, for `config.toml`.
    config: Vec<u8>,
}

impl RunFolder {
    /// Claim the folder of `neurochip COMMAND` on the configuration called `name` with
    /// master seed `seed`, read from the bytes `config`: at `place` (`--out` or the
    /// default, and `--force`), or none when `place` is `None`.
    pub fn claim(
        place: Option<(Option<&Path>, bool)>,
        command: &str,
        name: &str,
        seed: u64,
        config: Vec<u8>,
    ) -> Result<Self, OutputError> {
        let dir = match place {
            Some((out, force)) => Some(claim(out, name, force)?),
            None => None,
        };
        Ok(Self {
            dir,
            title: format!("neurochip {command}: {name}"),
            seed,
            config,
        })
    }

    /// The folder, when there is one.
    pub fn path(&self) -> Option<&Path> {
        self.dir.as_ref().map(RunDir::path)
    }

    /// For a run that cannot stop between samples: on SIGINT or SIGTERM, release the
    /// folder (its lock; the folder itself while empty) and exit 130 or 143.
    pub fn release_on_signal(&self) -> Result<(), String> {
        match &self.dir {
            Some(d) => neurochip_emu::stop::exit_on_signal(d.release()),
            None => neurochip_emu::stop::exit_on_signal(|| {}),
        }
    }

    /// Write the report, the summary and the figures ([`write()`]) of a run of
    /// neurochip `version` typed as `command`, when there is a folder; the plots that
    /// could not be drawn.
    pub fn write<T: serde::Serialize>(
        &self,
        report: &T,
        figs: &Figures<'_>,
        (command, version): (&str, &str),
    ) -> Result<Vec<String>, String> {
        let Some(dir) = &self.dir else {
            return Ok(Vec::new());
        };
        let value = serde_json::to_value(report).map_err(|e| e.to_string())?;
        let prov = Provenance {
            command,
            version,
            seed: Some(self.seed),
            config: Some(&self.config),
        };
        write(dir.path(), &self.title, &prov, &value, figs)
    }
}

/// What goes into a run folder besides the report.
#[derive(Default)]
pub struct Figures<'a> {
    /// One test sample, chip and reference.
    pub probe: Option<&'a Probe>,
    /// Chip epochs.
    pub chip_curve: Option<&'a [Epoch]>,
    /// Reference epochs (verify).
    pub ref_curve: Option<&'a [Epoch]>,
    /// Weights before and after learning, LSBs.
    pub weights: Option<(&'a [f64], &'a [f64])>,
    /// Divergence per step over a whole verify run (thresholds), drawn instead of
    /// the probe's when given.
    pub divergence: Option<&'a [f64]>,
    /// The plot of the divergence is wanted (verify).
    pub verify: bool,
    /// The time step, ms, for the time axes (0: axes in steps only).
    pub dt_ms: f64,
    /// The confusion matrix of the test samples (classification).
    pub confusion: Option<&'a Confusion>,
}

/// The x axis of a plot over time steps: with the step's length when known.
fn step_axis(dt_ms: f64) -> String {
    if dt_ms > 0.0 {
        format!("step ({} ms)", plot::tick(&dt_ms))
    } else {
        "step".into()
    }
}

/// Lines over time steps, drawn as `dir/name`.
fn over_steps(
    dir: &Path,
    name: &str,
    (title, y): (&str, &str),
    dt_ms: f64,
    series: &[Series],
) -> Result<(), String> {
    let x = step_axis(dt_ms);
    plot::lines(&dir.join(name), &Axes { title, x: &x, y }, series)
}

/// Where a run came from, kept in its folder.
#[derive(Clone, Copy, Debug, Default)]
pub struct Provenance<'a> {
    /// The command line as typed.
    pub command: &'a str,
    /// The neurochip version that ran it.
    pub version: &'a str,
    /// The configuration's master seed.
    pub seed: Option<u64>,
    /// The configuration file as given, copied to `config.toml` byte for byte.
    pub config: Option<&'a [u8]>,
}

impl Provenance<'_> {
    /// `report` with `seed`, `neurochip_version` and `command` added (an object;
    /// anything else is returned as it is).
    pub fn stamp(&self, report: &serde_json::Value) -> serde_json::Value {
        let mut r = report.clone();
        if let Some(obj) = r.as_object_mut() {
            if let Some(seed) = self.seed {
                obj.insert("seed".into(), seed.into());
            }
            obj.insert("neurochip_version".into(), self.version.into());
            obj.insert("command".into(), self.command.into());
        }
        r
    }
}

/// Write `config.toml`, `report.json` (stamped with the [`Provenance`]), the plots
/// and `summary.md` into `dir`. Plot failures (no font, say) are listed in the
/// summary and returned as warnings; the report is written regardless.
pub fn write(
    dir: &Path,
    title: &str,
    prov: &Provenance<'_>,
    report: &serde_json::Value,
    figs: &Figures<'_>,
) -> Result<Vec<String>, String> {
    if let Some(bytes) = prov.config {
        put(&dir.join("config.toml"), bytes)?;
    }
    let report = &prov.stamp(report);
    let command = prov.command;
    let json = serde_json::to_string_pretty(report).map_err(|e| e.to_string())?;
    put(&dir.join("report.json"), json.as_bytes())?;
    let mut plots: Vec<(&str, &str)> = Vec::new();
    let mut warnings = Vec::new();
    let mut try_plot = |name: &'static str, caption: &'static str, r: Result<(), String>| match r {
        Ok(()) => plots.push((name, caption)),
        Err(e) => warnings.push(format!("{name}: {e}")),
    };
    if let Some(p) = figs.probe {
        try_plot(
            "raster",
            "Spikes of one test sample: input channels, recurrent neurons, and which readout leads at each step.",
            raster(dir, p, figs.dt_ms),
        );
        try_plot(
            "membrane",
            "Membranes of the three most active neurons over the first 300 steps of that sample: the fixed-point chip (solid) beside the f64 reference on the same weights (dashed).",
            membrane(dir, p, figs.dt_ms),
        );
        if !p.target.is_empty() {
            try_plot(
                "readout",
                "Readout against target over one test sample (regression): the chip's readouts (solid) and the targets they learn (dashed), up to three outputs.",
                readout(dir, p, figs.dt_ms),
            );
        }
    }
    let classes = figs.probe.and_then(|p| p.classes);
    if let Some(c) = figs.chip_curve {
        if !c.is_empty() {
            try_plot(
                "accuracy",
                "Accuracy per epoch, on the training samples (while learning) and the test samples.",
                curves(dir, c, figs.ref_curve, Some(classes)),
            );
            try_plot(
                "loss",
                "Loss per epoch (cross-entropy per target step, or mean squared error).",
                curves(dir, c, figs.ref_curve, None),
            );
        }
    }
    if let Some((before, after)) = figs.weights {
        try_plot(
            "weights",
            "All weights (input, recurrent, readout) before and after learning, in weight LSBs.",
            plot::histograms(
                &dir.join("weights"),
                &Axes {
                    title: "Weights before and after learning",
                    x: "weight (LSB)",
                    y: "synapses",
                },
                &[("before", before), ("after", after)],
                60,
            ),
        );
    }
    if let Some(c) = figs.confusion {
        try_plot(
            "confusion",
            "Confusion matrix of the trained chip on the test samples: rows the true class, columns the predicted one, shaded by the row's fraction.",
            plot::confusion(
                &dir.join("confusion"),
                &format!(
                    "{} test samples, {:.1}% correct",
                    c.total(),
                    100.0 * c.accuracy()
                ),
                &c.classes,
                &c.counts,
            ),
        );
    }
    if figs.verify {
        let (d, what): (Vec<f64>, &str) = match (figs.divergence, figs.probe) {
            (Some(d), _) => (d.to_vec(), "every verified step"),
            (None, Some(p)) => (p.divergence.clone(), "one test sample"),
            (None, None) => (Vec::new(), ""),
        };
        if !d.is_empty() {
            let pts = d.iter().enumerate().map(|(t, &v)| (t as f64, v)).collect();
            try_plot(
                "divergence",
                "RMS membrane difference between the chip and the f64 reference over all neurons, per step, in units of the threshold.",
                over_steps(
                    dir,
                    "divergence",
                    (
                        &format!("Chip against f64 reference ({what})"),
                        "RMS membrane error (thresholds)",
                    ),
                    figs.dt_ms,
                    &[Series::new("chip - reference", pts)],
                ),
            );
        }
    }
    let md = summary(title, command, report, &plots, &warnings);
    put(&dir.join("summary.md"), md.as_bytes())?;
    Ok(warnings)
}

fn put(path: &Path, bytes: &[u8]) -> Result<(), String> {
    neurochip_emu::export::write_atomic(path, bytes)
        .map_err(|e| format!("{}: cannot write: {e}", path.display()))
}

fn raster(dir: &Path, p: &Probe, dt_ms: f64) -> Result<(), String> {
    // Keep the picture legible: at most 64 rows per group (the label says so).
    let cap = |rows: &[Vec<u32>]| -> Vec<Vec<u32>> { rows.iter().take(64).cloned().collect() };
    let groups = [
        RasterGroup {
            label: "input".into(),
            rows: cap(&p.input),
            of: p.input.len(),
        },
        RasterGroup {
            label: "recurrent".into(),
            rows: cap(&p.recurrent),
            of: p.recurrent.len(),
        },
        RasterGroup {
            label: "readout lead".into(),
            rows: p.readout_lead.clone(),
            of: p.readout_lead.len(),
        },
    ];
    plot::raster(
        &dir.join("raster"),
        &Axes {
            title: "Spike raster of one test sample (chip)",
            x: &step_axis(dt_ms),
            y: "",
        },
        &groups,
        p.steps,
    )
}

/// Steps the membrane plot shows (longer samples are cut so single spikes stay
/// visible).
pub const MEMBRANE_STEPS: usize = 300;

fn membrane(dir: &Path, p: &Probe, dt_ms: f64) -> Result<(), String> {
    let mut series = Vec::new();
    for (i, &j) in p.neurons.iter().enumerate() {
        let pts = |v: &[f64]| {
            v.iter()
                .take(MEMBRANE_STEPS)
                .enumerate()
                .map(|(t, &x)| (t as f64, x))
                .collect()
        };
        series.push(Series::new(format!("neuron {j}, chip"), pts(&p.v_chip[i])).colour(i));
        series.push(Series::dashed(format!("neuron {j}, f64"), pts(&p.v_ref[i])).colour(i));
    }
    let title = format!(
        "Membrane potential, first {} steps: chip and f64 reference",
        MEMBRANE_STEPS.min(p.steps as usize)
    );
    let y = "membrane (units of the base threshold)";
    over_steps(dir, "membrane", (&title, y), dt_ms, &series)
}

/// Readouts against their targets (regression), up to three outputs.
fn readout(dir: &Path, p: &Probe, dt_ms: f64) -> Result<(), String> {
    let pts = |v: &[f64]| v.iter().enumerate().map(|(t, &y)| (t as f64, y)).collect();
    let mut series = Vec::new();
    for (k, (y, t)) in p.readout.iter().zip(&p.target).take(3).enumerate() {
        series.push(Series::new(format!("readout {k}, chip"), pts(y)).colour(k));
        series.push(Series::dashed(format!("target {k}"), pts(t)).colour(k));
    }
    let title = "Readout against target, one test sample";
    over_steps(
        dir,
        "readout",
        (title, "readout (real units)"),
        dt_ms,
        &series,
    )
}

/// Accuracy (`acc` = `Some(classes)`: `Some(n)` for `n` classes, with the chance
/// line; `None` inside for regression, where the score is `1 - NMSE`) or the loss
/// (`acc` = `None`) per epoch.
fn curves(
    dir: &Path,
    chip: &[Epoch],
    reference: Option<&[Epoch]>,
    acc: Option<Option<usize>>,
) -> Result<(), String> {
    let classes = acc.flatten();
    let acc = acc.is_some();
    let get = |e: &Epoch, test: bool| {
        let s = if test { e.test } else { e.train };
        if acc {
            s.accuracy
        } else {
            s.loss
        }
    };
    let line = |eps: &[Epoch], test: bool| -> Vec<(f64, f64)> {
        eps.iter()
            .map(|e| (f64::from(e.epoch), get(e, test)))
            .collect()
    };
    let mut s = vec![
        Series::new("chip, test", line(chip, true)).colour(0),
        Series::dashed("chip, train", line(chip, false)).colour(0),
    ];
    if let Some(r) = reference {
        s.push(Series::new("f64 reference, test", line(r, true)).colour(1));
        s.push(Series::dashed("f64 reference, train", line(r, false)).colour(1));
    }
    if let (true, Some(n)) = (acc, classes) {
        let chance = 1.0 / n.max(1) as f64;
        let xs = chip.iter().map(|e| f64::from(e.epoch));
        let (lo, hi) = (
            xs.clone().fold(f64::MAX, f64::min),
            xs.fold(f64::MIN, f64::max),
        );
        s.push(
            Series::dashed(format!("chance (1/{n})"), vec![(lo, chance), (hi, chance)]).colour(6),
        );
    }
    let regression = chip.first().is_some_and(|e| e.test.nmse.is_some());
    let (name, title, y) = match (acc, regression) {
        (true, false) => (
            "accuracy",
            "Accuracy per epoch",
            "accuracy (fraction correct)",
        ),
        (true, true) => (
            "accuracy",
            "Score per epoch (regression)",
            "1 - NMSE (clipped at 0)",
        ),
        (false, false) => ("loss", "Loss per epoch", "cross-entropy per target step"),
        (false, true) => ("loss", "Loss per epoch", "mean squared error per step"),
    };
    let axes = Axes {
        title,
        x: "epoch",
        y,
    };
    if acc {
        plot::lines_y(&dir.join(name), &axes, &s, 0.0..1.02)
    } else {
        plot::lines(&dir.join(name), &axes, &s)
    }
}

/// `summary.md`: the scalar figures of the report as a table, the per-epoch scores,
/// and the plots inline.
pub fn summary(
    title: &str,
    command: &str,
    report: &serde_json::Value,
    plots: &[(&str, &str)],
    warnings: &[String],
) -> String {
    use std::fmt::Write;
    let mut md = format!(
        "# {title}

`{command}`
"
    );
    if let Some(line) = interrupted_line(report) {
        let _ = write!(md, "\n{line}\n");
    }
    md.push_str(
        "
| figure | value |
|---|---|
",
    );
    if let Some(obj) = report.as_object() {
        for (k, v) in obj {
            let cell = match v {
                serde_json::Value::Number(n) => match n.as_f64() {
                    Some(f) if n.is_f64() => format!("{f:.4}"),
                    _ => n.to_string(),
                },
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Bool(b) => b.to_string(),
                serde_json::Value::Null => "—".into(),
                serde_json::Value::Object(o) if o.values().all(|x| x.is_number()) => o
                    .iter()
                    .map(|(a, b)| format!("{a} {b}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                _ => continue,
            };
            let _ = writeln!(md, "| {} | {cell} |", k.replace('_', " "));
        }
        for key in ["epochs", "chip_curve", "ref_curve"] {
            if let Some(serde_json::Value::Array(eps)) = obj.get(key) {
                if eps.is_empty() {
                    continue;
                }
                let _ = writeln!(
                    md,
                    "
## {}

| epoch | train loss | train acc | test loss | test acc |
|---|---|---|---|---|",
                    match key {
                        "ref_curve" => "f64 reference, per epoch",
                        _ => "chip, per epoch",
                    }
                );
                for e in eps {
                    let f = |a: &str, b: &str| e[a][b].as_f64().unwrap_or(f64::NAN);
                    let _ = writeln!(
                        md,
                        "| {} | {:.4} | {:.3} | {:.4} | {:.3} |",
                        e["epoch"],
                        f("train", "loss"),
                        f("train", "accuracy"),
                        f("test", "loss"),
                        f("test", "accuracy")
                    );
                }
            }
        }
    }
    if !plots.is_empty() {
        md.push_str(
            "
## Plots
",
        );
        // The confusion matrix's counts go under its picture (the report's
        // `confusion`).
        let confusion = report
            .get("confusion")
            .and_then(|v| serde_json::from_value::<Confusion>(v.clone()).ok());
        for (name, caption) in plots {
            let _ = write!(
                md,
                "
{caption}

![{name}]({name}.png)
"
            );
            if let (true, Some(c)) = (*name == "confusion", &confusion) {
                let _ = write!(md, "\n{}", c.markdown());
            }
        }
    }
    if !warnings.is_empty() {
        md.push_str(
            "
## Plots not drawn

",
        );
        for w in warnings {
            let _ = writeln!(md, "- {w}");
        }
    }
    md
}

/// The line `summary.md` shows under its title when the report says `"interrupted":
/// true`.
fn interrupted_line(report: &serde_json::Value) -> Option<String> {
    if report.get("interrupted") != Some(&serde_json::Value::Bool(true)) {
        return None;
    }
    let signal = report
        .get("signal")
        .and_then(|s| s.as_str())
        .unwrap_or("a signal");
    let finished = report
        .get("epochs")
        .and_then(|e| e.as_array())
        .map_or(0, Vec::len);
    let done = report
        .get("epochs_done")
        .map_or_else(|| "?".to_string(), |d| d.to_string());
    Some(format!(
        "**Interrupted** by {signal}: training stopped after {finished} finished epoch(s) \
         ({done} done in all). The scores and plots are those of the finished epochs; a \
         `--save` snapshot holds the chip after the last of them."
    ))
}

/// What a training run's folder draws besides its curves ([`learned`]).
pub struct Learned {
    /// A test sample probed on the trained chip.
    pub probe: Probe,
    /// Every weight before learning (the chip the configuration builds), LSBs.
    pub before: Vec<f64>,
    /// Every weight after learning, LSBs.
    pub after: Vec<f64>,
    /// The trained chip's confusion matrix on the plan's test samples
    /// (classification tasks).
    pub confusion: Option<Confusion>,
}

impl Learned {
    /// The figures of these, for [`write()`].
    pub fn figures(&self, dt_ms: f64) -> Figures<'_> {
        Figures {
            probe: Some(&self.probe),
            weights: Some((&self.before, &self.after)),
            confusion: self.confusion.as_ref(),
            dt_ms,
            ..Default::default()
        }
    }
}

/// The figures of an inference run's folder: a test sample of `cfg` probed, handed
/// to `write`.
pub fn with_probe<R>(
    cfg: &neurochip_emu::config::Config,
    write: impl FnOnce(Figures<'_>) -> R,
) -> Result<R, neurochip_emu::build::BuildError> {
    let probe = probe_config(cfg)?;
    Ok(write(Figures {
        probe: Some(&probe),
        dt_ms: cfg.network.dt_ms,
        ..Default::default()
    }))
}

/// The figures of a training run's folder besides its curves ([`learned`]), handed
/// to `write`.
pub fn with_learned<R>(
    cfg: &neurochip_emu::config::Config,
    chip: &mut neurochip_emu::HostChip,
    confusion: Option<Confusion>,
    write: impl FnOnce(Figures<'_>) -> R,
) -> Result<R, neurochip_emu::build::BuildError> {
    let learned = learned(cfg, chip, confusion)?;
    Ok(write(learned.figures(cfg.network.dt_ms)))
}

/// What a training run's folder draws besides its curves: a test sample probed on the
/// trained `chip`, every weight before (the chip `cfg` builds) and after learning, and
/// the confusion matrix of a classification task's final test, as the training
/// scored it (`TrainReport::confusion`: the same samples and predictions as its test
/// accuracy, not a second pass).
pub fn learned(
    cfg: &neurochip_emu::config::Config,
    chip: &mut neurochip_emu::HostChip,
    confusion: Option<Confusion>,
) -> Result<Learned, neurochip_emu::build::BuildError> {
    let task = neurochip_emu::build::task(cfg)?;
    let (_, mut chip0) = neurochip_emu::build::chip(cfg)?;
    let probe = probe(chip, &task, neurochip_emu::task::Pick::Test(0));
    Ok(Learned {
        probe,
        before: weights(&mut chip0),
        after: weights(chip),
        confusion,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps() {
        assert_eq!(timestamp(0), "19700101-000000");
        assert_eq!(timestamp(951_782_400), "20000229-000000");
        assert_eq!(timestamp(1_795_000_000), "20261118-110640");
    }
}
