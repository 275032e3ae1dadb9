//! A crash while saving never damages the snapshot already on disk.
//!
//! `neurochip run --save FILE` is stopped in the middle of its save in two ways: at
//! chosen points inside the atomic write (the `NEUROCHIP_CRASH_AT` hook aborts the
//! process after N bytes of the temporary file, before its fsync, before the
//! rename), and by `kill -9` at random moments of whole runs. Every time, FILE is
//! afterwards either the previous snapshot, byte for byte, or the complete new one,
//! and `neurochip inspect` accepts it.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use neurochip_tests::{neurochip_bin, root, temp_dir};

/// The short light-engine training job of the firmware tests, with `seed`.
fn config(dir: &Path, seed: u32) -> PathBuf {
    let text = fs::read_to_string(root().join("tests/firmware/light.toml")).unwrap();
    let text = text.replace("seed = 1", &format!("seed = {seed}"));
    let p = dir.join(format!("seed{seed}.toml"));
    fs::write(&p, text).unwrap();
    p
}

fn save(cfg: &Path, snap: &Path) -> Command {
    let mut c = Command::new(neurochip_bin());
    c.args(["run", "-q", "--no-out", "--save"])
        .arg(snap)
        .arg(cfg)
        .current_dir(root())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    c
}

fn inspect_ok(snap: &Path) -> bool {
    Command::new(neurochip_bin())
        .arg("inspect")
        .arg(snap)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap()
        .success()
}

#[test]
fn a_crash_while_saving_leaves_the_old_snapshot_valid() {
    let tmp = temp_dir("snap-crash");
    let d = tmp.path();
    let snap = d.join("chip.snap");
    // The previous snapshot (seed 1) and what a complete new save (seed 2) writes.
    assert!(save(&config(d, 1), &snap).status().unwrap().success());
    let old = fs::read(&snap).unwrap();
    let new_cfg = config(d, 2);
    let new_path = d.join("new.snap");
    assert!(save(&new_cfg, &new_path).status().unwrap().success());
    let new = fs::read(&new_path).unwrap();
    assert_ne!(old, new);
    let n = old.len();

    // Crashes at chosen points of the atomic write.
    let points: Vec<String> = [0, 1, 8, 40, n / 2, n - 1, n]
        .iter()
        .map(|k| format!("write:{k}"))
        .chain(["sync".to_string(), "rename".to_string()])
        .collect();
    for p in &points {
        let status = save(&new_cfg, &snap)
            .env("NEUROCHIP_CRASH_AT", p)
            .status()
            .unwrap();
        assert!(!status.success(), "the run must crash at {p}");
        assert_eq!(
            fs::read(&snap).unwrap(),
            old,
            "crash at {p} changed the snapshot"
        );
        assert!(
            inspect_ok(&snap),
            "crash at {p}: the old snapshot no longer loads"
        );
    }

    // kill -9 at random moments of whole runs (a fixed LCG: the same moments each
    // time), spread over the length of one run.
    let t0 = Instant::now();
    assert!(save(&new_cfg, &d.join("timing.snap"))
        .status()
        .unwrap()
        .success());
    let run = t0.elapsed().as_micros().max(1000) as u64;
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let (mut saw_old, mut saw_new) = (0, 0);
    for _ in 0..16 {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let delay = (state >> 33) % (run + run / 5);
        let mut child = save(&new_cfg, &snap).spawn().unwrap();
        std::thread::sleep(Duration::from_micros(delay));
        let _ = child.kill();
        let _ = child.wait();
        let now = fs::read(&snap).unwrap();
        if now == old {
            saw_old += 1;
        } else {
            assert_eq!(
                now, new,
                "after kill -9 at {delay} us the snapshot is neither old nor new"
            );
            saw_new += 1;
            // Put the old one back for the next round.
            fs::write(&snap, &old).unwrap();
        }
        assert!(inspect_ok(&snap));
    }
    assert_eq!(saw_old + saw_new, 16);
    // After all those crashes (stale temporary files beside it), a save still works.
    assert!(save(&new_cfg, &snap).status().unwrap().success());
    assert_eq!(fs::read(&snap).unwrap(), new);
}
