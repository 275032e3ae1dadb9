//! Helpers shared by the `reservoir`, `heterogeneity` and `dale` experiments: load an
//! example configuration, shrink its budget in quick mode, train many (arm, task,
//! seed) runs in parallel, and summarise them as mean and standard deviation.

use std::path::{Path, PathBuf};

use neurochip_emu::HostChip;
use rayon::prelude::*;
use serde::Serialize;

use neurochip_emu::config::{self, Config, TaskKind};
use neurochip_emu::learn::{train_chip, TrainReport};

/// The repository root: the working directory when it holds `examples/`, else the
/// checkout this binary was built from.
pub fn root() -> PathBuf {
    if Path::new("examples").is_dir() {
        PathBuf::from(".")
    } else {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
    }
}

/// `examples/<name>.toml`, with the digits data path made to work from any directory.
pub fn example(name: &str) -> Result<Config, String> {
    let root = root();
    let path = root.join("examples").join(format!("{name}.toml"));
    let mut cfg = config::load(&path).map_err(|e| e.to_string())?;
    if cfg.task.kind == TaskKind::Digits && !Path::new(&cfg.task.data).exists() {
        let alt = root.join(&cfg.task.data);
        if alt.exists() {
            cfg.task.data = alt.display().to_string();
        }
    }
    Ok(cfg)
}

/// Quick mode only: shorter cue trials (3 cues, 200 ms delay) so that a smoke run is
/// quick even in a debug build; the published figures use the example's trials.
pub fn shorten(cfg: &mut Config) {
    if cfg.task.kind == TaskKind::Cue {
        cfg.task.n_cues = 3;
        cfg.task.delay_ms = 200;
    }
}

/// The training budget of an experiment run.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Budget {
    /// Epochs.
    pub epochs: u32,
    /// Training samples per epoch.
    pub train_samples: u32,
    /// Test samples after each epoch.
    pub test_samples: u32,
}

impl Budget {
    /// `epochs` epochs of `train_samples` training and `test_samples` test samples.
    pub const fn new(epochs: u32, train_samples: u32, test_samples: u32) -> Self {
        Self {
            epochs,
            train_samples,
            test_samples,
        }
    }

    /// Put the budget into `cfg`.
    pub fn apply(&self, cfg: &mut Config) {
        cfg.train.epochs = self.epochs;
        cfg.train.train_samples = self.train_samples;
        cfg.train.test_samples = self.test_samples;
    }
}

/// One training run: which arm, task and seed, and its configuration.
#[derive(Clone, Debug)]
pub struct Job {
    /// Arm of the comparison (e.g. `full e-prop`).
    pub arm: String,
    /// Task label (e.g. `cue`).
    pub task: String,
    /// Seed.
    pub seed: u64,
    /// The configuration to train.
    pub cfg: Config,
}

/// The runs of a comparison: every task (with its full or quick budget; quick mode
/// also shortens cue trials, [`shorten`]) x every arm x every seed, the example
/// configuration changed by `set` for the arm.
pub fn grid<A: Copy>(
    tasks: &[(&str, &str, Budget, Budget)],
    arms: &[(&str, A)],
    seeds: &[u64],
    quick: bool,
    set: impl Fn(&mut Config, A),
) -> Result<Vec<Job>, String> {
    let mut jobs = Vec::new();
    for &(task, example, full, short) in tasks {
        let base = self::example(example)?;
        for &(arm, a) in arms {
            for &seed in seeds {
                let mut cfg = base.clone();
                if quick {
                    short.apply(&mut cfg);
                    shorten(&mut cfg);
                } else {
                    full.apply(&mut cfg);
                }
                cfg.seed = seed;
                set(&mut cfg, a);
                jobs.push(Job {
                    arm: arm.into(),
                    task: task.into(),
                    seed,
                    cfg,
                });
            }
        }
    }
    Ok(jobs)
}

/// A finished run.
pub struct Done {
    /// The job.
    pub job: Job,
    /// Its training report.
    pub report: TrainReport,
    /// The chip after training.
    pub chip: HostChip,
}

/// Train every job (in parallel), in the order given.
pub fn train_all(jobs: Vec<Job>) -> Result<Vec<Done>, String> {
    jobs.into_par_iter()
        .map(|job| {
            let (report, chip) = train_chip(&job.cfg, true, |_| {}).map_err(|e| e.to_string())?;
            Ok(Done { job, report, chip })
        })
        .collect()
}

