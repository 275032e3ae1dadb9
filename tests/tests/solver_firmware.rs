//! The constraint solver keeps the bit-identical property: the no_std workload
//! (`neurochip_tasks::solver::workload`, PE 96 Grid 01 from seed 1) gives the digest
//! `neurochip solve` computes on the host, and the firmware built with
//! `--features solver` prints the same line under QEMU mps2-an386.

use neurochip_core::solver::Params;
use neurochip_emu::csp;
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
    let csp = csp::load(&root().join("problems/sudoku/pe96_01.txt"), None).unwrap();
    let r = csp::run(&csp, Params::DEFAULT, 100_000, SEED, 0, |_, _, _| {}).unwrap();
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
    let line = neurochip_tests::firmware_app_line("solver", "solver ");
    assert_eq!(line, workload_line());
}
