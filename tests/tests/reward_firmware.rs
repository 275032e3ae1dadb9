//! Reward-based cue accumulation on the firmware: the digest workload
//! ([`neurochip_tasks::reward_cue::workload`], a few actor–critic episodes that apply
//! reward-modulated updates) on the host, and the same workload on the Cortex-M4
//! under QEMU (`--features reward`), bit for bit.

use bitvec::prelude::*;
use neurochip_core::Memory;
use neurochip_tasks::reward_cue::{workload, WORKLOAD_IN, WORKLOAD_LAYOUT};

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
    let line = neurochip_tests::firmware_feature_line("reward", "reward ");
    assert_eq!(line, core_line());
}
