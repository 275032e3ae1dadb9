//! Stochastic synaptic release, chip against the f64 reference: the reference replays
//! the chip's release decisions (`neurochip_core::release::released` at the chip's
//! step counter, through `Reference::step_gated`), so the two stay as close as
//! without release (the bound of `fixed_vs_float.rs`). Without the replay they would
//! be two different random networks.

use neurochip_emu::config;
use neurochip_emu::sim::{verify, RefWeights};
use neurochip_tests::{assert_close_to_float, root};

#[test]
fn lif_cue_with_release_matches_float() {
    let mut cfg = config::load(&root().join("examples/lif.toml")).unwrap();
    cfg.network.release_in = 0.5;
    cfg.network.release_rec = 0.75;
    let r = verify(&cfg, RefWeights::Dequantized, Some(1000)).unwrap();
    eprintln!(
        "release 0.5/0.75: first mismatch {:?}, membrane RMS {:.5} thr, rate correlation {:.4}",
        r.first_mismatch_step, r.membrane_rms_thr, r.rate_correlation
    );
    assert_close_to_float(&r);
    // Release really is on: fewer spikes than the same network releasing always.
    let mut dense = cfg.clone();
    dense.network.release_in = 1.0;
    dense.network.release_rec = 1.0;
    let d = verify(&dense, RefWeights::Dequantized, Some(1000)).unwrap();
    assert!(
        r.spikes < d.spikes,
        "{} spikes with release, {} without",
        r.spikes,
        d.spikes
    );
}
