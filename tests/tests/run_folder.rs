//! Run folders: `run` and `verify` leave report.json, summary.md, the configuration as
//! given (config.toml) and their plots (PNG and SVG) in `--out DIR`; report.json says
//! where the run came from (seed, version, command line); `--no-out` leaves nothing; a
//! failed run leaves no folder.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use neurochip_tests::{neurochip_bin, root, temp_dir};
use tempfile::TempDir;

/// A path `case` that does not exist yet, in a fresh temporary folder: (the folder's
/// guard, which removes it when dropped, the path).
fn tmp(case: &str) -> (TempDir, PathBuf) {
    let d = temp_dir("run-folder");
    let p = d.path().join(case);
    (d, p)
}

fn neurochip(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(neurochip_bin())
        .args(args)
        .current_dir(root())
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn assert_plots(dir: &Path, names: &[&str]) {
    for n in names {
        let png = fs::read(dir.join(format!("{n}.png"))).unwrap_or_else(|e| panic!("{n}.png: {e}"));
        assert_eq!(&png[1..4], b"PNG", "{n}.png");
        assert!(png.len() > 5_000, "{n}.png is nearly empty");
        let svg = fs::read_to_string(dir.join(format!("{n}.svg"))).unwrap();
        assert!(svg.contains("<svg") && svg.contains("</svg>"), "{n}.svg");
        let md = fs::read_to_string(dir.join("summary.md")).unwrap();
        assert!(
            md.contains(&format!("![{n}]({n}.png)")),
            "summary.md shows {n}"
        );
    }
}

fn report(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&fs::read_to_string(dir.join("report.json")).unwrap()).unwrap()
}

/// The provenance of a run folder: `config.toml` is the file `cfg` byte for byte, and
/// report.json carries the seed, the version and the command line (`args`). Returns
/// the report without those three keys.
fn provenance(dir: &Path, cfg: &Path, seed: u64, args: &[&str]) -> serde_json::Value {
    assert_eq!(
        fs::read(dir.join("config.toml")).unwrap(),
        fs::read(cfg).unwrap(),
        "config.toml is the configuration as given"
    );
    let mut rep = report(dir);
    assert_eq!(rep["seed"], seed);
    assert_eq!(rep["neurochip_version"], env!("CARGO_PKG_VERSION"));
    let command = rep["command"].as_str().unwrap().to_string();
    assert!(command.contains("neurochip"), "{command}");
    assert!(command.ends_with(&args.join(" ")), "{command}");
    let obj = rep.as_object_mut().unwrap();
    for k in ["seed", "neurochip_version", "command"] {
        obj.remove(k);
    }
    rep
}

/// The plots of a trained classifier's folder.
const TRAINED: &[&str] = &[
    "raster",
    "membrane",
    "accuracy",
    "loss",
    "weights",
    "confusion",
];

#[test]
fn training_run_and_verify_write_their_folders() {
    let cfg = root().join("tests/firmware/light.toml");
    let cfg = cfg.to_str().unwrap();
    let (_run_dir, run) = tmp("train");
    let (_snap_dir, snap) = tmp("train.snap");
    let args = [
        "run",
        cfg,
        "--json",
        "--out",
        run.to_str().unwrap(),
        "--save",
        snap.to_str().unwrap(),
    ];
    let (ok, stdout, err) = neurochip(&args);
    assert!(ok, "{err}");
    let printed: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let rep = provenance(&run, Path::new(cfg), 1, &args);
    assert_eq!(rep, printed, "report.json holds every figure printed");
    assert_eq!(rep["interrupted"], false);
    assert_eq!(rep["epochs_done"], 2);
    assert_plots(&run, TRAINED);
    // The confusion matrix is the run's own final test (report.json's `confusion`,
    // what confusion.png draws): the plan's test samples, its diagonal the test
    // accuracy.
    let c = &rep["confusion"];
    assert_eq!(c["classes"], serde_json::json!(["left", "right"]));
    let counts: Vec<Vec<u64>> = serde_json::from_value(c["counts"].clone()).unwrap();
    let total: u64 = counts.iter().flatten().sum();
    assert_eq!(total, rep["test_samples"].as_u64().unwrap());
    let right = (counts[0][0] + counts[1][1]) as f64 / total as f64;
    assert!((right - rep["test_accuracy"].as_f64().unwrap()).abs() < 1e-12);
    // summary.md has its counts under the picture.
    let md = fs::read_to_string(run.join("summary.md")).unwrap();
    assert!(
        md.contains("| true \\ predicted | left | right | recall |"),
        "{md}"
    );

    let (_ver_dir, ver) = tmp("verify");
    let args = ["verify", cfg, "-q", "--out", ver.to_str().unwrap()];
    let (ok, _, err) = neurochip(&args);
    assert!(ok, "{err}");
    let rep = provenance(&ver, Path::new(cfg), 1, &args);
    assert!(rep["ref_test_accuracy"].is_number() && rep["chip_curve"].is_array());
    assert_plots(&ver, &[TRAINED, &["divergence"]].concat());
    let md = fs::read_to_string(ver.join("summary.md")).unwrap();
    assert!(md.contains("f64 reference, per epoch"));
}

#[test]
fn inference_run_and_verify_write_their_folders() {
    let (_run_dir, run) = tmp("lif");
    let args = ["run", "examples/lif.toml", "--out", run.to_str().unwrap()];
    let (ok, stdout, err) = neurochip(&args);
    assert!(ok, "{err}");
    assert!(stdout.contains("run folder:"), "{stdout}");
    let lif = root().join("examples/lif.toml");
    let seed = neurochip_emu::config::load(&lif).unwrap().seed;
    assert_eq!(provenance(&run, &lif, seed, &args)["name"], "lif");
    assert_plots(&run, &["raster", "membrane"]);
    let (_ver_dir, ver) = tmp("lif-verify");
    let (ok, _, err) = neurochip(&[
        "verify",
        "examples/lif.toml",
        "--out",
        ver.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    assert_plots(&ver, &["raster", "membrane", "divergence"]);
    let rep = report(&ver);
    assert!(rep["membrane_rms_lsb"].as_f64().is_some_and(|x| x >= 0.0));
    assert!(
        rep.get("divergence").is_none(),
        "per-step arrays stay out of the report"
    );
}

#[test]
fn no_out_and_failures_leave_no_folder() {
    let guard = temp_dir("run-folder-none");
    let d = guard.path();
    let out = Command::new(neurochip_bin())
        .args(["run", "--no-out", "-q"])
        .arg(root().join("examples/lif.toml"))
        .current_dir(d)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(
        fs::read_dir(d).unwrap().next().is_none(),
        "--no-out wrote something"
    );
    // A run that fails after its folder was made (a resume file that is not there)
    // takes the empty folder away again.
    let failed = d.join("failed");
    let (ok, _, err) = neurochip(&[
        "run",
        "tests/firmware/light.toml",
        "-q",
        "--resume",
        d.join("missing.snap").to_str().unwrap(),
        "--out",
        failed.to_str().unwrap(),
    ]);
    assert!(!ok);
    assert!(err.contains("missing.snap"), "{err}");
    assert!(!failed.exists(), "the failed run left its folder");
}
