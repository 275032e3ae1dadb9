//! `neurochip sweep --seeds` through the real binary: every point trains once per
//! seed (the file's `seed` replaced, nothing else), the table sums each point up
//! over its seeds, and the run folder keeps every seed's value.

use std::fs;
use std::path::PathBuf;

use neurochip_tests::{run_neurochip as run, temp_dir};
use tempfile::TempDir;

/// A cue chip that trains in milliseconds; `SEED` is replaced.
const TINY: &str = "name = \"tiny\"\nseed = SEED\n[network]\ninputs = 40\nneurons = 8\noutputs = 2\n\
[task]\nkind = \"cue\"\nn_cues = 1\ncue_ms = 10\ngap_ms = 5\ndelay_ms = 10\nrecall_ms = 10\n\
[learning]\nengine = \"light\"\neta = 1e-2\n[train]\nepochs = 1\ntrain_samples = 4\ntest_samples = 40\n";

/// A fresh folder `name` holding [`TINY`] with `seed`, as `tiny.toml`.
fn tiny(name: &str, seed: &str) -> (TempDir, PathBuf) {
    let tmp = temp_dir(name);
    let cfg = tmp.path().join("tiny.toml");
    fs::write(&cfg, TINY.replace("SEED", seed)).unwrap();
    (tmp, cfg)
}

#[test]
fn seeds_sum_up_each_point_and_keep_every_value() {
    let (tmp, cfg) = tiny("sweep-seeds", "9");
    let d = tmp.path();
    let out = d.join("out");
    let (code, stdout, stderr) = run(&[
        "sweep",
        cfg.to_str().unwrap(),
        "--seeds",
        "1-3",
        "--engines",
        "exact,light",
        "-q",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    // One line per point (engine), at the file's own weight width only.
    let lines: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("| tiny |"))
        .collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(lines[0].starts_with("| tiny | exact | 8 | 12 | 3 | test accuracy | "));
    assert!(lines[1].starts_with("| tiny | light | 8 | 12 | 3 | test accuracy | "));

    let report: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    let rows = report["rows"].as_array().unwrap();
    let seeds: Vec<u64> = rows.iter().map(|r| r["seed"].as_u64().unwrap()).collect();
    assert_eq!(seeds, [1, 2, 3, 1, 2, 3]);
    let summary = report["summary"].as_array().unwrap();
    assert_eq!(summary.len(), 2);
    for (s, rows) in summary.iter().zip(rows.chunks(3)) {
        let values: Vec<f64> = rows
            .iter()
            .map(|r| r["test_accuracy"].as_f64().unwrap())
            .collect();
        let per: Vec<f64> = s["per_seed"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["value"].as_f64().unwrap())
            .collect();
        assert_eq!(per, values);
        let mean = values.iter().sum::<f64>() / 3.0;
        let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 2.0;
        assert!((s["mean"].as_f64().unwrap() - mean).abs() < 1e-12);
        assert!((s["sd"].as_f64().unwrap() - var.sqrt()).abs() < 1e-12);
        let worst = values.iter().copied().fold(f64::INFINITY, f64::min);
        assert_eq!(s["worst"].as_f64().unwrap(), worst);
        let ws = s["worst_seed"].as_u64().unwrap() as usize;
        assert_eq!(values[ws - 1], worst);
    }
    let csv = fs::read_to_string(out.join("sweep.csv")).unwrap();
    assert!(csv.starts_with("config,seed,engine,"), "{csv}");
    assert_eq!(csv.lines().count(), 7, "{csv}");
    let md = fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(
        md.contains("## Over seeds") && md.contains("## Every run"),
        "{md}"
    );

    // A seed's row is the run of the file with that seed and nothing else changed.
    let one = d.join("seed2.toml");
    fs::write(&one, TINY.replace("SEED", "2")).unwrap();
    let (code, stdout, stderr) = run(&["run", one.to_str().unwrap(), "--json", "--no-out", "-q"]);
    assert_eq!(code, 0, "{stderr}");
    let alone: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let light2 = &rows[4];
    assert_eq!(light2["engine"], "light");
    assert_eq!(light2["test_accuracy"], alone["test_accuracy"]);
}

#[test]
fn bad_seed_lists_are_refused_in_one_line() {
    let (_tmp, cfg) = tiny("sweep-bad-seeds", "1");
    for (spec, why) in [
        ("5-1", "runs backwards"),
        ("1,x", "is not a seed"),
        ("1,1", "names seed 1 again"),
    ] {
        let (code, stdout, stderr) =
            run(&["sweep", cfg.to_str().unwrap(), "--seeds", spec, "--no-out"]);
        assert_eq!(code, 2, "{spec}: {stderr}");
        assert!(stdout.is_empty(), "{spec}: {stdout}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
        assert!(
            stderr.contains("--seeds") && stderr.contains(why),
            "{stderr}"
        );
    }
}
