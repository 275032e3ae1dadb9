//! Learning on the chip, end to end through the configuration files (run in release
//! by `make test`): the default job learns cue accumulation with the light engine,
//! and the chip stays within 3 points of the float reference trained the same way.

use neurochip_emu::config;
use neurochip_emu::learn;
use neurochip_tests::root;

#[test]
fn default_cue_job_learns_on_the_chip_and_matches_float() {
    let mut cfg = config::load(&root().join("examples/cue.toml")).unwrap();
    // The full default plan (4 x 400 samples, 500 test samples).
    assert_eq!(cfg.learning.engine, config::Engine::Light);
    cfg.train.test_samples = 500;
    let rep = learn::verify_learning(&cfg, true, |_, _| {}).unwrap();
    eprintln!(
        "chip {:.3} float {:.3} gap {:.2} points, update cosine {:.3}, e-prop/BPTT cosine ({}) {:.3}",
        rep.test_accuracy,
        rep.ref_test_accuracy,
        rep.accuracy_gap_points,
        rep.update_cosine,
        learn::EPROP_BPTT_RESET.label(),
        rep.eprop_bptt_cosine
    );
    assert!(
        rep.test_accuracy >= 0.90,
        "chip accuracy {}",
        rep.test_accuracy
    );
    assert!(
        rep.accuracy_gap_points.abs() <= 3.0,
        "gap {}",
        rep.accuracy_gap_points
    );
}
