//! Pinned digests of the default tasks. The generators are pure integer
//! hashing plus IEEE `f32` / `libm`, so these values must be the same on
//! every target; the firmware can print the same digests to prove it. A
//! change here changes every task stream: make it deliberately.
//!
//! To re-record, run with `PRINT_DIGESTS=1 cargo test -p neurochip-tasks
//! --test pinned -- --nocapture` and copy the printed values.

use bitvec::prelude::*;
use neurochip_tasks::rng::mix64;
use neurochip_tasks::{CueConfig, PatternConfig, SpikeSource, StoreRecallConfig};

/// Folds every spike vector of `src` (as words) into one value.
fn spike_digest(src: &impl SpikeSource) -> u64 {
    let mut out = bitvec![u32, Lsb0; 0; src.n_inputs()];
    let mut d = 0u64;
    for t in 0..src.steps() {
        src.spikes(t, &mut out);
        for &w in out.as_raw_slice() {
            d = mix64(d ^ u64::from(w));
        }
    }
    d
}

fn check(name: &str, got: u64, want: u64) {
    if std::env::var_os("PRINT_DIGESTS").is_some() {
        println!("{name}: {got:#018x}");
        return;
    }
    assert_eq!(got, want, "{name}: {got:#018x}");
}

#[test]
fn default_cue_sample_digest() {
    let s = CueConfig::default().sample(0);
    check("cue sample 0", spike_digest(&s), CUE);
    check("cue sample 0 label", u64::from(s.label()), CUE_LABEL);
}

#[test]
fn default_store_recall_sample_digest() {
    let s = StoreRecallConfig::default().sample(0);
    check("store-recall sample 0", spike_digest(&s), STORE_RECALL);
}

#[test]
fn default_pattern_digest() {
    let p = PatternConfig::default().build().unwrap();
    check("pattern inputs", spike_digest(&p), PATTERN_INPUT);
    let mut d = 0u64;
    for t in 0..p.steps() {
        for k in 0..p.n_outputs() {
            d = mix64(d ^ u64::from(p.target(t, k).to_bits()));
        }
    }
    check("pattern targets (f32 bits)", d, PATTERN_TARGET);
}

// CUE and CUE_LABEL were also reproduced by an independent Python model of
// the protocol and hash (sample 0, seed 0: sides L R R L L L R, label left).
const CUE: u64 = 0x61cb_f48b_9643_44e8;
const CUE_LABEL: u64 = 0;
const STORE_RECALL: u64 = 0xfe9a_b68a_face_f4a2;
const PATTERN_INPUT: u64 = 0x2304_0833_2032_4847;
const PATTERN_TARGET: u64 = 0x251f_45eb_b45a_40a6;
