//! Snapshots on the host: a training run split by `--save` / `--resume` gives the bits
//! of the uninterrupted run; bad snapshots are refused with a reason; a failed save
//! never damages the file already there.

use neurochip_emu::config;
use neurochip_emu::learn::{train_chip_with, TrainReport};
use neurochip_tests::{root, temp_dir};
use std::path::PathBuf;
use tempfile::TempDir;

fn cfg(epochs: u32) -> config::Config {
    let mut c = config::load(&root().join("tests/firmware/light.toml")).unwrap();
    c.train.epochs = epochs;
    c
}

/// A fresh folder `neurochip-CASE-XXXXXX` (removed when its guard is dropped), the
/// path `SNAP` in it, and the report of the uninterrupted two-epoch run.
fn whole_run(case: &str, snap: &str) -> (TempDir, PathBuf, TrainReport) {
    let dir = temp_dir(case);
    let snap = dir.path().join(snap);
    let (whole, _) = train_chip_with(&cfg(2), true, None, None, |_| {}).unwrap();
    (dir, snap, whole)
}

#[test]
fn resume_is_bit_identical_and_bad_snapshots_are_refused() {
    let (dir, snap, whole) = whole_run("snap", "half.snap");
    let (first, _) = train_chip_with(&cfg(1), true, None, Some(&snap), |_| {}).unwrap();
    assert_ne!(first.digest, whole.digest);
    let (second, _) = train_chip_with(&cfg(1), true, Some(&snap), None, |_| {}).unwrap();
    assert_eq!(
        second.digest, whole.digest,
        "resumed run must continue bit-identically"
    );
    assert_eq!(second.epochs[0].epoch, 2);
    assert_eq!(
        second.epochs[0].test.accuracy,
        whole.epochs[1].test.accuracy
    );

    let good = std::fs::read(&snap).unwrap();
    let refuse = |bytes: &[u8], want: &str| {
        let p = dir.path().join("bad.snap");
        std::fs::write(&p, bytes).unwrap();
        let err = train_chip_with(&cfg(1), true, Some(&p), None, |_| {})
            .unwrap_err()
            .to_string();
        assert!(err.contains(want), "expected `{want}` in: {err}");
        assert!(!err.contains('\n'));
    };
    let mut flipped = good.clone();
    flipped[300] ^= 0x40;
    refuse(&flipped, "CRC mismatch");
    refuse(&good[..good.len() - 3], "truncated");
    let mut version = good.clone();
    version[4] = 7;
    refuse(&version, "version 7 is not supported");
    refuse(b"", "too short");
    refuse(
        &std::fs::read(root().join("firmware/images/default.img")).unwrap(),
        "no NCSS magic",
    );
    // A snapshot of another chip configuration.
    let mut other = cfg(1);
    other.seed = 99;
    let other_snap = dir.path().join("other.snap");
    train_chip_with(&other, true, None, Some(&other_snap), |_| {}).unwrap();
    let err = train_chip_with(&cfg(1), true, Some(&other_snap), None, |_| {})
        .unwrap_err()
        .to_string();
    assert!(err.contains("another configuration"), "{err}");

    // A save that cannot be written (a disk-full device, a missing folder) fails
    // cleanly, and the good snapshot stays as it was.
    for bad in ["/dev/full", "/nonexistent-dir/x.snap"] {
        let err = train_chip_with(&cfg(1), true, None, Some(std::path::Path::new(bad)), |_| {})
            .unwrap_err()
            .to_string();
        assert!(err.contains("cannot write the snapshot"), "{err}");
    }
    assert_eq!(std::fs::read(&snap).unwrap(), good);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "no temporary files left behind");
}

/// A run stopped between any two samples (training or test) keeps the snapshot of its
/// last finished epoch, which resumes to the digest of the uninterrupted run.
#[test]
fn a_run_stopped_at_any_sample_resumes_bit_identically() {
    use neurochip_emu::checkpoint::{self, Options};
    use neurochip_emu::stop::Signal;
    let (_dir, snap, whole) = whole_run("snap-stop", "stopped.snap");
    // 2 epochs of 3 training and 3 test samples.
    for k in 0..=12 {
        let asked = std::cell::Cell::new(0);
        let stop = || {
            asked.set(asked.get() + 1);
            (asked.get() > k).then_some(Signal::Interrupt)
        };
        let opts = Options {
            save: Some(&snap),
            stop: Some(&stop),
            ..Default::default()
        };
        let (rep, _) = checkpoint::train_chip(&cfg(2), true, &opts, |_| {}).unwrap();
        assert_eq!(rep.interrupted, k < 12, "stopped before sample {k}");
        assert_eq!(rep.epochs_done, k / 6, "stopped before sample {k}");
        assert_eq!(rep.epochs.len() as u32, k / 6);
        if rep.epochs_done == 2 {
            assert_eq!(rep.digest, whole.digest);
            continue;
        }
        let (rest, _) =
            train_chip_with(&cfg(2 - rep.epochs_done), true, Some(&snap), None, |_| {}).unwrap();
        assert_eq!(
            rest.digest, whole.digest,
            "stopped before sample {k}, resumed from epoch {}",
            rep.epochs_done
        );
    }
}
