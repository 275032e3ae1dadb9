//! The fixed-point chip against the f64 reference, default widths (16-bit membrane,
//! 8-bit weights), dequantised weights, a 100-neuron LIF network, cue-accumulation
//! input, 1,000 steps.

use neurochip_emu::config;
use neurochip_emu::sim::{verify, RefWeights};
use neurochip_tests::{assert_close_to_float, root};

#[test]
fn lif_cue_1000_steps_matches_float() {
    let cfg = config::load(&root().join("examples/lif.toml")).unwrap();
    assert_eq!(cfg.network.neurons, 100);
    assert_eq!(cfg.formats.membrane_bits, 16);
    assert_eq!(cfg.formats.weight_bits, 8);
    let r = verify(&cfg, RefWeights::Dequantized, Some(1000)).unwrap();
    eprintln!(
        "first mismatch {:?}, membrane RMS {:.5} thr ({:.3} LSB), rate correlation {:.4}, readout RMS {:.4}",
        r.first_mismatch_step, r.membrane_rms_thr, r.membrane_rms_lsb, r.rate_correlation, r.readout_rms
    );
    assert_close_to_float(&r);
}

#[test]
fn float_weights_include_quantisation_but_stay_close() {
    let cfg = config::load(&root().join("examples/lif.toml")).unwrap();
    let q = verify(&cfg, RefWeights::Float, Some(1000)).unwrap();
    let d = verify(&cfg, RefWeights::Dequantized, Some(1000)).unwrap();
    // Quantising the weights adds error on top of arithmetic alone.
    assert!(q.membrane_rms_thr >= d.membrane_rms_thr);
    assert!(
        q.rate_correlation >= 0.9,
        "rate correlation {}",
        q.rate_correlation
    );
}
