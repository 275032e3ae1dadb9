//! Issue 8 (parts 1-2): quick runs of the `release` and `rewiring` experiments write
//! their tables, figures and JSON, and the rewired runs hold their budget after every
//! training sample.

use tempfile::TempDir;

fn quick(name: &str) -> (TempDir, serde_json::Value) {
    let o = neurochip_tests::quick_experiment(name, &[]);
    (o.out, o.json)
}

#[test]
fn release_and_rewiring_run_quick() {
    // The experiments read examples/ and data/ relative to the repository root.
    std::env::set_current_dir(neurochip_tests::root()).unwrap();
    let (out, json) = quick("release");
    for f in ["table.md", "table.csv", "accuracy.png", "accuracy.svg"] {
        assert!(out.path().join(f).exists(), "release: {f} missing");
    }
    let runs = json["runs"].as_array().unwrap();
    assert!(runs.iter().any(|r| r["release_p"] == 0.5));
    assert!(runs.iter().any(|r| r["release_p"] == 1.0));
    // Every trained chip is priced by the cycle model (failed releases are counted
    // apart: `neurochip-emu` cycle::tests::failed_releases_cost_no_synaptic_operation).
    for r in runs {
        let e = r["energy_per_inference_nj"].as_f64().unwrap();
        assert!(e.is_finite() && e > 0.0, "{r}");
    }

    let (out, json) = quick("rewiring");
    for f in [
        "table.md",
        "table.csv",
        "active.csv",
        "memory.md",
        "accuracy.png",
        "active.png",
        "turnover.png",
    ] {
        assert!(out.path().join(f).exists(), "rewiring: {f} missing");
    }
    let runs = json["runs"].as_array().unwrap();
    let rewired: Vec<_> = runs
        .iter()
        .filter(|r| r["arm"].as_str().unwrap().starts_with("rewired"))
        .collect();
    assert!(!rewired.is_empty());
    for r in rewired {
        assert_eq!(r["budget_held"], true, "{r}");
    }
    // The compressed layout saves memory.
    let saving = json["memory"]["saving"].as_f64().unwrap();
    assert!(saving > 0.5, "saving {saving}");
}
