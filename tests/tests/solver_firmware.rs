//! The constraint solver keeps the bit-identical property: the no_std workload
//! (`neurochip_tasks::solver::workload`, PE 96 Grid 01 from seed 1) gives the digest
//! `neurochip solve` computes on the host, and the firmware built with
//! `--features solver` prints the same line under QEMU mps2-an386.

use std::process::Command;

use neurochip::solve;
use neurochip_core::solver::Params;
use neurochip_tasks::solver::{workload, SudokuMemory, CELLS, PEERS, SEED};
use neurochip_tests::root;

/// The line the firmware prints, computed on the host through the no_std workload.
fn workload_line() -> String {
    let (mut o, mut nb) = (vec![0u32; CELLS + 1], vec![0u16; CELLS * PEERS]);
    let (mut v, mut t, mut c) = (vec![0u8; CELLS], vec![0u8; CELLS], vec![0u8; CELLS * 9]);
    let mem = SudokuMemory {
        offsets: &mut o,
        neighbours: &mut nb,
        value: &mut v,
        timer: &mut t,
        conflicts: &mut c,
    };
    let (d, solved) = workload(mem, 100_000).unwrap();
    format!("solver {d:016x} solved_at={}", solved.unwrap())
}

#[test]
fn workload_equals_the_cli_solver() {
    let csp = solve::load(&root().join("problems/sudoku/pe96_01.txt"), None).unwrap();
    let r = solve::run(&csp, Params::DEFAULT, 100_000, SEED, 0, |_, _, _| {}).unwrap();
    assert_eq!(
        workload_line(),
        format!(
            "solver {} solved_at={}",
            r.digest.unwrap(),
            r.solved_at.unwrap()
        )
    );
}

#[test]
fn firmware_prints_the_host_digest() {
    let fw = root().join("firmware");
    let build = Command::new("cargo")
        .args(["build", "--release", "--quiet", "--features", "solver"])
        .current_dir(&fw)
        .env("NEUROCHIP_IMAGE", fw.join("images/default.img"))
        .env_remove("CARGO_TARGET_DIR")
        .status()
        .expect("cargo runs");
    assert!(
        build.success(),
        "firmware build with --features solver failed"
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
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "firmware output:\n{text}");
    let want = workload_line();
    assert!(
        text.lines().any(|l| l == want),
        "host {want}, firmware said:\n{text}"
    );
    eprintln!("firmware: {want} = host");
}
