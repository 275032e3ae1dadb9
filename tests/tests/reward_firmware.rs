//! Reward-based cue accumulation on the firmware: the digest workload
//! ([`neurochip_tasks::reward_cue::workload`], a few actor–critic episodes that apply
//! reward-modulated updates) on the host, and the same workload on the Cortex-M4
//! under QEMU (`--features reward`), bit for bit.

use bitvec::prelude::*;
use neurochip_core::Memory;
use neurochip_tasks::reward_cue::{workload, WORKLOAD_IN, WORKLOAD_LAYOUT};
use std::process::Command;

use neurochip_tests::root;

/// Episodes of the workload (the firmware's `reward` demo runs as many).
const EPISODES: u64 = 6;

/// The digest workload on the host: the line the firmware prints with
/// `--features reward`.
fn core_line() -> String {
    let l = WORKLOAD_LAYOUT;
    let mut w16 = vec![0i16; l.words16()];
    let mut w32 = vec![0i32; l.words32()];
    let mut wu = vec![0u32; l.wordsu()];
    let mut mem = Memory::carve(&l, &mut w16, &mut w32, &mut wu).expect("sized memory");
    let mut x = bitvec![u32, Lsb0; 0; WORKLOAD_IN];
    let (d, successes) = workload(&mut mem, &mut x, EPISODES).expect("workload runs");
    format!("reward {d:016x} episodes={EPISODES} successes={successes}")
}

/// The workload is repeatable (same line twice on the host).
#[test]
fn reward_workload_is_repeatable() {
    let a = core_line();
    assert_eq!(a, core_line());
    println!("{a}");
}

/// Host against firmware: the firmware built with `--features reward` runs the same
/// workload on the Cortex-M4 under QEMU and must print the host's line bit for bit.
#[test]
fn firmware_reward_digest_matches_host() {
    let fw = root().join("firmware");
    let build = Command::new("cargo")
        .args(["build", "--release", "--quiet", "--features", "reward"])
        .current_dir(&fw)
        .env_remove("CARGO_TARGET_DIR")
        .status()
        .expect("cargo runs");
    assert!(
        build.success(),
        "firmware build with --features reward failed"
    );
    let elf = fw.join("target/thumbv7em-none-eabihf/release/neurochip-firmware");
    let out = Command::new("qemu-system-arm")
        .args([
            "-cpu",
            "cortex-m4",
            "-machine",
            "mps2-an386",
            "-nographic",
            "-semihosting-config",
            "enable=on,target=native",
            "-kernel",
        ])
        .arg(&elf)
        .output()
        .expect("qemu-system-arm is installed (make test installs it)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "firmware failed:\n{stdout}");
    let line = stdout
        .lines()
        .find(|l| l.starts_with("reward "))
        .unwrap_or_else(|| panic!("no reward line in the firmware output:\n{stdout}"));
    assert_eq!(line, core_line());
}