/// The budget of each task that this run uses (quick or full), for `result.json`.
pub fn budgets(tasks: &[(&str, &str, Budget, Budget)], quick: bool) -> Vec<serde_json::Value> {
    tasks
        .iter()
        .map(|(t, _, f, q)| serde_json::json!({"task": t, "budget": if quick { q } else { f }}))
        .collect()
}

/// One run's JSON row: the keys of `head`, then the report's test accuracy, test loss
/// and activity, then the keys of `tail` (in that order: `result.json` keeps it).
pub fn json_row(
    head: serde_json::Value,
    r: &TrainReport,
    tail: serde_json::Value,
) -> serde_json::Value {
    let mut row = match head {
        serde_json::Value::Object(m) => m,
        _ => serde_json::Map::new(),
    };
    row.insert("test_accuracy".into(), r.test_accuracy.into());
    row.insert("test_loss".into(), r.test_loss.into());
    row.insert("activity".into(), r.activity.into());
    if let serde_json::Value::Object(t) = tail {
        row.extend(t);
    }
    serde_json::Value::Object(row)
}

/// Mean and (sample) standard deviation; the deviation is 0 for fewer than two values.
pub fn mean_std(v: &[f64]) -> (f64, f64) {
    if v.is_empty() {
        return (f64::NAN, 0.0);
    }
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    if v.len() < 2 {
        return (m, 0.0);
    }
    let var = v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0);
    (m, var.sqrt())
}

/// Mean and standard deviation of the test accuracy and of the activity of `runs`.
pub fn accuracy_activity(runs: &[&Done]) -> ((f64, f64), (f64, f64)) {
    let acc: Vec<f64> = runs.iter().map(|d| d.report.test_accuracy).collect();
    let act: Vec<f64> = runs.iter().map(|d| d.report.activity).collect();
    (mean_std(&acc), mean_std(&act))
}

/// The columns a comparison's summary table starts with: the task, the arm (its column
/// named `arm`), the number of seeds, test accuracy and activity; then `more`.
pub fn summary_header<'a>(arm: &'a str, more: &[&'a str]) -> Vec<&'a str> {
    let mut header = vec![
        "task",
        arm,
        "seeds",
        "test accuracy % (mean ± std)",
        "activity (spikes / neuron-step)",
    ];
    header.extend_from_slice(more);
    header
}

/// The summary row of `runs` (one task, one arm) in the columns of [`summary_header`],
/// with the mean and standard deviation of their test accuracy and activity.
pub fn summary_row(task: &str, arm: &str, runs: &[&Done]) -> SummaryRow {
    let ((m, s), (am, asd)) = accuracy_activity(runs);
    let row = vec![
        task.to_string(),
        arm.to_string(),
        runs.len().to_string(),
        pct(m, s),
        format!("{am:.4} ± {asd:.4}"),
    ];
    (row, (m, s), (am, asd))
}

/// A summary row, the accuracy's and the activity's (mean, std).
pub type SummaryRow = (Vec<String>, (f64, f64), (f64, f64));

/// The columns a comparison's per-run CSV starts with: task, the arm (its column named
/// `arm`), seed and test accuracy; then `more`.
pub fn run_header<'a>(arm: &'a str, more: &[&'a str]) -> Vec<&'a str> {
    let mut header = vec!["task", arm, "seed", "test_accuracy"];
    header.extend_from_slice(more);
    header
}

/// The first cells of run `d`'s CSV row, in the columns of [`run_header`].
pub fn run_cells(task: &str, arm: &str, d: &Done) -> Vec<String> {
    vec![
        task.to_string(),
        arm.to_string(),
        d.job.seed.to_string(),
        format!("{:.4}", d.report.test_accuracy),
    ]
}

/// Sort summary rows task-major: by their first column, the stable sort keeping the
/// arms in their order.
pub fn task_major(rows: &mut [Vec<String>]) {
    rows.sort_by(|a, b| a[0].cmp(&b[0]));
}

/// The accuracy figure of a comparison, `accuracy.png` and `.svg`: per task a bar per
/// arm, mean and standard deviation over seeds.
pub fn accuracy_bars(
    ctx: &super::Ctx,
    title: &str,
    tasks: &[String],
    groups: &[crate::plot::BarGroup],
) -> Result<(), String> {
    let axes = crate::plot::Axes {
        title,
        x: "task",
        y: "test accuracy (%), mean ± std over seeds",
    };
    crate::plot::bars(&ctx.path("accuracy"), &axes, tasks, groups)
}

/// Where `d` stands in `done` (the index of its per-run figures), by address.
pub fn position(done: &[Done], d: &Done) -> Option<usize> {
    done.iter().position(|x| std::ptr::eq(x, d))
}

/// The runs of `done` with this arm and task.
pub fn of<'a>(done: &'a [Done], arm: &str, task: &str) -> Vec<&'a Done> {
    done.iter()
        .filter(|d| d.job.arm == arm && d.job.task == task)
        .collect()
}

