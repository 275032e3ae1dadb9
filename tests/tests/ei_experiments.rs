//! Issue 7 (parts 2-5): heterogeneity distributions, per-synapse learning-rate
//! spreads against the float reference, activity in the reports, and a quick run of
//! the `reservoir`, `heterogeneity` and `dale` experiments.

use neurochip_emu::build::{self, spread_factor};
use neurochip_emu::config::{self, SpreadDist};
use proptest::prelude::*;
use tempfile::TempDir;

use neurochip_tests::root;

/// A small exact-engine cue job (short trials) for chip-against-float checks.
const SMALL: &str = r#"
name = "small"
seed = 4
[formats]
trace_bits = 12
trace_frac = 6
rounding = "stochastic"
[network]
inputs = 40
neurons = 30
outputs = 2
tau_m_ms = 200.0
w_rec_scale = 0.3
[task]
kind = "cue"
n_cues = 3
cue_ms = 50
gap_ms = 20
delay_ms = 100
recall_ms = 50
[learning]
engine = "exact"
apply = "sample"
eta = 1e-4
eta_out = 1e-3
[train]
epochs = 1
train_samples = 4
test_samples = 4
"#;

proptest! {
    #[test]
    fn uniform_factors_stay_in_range_and_have_mean_one(
        seed in any::<u64>(),
        s in 0.0f64..0.99,
        stream in 1u64..10,
    ) {
        let n = 4000;
        let v: Vec<f64> = (0..n)
            .map(|i| spread_factor(SpreadDist::Uniform, seed, stream, i, s))
            .collect();
        for &f in &v {
            prop_assert!(f >= 1.0 - s && f <= 1.0 + s, "{f} outside [1 - {s}, 1 + {s}]");
        }
        // The mean of n uniforms on [1 - s, 1 + s] has standard deviation s / sqrt(3 n).
        let mean = v.iter().sum::<f64>() / n as f64;
        let sd = s / (3.0 * n as f64).sqrt();
        prop_assert!((mean - 1.0).abs() <= 6.0 * sd + 1e-12, "mean {mean}, s {s}");
        // And the spread is the uniform one: variance s^2 / 3.
        if s > 0.05 {
            let var = v.iter().map(|f| (f - mean) * (f - mean)).sum::<f64>() / (n - 1) as f64;
            prop_assert!((var / (s * s / 3.0) - 1.0).abs() < 0.1, "variance {var}, s {s}");
        }
    }
}

#[test]
fn zero_spread_is_homogeneous_for_both_distributions() {
    for d in [SpreadDist::Lognormal, SpreadDist::Uniform] {
        for i in 0..100 {
            assert_eq!(spread_factor(d, 9, 6, i, 0.0), 1.0);
        }
    }
}

#[test]
fn uniform_time_constants_reach_the_network() {
    let text = SMALL.replace(
        "tau_m_ms = 200.0",
        "tau_m_ms = 200.0\ntau_m_spread = 0.4\nspread_dist = \"uniform\"",
    );
    let cfg = config::parse(&text, "uniform.toml").unwrap();
    assert_eq!(cfg.network.spread_dist, SpreadDist::Uniform);
    let net = build::network(&cfg);
    let taus: Vec<f64> = net.alpha.iter().map(|a| -1.0 / a.ln()).collect();
    for &t in &taus {
        assert!((120.0 - 1e-6..=280.0 + 1e-6).contains(&t), "tau {t} ms");
    }
    let lo = taus.iter().cloned().fold(f64::INFINITY, f64::min);
    let hi = taus.iter().cloned().fold(0.0, f64::max);
    assert!(hi - lo > 80.0, "taus barely spread: {lo}..{hi}");
}

