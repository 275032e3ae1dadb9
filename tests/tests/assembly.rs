//! STDP assemblies (issue 8, part 3): a golden digest of the assembly area for a
//! fixed seed, and the quick run of `neurochip experiment assemblies` checked for its
//! three figures (projection ratio, recall from a 50% cue, association overlap), and
//! the same workload on the firmware under QEMU, bit for bit.

use neurochip_lab::experiment::assemblies::{self, HostArea, Params};
use neurochip_tasks::assembly::{
    area_config, workload, STIMULI, STIM_SIZE, WORKLOAD_K, WORKLOAD_N,
};

use neurochip_tests::{check_golden, quick_experiment, QuickRun};

/// The digest workload ([`neurochip_tasks::assembly::workload`]) on the host: the
/// line the firmware prints with `--features assembly`. It runs in the zeroed buffers
/// of a [`HostArea`] of the workload's size.
fn core_digest() -> String {
    let mut host = HostArea::new(area_config(WORKLOAD_N, WORKLOAD_K), 7).expect("valid area");
    let (_, mut mem) = host.parts();
    let mut x = vec![false; STIMULI * STIM_SIZE];
    let (d, spikes) = workload(&mut mem, &mut x, 200).expect("sized workload");
    format!("assembly {d:016x} steps=200 spikes={spikes}")
}

#[test]
fn assembly_digest_golden() {
    let m = assemblies::measure(&Params::new(true, 1)).expect("quick run");
    let text = format!(
        "{}\nexperiment-quick seed=1 {:016x}\n",
        core_digest(),
        m.digest
    );
    check_golden("assembly.digest", &text);
}

#[test]
fn quick_experiment_three_figures() {
    let QuickRun { out, json, .. } = quick_experiment(
        "assemblies",
        &[
            "table.md",
            "table.csv",
            "result.json",
            "projection.png",
            "projection.svg",
            "weights.png",
            "overlap.png",
            "recall.png",
            "recall.svg",
        ],
    );
    let run = &json["runs"][0];
    // Projection: within-assembly mean weight at least 3x the between mean.
    let ratio = run["ratio"].as_f64().expect("ratio");
    assert!(ratio >= 3.0, "within/between ratio {ratio}");
    // Recall from a 50% cue reaches at least 80% of the assembly.
    let r50 = run["recall"]
        .as_array()
        .expect("recall")
        .iter()
        .find(|r| r["cue"].as_f64() == Some(0.5))
        .and_then(|r| r["recall"].as_f64())
        .expect("50% cue");
    assert!(r50 >= 0.8, "recall from a 50% cue: {r50}");
    // Association: the overlap of A and B rises from near chance.
    let ov: Vec<f64> = run["overlap"]
        .as_array()
        .expect("overlap")
        .iter()
        .filter_map(|v| v.as_f64())
        .collect();
    let (first, last) = (ov[0], ov[ov.len() - 1]);
    assert!(first <= 0.15, "overlap before association {first}");
    assert!(last >= first + 0.1, "overlap {first} -> {last}");
    // Every stimulus evokes an assembly of about k neurons.
    let k = run["k"].as_u64().expect("k");
    for s in run["assembly_sizes"].as_array().expect("sizes") {
        let s = s.as_u64().expect("size");
        assert!(s >= k / 2 && s <= 2 * k, "assembly of {s} neurons, k = {k}");
    }
    let _ = std::fs::remove_dir_all(&out);
}

/// Host against firmware: the `assembly` firmware application runs the same
/// workload on the Cortex-M4 under QEMU and must print the host's line bit for bit.
#[test]
fn firmware_assembly_digest_matches_host() {
    let line = neurochip_tests::firmware_app_line("assembly", "assembly ");
    assert_eq!(line, core_digest());
}