/// Mean test accuracy per epoch over `runs` (epoch from 1).
pub fn mean_curve(runs: &[&Done]) -> Vec<(f64, f64)> {
    let epochs = runs
        .iter()
        .map(|d| d.report.epochs.len())
        .min()
        .unwrap_or(0);
    (0..epochs)
        .map(|e| {
            let v: Vec<f64> = runs
                .iter()
                .map(|d| d.report.epochs[e].test.accuracy)
                .collect();
            ((e + 1) as f64, mean_std(&v).0)
        })
        .collect()
}

/// A markdown table from a header and rows.
pub fn markdown(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut s = format!("| {} |\n", header.join(" | "));
    s.push_str(&format!("|{}\n", "---|".repeat(header.len())));
    for r in rows {
        s.push_str(&format!("| {} |\n", r.join(" | ")));
    }
    s
}

/// A CSV file from a header and rows, written by the `csv` crate (RFC 4180 quoting: a
/// field holding a comma, a quote or a line break is quoted, its quotes doubled; lines
/// end in `\n`).
pub fn csv(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut w = ::csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(Vec::new());
    let records = std::iter::once(header.to_vec())
        .chain(rows.iter().map(|r| r.iter().map(String::as_str).collect()));
    for r in records {
        // Writing into a `Vec` cannot fail.
        w.write_record(r).expect("CSV into memory");
    }
    let bytes = w.into_inner().expect("CSV into memory");
    String::from_utf8(bytes).expect("CSV of UTF-8 fields is UTF-8")
}

/// `mean ± std` in percent, one decimal.
pub fn pct(m: f64, s: f64) -> String {
    format!("{:.1} ± {:.1}", 100.0 * m, 100.0 * s)
}

/// Fractions over seeds as `mean ± sd (worst w)` in percent, the worst the lowest.
pub fn pct_worst(v: &[f64]) -> String {
    let (m, s) = mean_std(v);
    let worst = v.iter().copied().fold(f64::INFINITY, f64::min);
    format!("{} (worst {:.1})", pct(m, s), 100.0 * worst)
}

/// A task of a comparison: (task label, example, full budget, quick budget).
pub type TaskPlan = (&'static str, &'static str, Budget, Budget);

/// Cue and digits, each from its own example, with these (full, quick) budgets.
pub const fn cue_digits(cue: (Budget, Budget), digits: (Budget, Budget)) -> [TaskPlan; 2] {
    [
        ("cue", "cue", cue.0, cue.1),
        ("digits", "digits", digits.0, digits.1),
    ]
}

/// The tasks and budgets of `reservoir` and `dale`.
pub const CUE_DIGITS: [TaskPlan; 2] = cue_digits(
    (Budget::new(3, 300, 200), Budget::new(1, 4, 4)),
    (Budget::new(3, 500, 200), Budget::new(1, 8, 8)),
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_std_of_known_values() {
        let (m, s) = mean_std(&[1.0, 2.0, 3.0, 4.0]);
        assert!((m - 2.5).abs() < 1e-12);
        assert!((s - (5.0f64 / 3.0).sqrt()).abs() < 1e-12);
        assert_eq!(mean_std(&[7.0]), (7.0, 0.0));
    }

    #[test]
    fn markdown_and_csv_have_a_row_per_line() {
        let rows = vec![vec!["a".to_string(), "1".to_string()]];
        assert_eq!(
            markdown(&["x", "y"], &rows),
            "| x | y |\n|---|---|\n| a | 1 |\n"
        );
        assert_eq!(csv(&["x", "y"], &rows), "x,y\na,1\n");
        let odd = vec![vec![
            "dense, eta 1e-3".to_string(),
            "say \"hi\"".to_string(),
        ]];
        assert_eq!(
            csv(&["x", "y"], &odd),
            "x,y\n\"dense, eta 1e-3\",\"say \"\"hi\"\"\"\n"
        );
    }
}
