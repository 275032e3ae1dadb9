//! The shipped UCI digits file and the project's fixed train / test split.
#![cfg(feature = "std")]

use std::path::PathBuf;

use neurochip_tasks::digits::{load_digits, Digits, N_SAMPLES, N_TEST, N_TRAIN};

fn data() -> Digits {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/uci-digits/digits.csv.gz");
    load_digits(&path).unwrap_or_else(|e| panic!("{e}"))
}

fn class_counts(d: &Digits, idx: &[usize]) -> [usize; 10] {
    let mut c = [0; 10];
    for &i in idx {
        c[usize::from(d.labels[i])] += 1;
    }
    c
}

#[test]
fn loads_all_samples() {
    let d = data();
    assert_eq!(d.len(), N_SAMPLES);
    let all: Vec<usize> = (0..d.len()).collect();
    assert_eq!(
        class_counts(&d, &all),
        [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    );
    assert!(d.images.iter().flatten().all(|&v| v <= 16));
    // First row of the file.
    assert_eq!(&d.images[0][..8], &[0, 0, 5, 13, 9, 1, 0, 0]);
    assert_eq!(d.labels[0], 0);
}

#[test]
fn split_is_fixed_stratified_disjoint_and_complete() {
    let d = data();
    let (train, test) = d.split();
    assert_eq!(train.len(), N_TRAIN);
    assert_eq!(test.len(), N_TEST);
    assert_eq!((N_TRAIN, N_TEST), (1297, 500));

    // Disjoint and together exactly 0..1797 (both lists ascending).
    let mut all: Vec<usize> = train.iter().chain(&test).copied().collect();
    all.sort_unstable();
    assert_eq!(all, (0..N_SAMPLES).collect::<Vec<_>>());
    assert!(train.windows(2).all(|w| w[0] < w[1]));
    assert!(test.windows(2).all(|w| w[0] < w[1]));

    // Stratified: each class's test count within 1 of proportional.
    let all_idx: Vec<usize> = (0..N_SAMPLES).collect();
    let total = class_counts(&d, &all_idx);
    let in_test = class_counts(&d, &test);
    for c in 0..10 {
        let exact = N_TEST as f64 * total[c] as f64 / N_SAMPLES as f64;
        assert!(
            (in_test[c] as f64 - exact).abs() < 1.0,
            "class {c}: {} test samples, proportional {exact:.3}",
            in_test[c]
        );
    }

    // Deterministic: same result again, and pinned so any change is deliberate.
    assert_eq!(d.split(), (train.clone(), test.clone()));
    assert_eq!(in_test, PINNED_TEST_COUNTS);
    assert_eq!(&test[..8], &PINNED_TEST_HEAD);
    assert_eq!(test.iter().sum::<usize>(), PINNED_TEST_SUM);

    // A different seed gives a different (still stratified) split.
    let (_, other) = d.split_seeded(1, N_TEST);
    assert_ne!(other, test);
    assert_eq!(class_counts(&d, &other), in_test);
}

// Pinned values, computed by an independent Python implementation of the
// hash and of the split method (see src/digits/split.rs).
const PINNED_TEST_COUNTS: [usize; 10] = [50, 51, 49, 51, 50, 51, 50, 50, 48, 50];
const PINNED_TEST_HEAD: [usize; 8] = [12, 18, 19, 20, 21, 23, 24, 30];
const PINNED_TEST_SUM: usize = 437_267;
