//! Run folders: where `run`, `verify` and `experiment` leave their reports and plots.
//!
//! A run folder (`runs/<name>-<timestamp>/`, or `--out DIR`) holds `report.json`
//! (every figure the command printed), `summary.md` (the same, for a person, with the
//! figures inline) and the plots, each as PNG and SVG:
//!
//! | file | what |
//! |---|---|
//! | `raster` | input, recurrent and readout rows of one test sample |
//! | `membrane` | membranes of a few neurons, the chip beside the f64 reference |
//! | `curves` | loss and accuracy per epoch, chip (and reference, for verify) |
//! | `weights` | weight histogram before and after learning |
//! | `divergence` | chip against reference, membrane error per step (verify) |

use std::path::{Path, PathBuf};

use bitvec::prelude::*;
use neurochip_emu::{dequantize, HostChip};
use neurochip_ref::Reference;
use serde::Serialize;

use crate::plot::{self, Axes, RasterGroup, Series};
use crate::task::Task;
use crate::train::Epoch;

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

/// Create the run folder: `out` when given (it may exist), else
/// `runs/<name>-<timestamp>` (with `-2`, `-3`, ... when that exists already).
pub fn create(out: Option<&Path>, name: &str) -> Result<PathBuf, String> {
    if let Some(dir) = out {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("{}: cannot create the run folder: {e}", dir.display()))?;
        return Ok(dir.to_path_buf());
    }
    let base = default_folder(name);
    if let Some(parent) = base.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("{}: cannot create the run folder: {e}", parent.display()))?;
    }
    let mut k = 1;
    loop {
        let dir = if k == 1 {
            base.clone()
        } else {
            PathBuf::from(format!("{}-{k}", base.display()))
        };
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && k < 1000 => k += 1,
            Err(e) => {
                return Err(format!(
                    "{}: cannot create the run folder: {e}",
                    dir.display()
                ))
            }
        }
    }
}

/// One test sample as the chip and the f64 reference (on the chip's dequantised
/// weights) saw it: what the raster, membrane and divergence plots draw.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Probe {
    /// Steps of the sample.
    pub steps: u32,
    /// Spike times per input channel.
    pub input: Vec<Vec<u32>>,
    /// Spike times per recurrent neuron (chip).
    pub recurrent: Vec<Vec<u32>>,
    /// Per readout, the steps at which it leads (largest value) on the chip.
    pub readout_lead: Vec<Vec<u32>>,
    /// Neurons whose membranes are drawn (the most active ones).
    pub neurons: Vec<usize>,
    /// Their membranes on the chip, per step, in units of their threshold.
    pub v_chip: Vec<Vec<f64>>,
    /// The same on the reference.
    pub v_ref: Vec<Vec<f64>>,
    /// RMS membrane difference over all neurons per step, in thresholds.
    pub divergence: Vec<f64>,
    /// Neurons whose spike differs between chip and reference, per step.
    pub spike_mismatch: Vec<u32>,
    /// Readout values per output per step (chip), real units.
    pub readout: Vec<Vec<f64>>,
    /// The same on the reference.
    pub readout_ref: Vec<Vec<f64>>,
}