#[test]
fn too_wide_uniform_spread_is_refused_with_the_field() {
    let text = SMALL.replace(
        "tau_m_ms = 200.0",
        "tau_m_ms = 200.0\ntau_m_spread = 1.5\nspread_dist = \"uniform\"",
    );
    let e = config::parse(&text, "wide.toml").unwrap_err().to_string();
    assert!(e.contains("network.tau_m_spread"), "{e}");
    assert!(e.contains("0 <= s < 1"), "{e}");
    let text = SMALL.replace(
        "tau_m_ms = 200.0",
        "tau_m_ms = 200.0\nspread_dist = \"gamma\"",
    );
    let e = config::parse(&text, "dist.toml").unwrap_err().to_string();
    assert!(e.contains("spread_dist"), "{e}");
    let text = SMALL.replace("eta = 1e-4", "eta = 1e-4\nlr_spread = 17");
    let e = config::parse(&text, "lr.toml").unwrap_err().to_string();
    assert!(e.contains("learning.lr_spread"), "{e}");
}

#[test]
fn per_synapse_rates_match_the_float_reference() {
    // The chip's accumulated update of one sample, synapse by synapse, against the
    // float learner's gradient with the same per-synapse rates.
    for k in [0u32, 3, 8] {
        let text = SMALL.replace("eta = 1e-4", &format!("eta = 1e-4\nlr_spread = {k}"));
        let cfg = config::parse(&text, "lr.toml").unwrap();
        let (_, chip) = build::chip(&cfg).unwrap();
        assert_eq!(u32::from(chip.config().learning().lr_spread), k);
        let (cos, _) = neurochip_emu::learn::one_sample_agreement(&cfg).unwrap();
        assert!(cos > 0.95, "lr_spread {k}: update cosine {cos}");
    }
}

#[test]
fn zero_spread_changes_no_bit() {
    // lr_spread = 0 written out gives the bits of the file without it.
    let cfg0 = config::parse(SMALL, "a.toml").unwrap();
    let text = SMALL.replace("eta = 1e-4", "eta = 1e-4\nlr_spread = 0");
    let cfg1 = config::parse(&text, "a.toml").unwrap();
    let (r0, _) = neurochip_emu::learn::train_chip(&cfg0, true, |_| {}).unwrap();
    let (r1, _) = neurochip_emu::learn::train_chip(&cfg1, true, |_| {}).unwrap();
    assert_eq!(r0.digest, r1.digest);
    // A spread does change the learning.
    let text = SMALL.replace("eta = 1e-4", "eta = 1e-4\nlr_spread = 6");
    let cfg2 = config::parse(&text, "a.toml").unwrap();
    let (r2, _) = neurochip_emu::learn::train_chip(&cfg2, true, |_| {}).unwrap();
    assert_ne!(r0.digest, r2.digest);
}

#[test]
fn training_reports_activity() {
    let cfg = config::parse(SMALL, "a.toml").unwrap();
    let (r, _) = neurochip_emu::learn::train_chip(&cfg, true, |_| {}).unwrap();
    assert!(r.activity > 0.0 && r.activity < 1.0, "{}", r.activity);
    let json = serde_json::to_value(&r).unwrap();
    assert!(json["activity"].is_f64());
}

fn quick(name: &str) -> (TempDir, serde_json::Value) {
    let o = neurochip_tests::quick_experiment(
        name,
        &[
            "table.md",
            "table.csv",
            "result.json",
            "accuracy.png",
            "accuracy.svg",
        ],
    );
    assert!(
        o.table.contains("cue") && o.table.contains("digits"),
        "{}",
        o.table
    );
    (o.out, o.json)
}

#[test]
fn experiments_run_quick() {
    // From the repository root, as `neurochip experiment` is run.
    std::env::set_current_dir(root()).unwrap();
    let (out, json) = quick("reservoir");
    assert!(out.path().join("curves.png").is_file());
    let runs = json["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 4);
    drop(out);

    let (out, json) = quick("heterogeneity");
    assert_eq!(json["runs"].as_array().unwrap().len(), 10);
    drop(out);

    let (out, json) = quick("dale");
    assert!(out.path().join("activity.png").is_file());
    assert_eq!(json["sign_violations"], 0);
    for r in json["runs"].as_array().unwrap() {
        let a = r["activity"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&a));
        if r["dale"] == true {
            assert_eq!(r["sign_violations"], 0);
            assert_eq!(r["sign_flips"], 0);
        }
    }
}