/// Run sample `id` of `task` on a copy of `chip` (learning circuits idle: the copy is
/// dropped) and on the f64 reference with the copy's dequantised weights.
pub fn probe(chip: &HostChip, task: &Task, id: u64) -> Probe {
    let mut c = chip.clone();
    let net = dequantize(&mut c);
    let thr = net.thr.clone();
    let mut r = Reference::new(net);
    let cfg = *c.config();
    let (n_in, n, o) = (task.n_inputs(), cfg.n_rec(), cfg.n_out());
    let m_lsb = cfg.formats().membrane.lsb();
    let ro_lsb = cfg.formats().readout.lsb();
    c.reset_state();
    r.reset_state();
    let steps = task.steps(id);
    let mut p = Probe {
        steps,
        input: vec![Vec::new(); n_in],
        recurrent: vec![Vec::new(); n],
        readout_lead: vec![Vec::new(); o],
        readout: vec![Vec::new(); o],
        readout_ref: vec![Vec::new(); o],
        ..Probe::default()
    };
    let mut x = bitvec![u32, Lsb0; 0; n_in];
    let mut xb = vec![false; n_in];
    let mut v_all_chip: Vec<Vec<f64>> = vec![Vec::new(); n];
    let mut v_all_ref: Vec<Vec<f64>> = vec![Vec::new(); n];
    for t in 0..steps {
        task.spikes(id, t, &mut x);
        for (b, v) in xb.iter_mut().zip(x.iter().by_vals()) {
            *b = v;
        }
        for i in x.iter_ones() {
            p.input[i].push(t);
        }
        if c.step(&x).is_err() {
            break;
        }
        r.step(&xb);
        let mem = c.mem();
        let (mut se, mut mism) = (0.0, 0u32);
        for j in 0..n {
            if mem.z[j] {
                p.recurrent[j].push(t);
            }
            if mem.z[j] != r.z[j] {
                mism += 1;
            }
            let th = thr[j].abs().max(f64::MIN_POSITIVE);
            let vc = f64::from(mem.v[j]) * m_lsb / th;
            let vr = r.v[j] / th;
            se += (vc - vr) * (vc - vr);
            v_all_chip[j].push(vc);
            v_all_ref[j].push(vr);
        }
        p.divergence.push((se / n.max(1) as f64).sqrt());
        p.spike_mismatch.push(mism);
        let mut lead = (0, i32::MIN);
        for (k, &y) in mem.y.iter().enumerate() {
            if y > lead.1 {
                lead = (k, y);
            }
            p.readout[k].push(f64::from(y) * ro_lsb);
            p.readout_ref[k].push(r.y[k]);
        }
        if o > 0 {
            p.readout_lead[lead.0].push(t);
        }
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by_key(|&j| (std::cmp::Reverse(p.recurrent[j].len()), j));
    p.neurons = order.into_iter().take(3).collect();
    p.neurons.sort_unstable();
    for &j in &p.neurons {
        p.v_chip.push(std::mem::take(&mut v_all_chip[j]));
        p.v_ref.push(std::mem::take(&mut v_all_ref[j]));
    }
    p
}

/// [`probe`] on the first sample of the chip and task that `cfg` builds (inference
/// runs: the chip as configured).
pub fn probe_config(cfg: &crate::config::Config) -> Result<Probe, crate::build::BuildError> {
    let task = crate::build::task(cfg)?;
    let (_, chip) = crate::build::chip(cfg)?;
    Ok(probe(&chip, &task, 0))
}

/// Every weight of a chip (input, recurrent, readout), in weight LSBs.
pub fn weights(chip: &mut HostChip) -> Vec<f64> {
    let mem = chip.mem();
    mem.w_in
        .iter()
        .chain(mem.w_rec.iter())
        .chain(mem.w_out.iter())
        .map(|&w| f64::from(w))
        .collect()
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
}

/// Write `report.json`, the plots and `summary.md` into `dir`. Plot failures (no
/// font, say) are listed in the summary and returned as warnings; the report is
/// written regardless.
pub fn write(
    dir: &Path,
    title: &str,
    command: &str,
    report: &serde_json::Value,
    figs: &Figures<'_>,
) -> Result<Vec<String>, String> {
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
            raster(dir, p),
        );
        try_plot(
            "membrane",
            "Membranes of the three most active neurons over the first 300 steps of that sample: the fixed-point chip (solid) beside the f64 reference on the same weights (dashed).",
            membrane(dir, p),
        );
    }
    if let Some(c) = figs.chip_curve {
        if !c.is_empty() {
            try_plot(
                "accuracy",
                "Accuracy per epoch, on the training samples (while learning) and the test samples.",
                curves(dir, c, figs.ref_curve, true),
            );
            try_plot(
                "loss",
                "Loss per epoch (cross-entropy per target step, or mean squared error).",
                curves(dir, c, figs.ref_curve, false),
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
                plot::lines(
                    &dir.join("divergence"),
                    &Axes {
                        title: &format!("Chip against f64 reference ({what})"),
                        x: "step",
                        y: "RMS membrane error (thresholds)",
                    },
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
    crate::export::write_atomic(path, bytes)
        .map_err(|e| format!("{}: cannot write: {e}", path.display()))
}

fn raster(dir: &Path, p: &Probe) -> Result<(), String> {
    // Keep the picture legible: at most 64 rows per group.
    let cap = |rows: &[Vec<u32>]| -> Vec<Vec<u32>> { rows.iter().take(64).cloned().collect() };
    let groups = [
        RasterGroup {
            label: "input".into(),
            rows: cap(&p.input),
        },
        RasterGroup {
            label: "recurrent".into(),
            rows: cap(&p.recurrent),
        },
        RasterGroup {
            label: "readout lead".into(),
            rows: p.readout_lead.clone(),
        },
    ];
    plot::raster(
        &dir.join("raster"),
        &Axes {
            title: "Spike raster of one test sample (chip)",
            x: "step (1 ms)",
            y: "",
        },
        &groups,
        p.steps,
    )
}

/// Steps the membrane plot shows (longer samples are cut so single spikes stay
/// visible).
pub const MEMBRANE_STEPS: usize = 300;

fn membrane(dir: &Path, p: &Probe) -> Result<(), String> {
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
    plot::lines(
        &dir.join("membrane"),
        &Axes {
            title: &format!(
                "Membrane potential, first {} steps: chip and f64 reference",
                MEMBRANE_STEPS.min(p.steps as usize)
            ),
            x: "step (1 ms)",
            y: "membrane (units of the base threshold)",
        },
        &series,
    )
}

fn curves(
    dir: &Path,
    chip: &[Epoch],
    reference: Option<&[Epoch]>,
    acc: bool,
) -> Result<(), String> {
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
    let (name, title, y) = if acc {
        (
            "accuracy",
            "Accuracy per epoch",
            "accuracy (fraction correct)",
        )
    } else {
        ("loss", "Loss per epoch", "loss")
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

| figure | value |
|---|---|
"
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
        for (name, caption) in plots {
            let _ = write!(
                md,
                "
{caption}

![{name}]({name}.png)
"
            );
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
