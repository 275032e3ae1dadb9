//! The constraint-solver application: Project Euler 96 Grid 01 from seed 1
//! (`neurochip_tasks::solver::workload`) in static buffers of about 4 KB; prints the
//! digest and the time to solution that `neurochip solve problems/sudoku/pe96_01.txt
//! --seed 1` prints on the host.
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use neurochip_firmware::{out, report};

use neurochip_tasks::solver::{workload, SudokuMemory, CELLS, PEERS};

/// Step budget (the host solves it at step 130).
const BUDGET: u64 = 100_000;

struct Bufs {
    offsets: [u32; CELLS + 1],
    neighbours: [u16; CELLS * PEERS],
    value: [u8; CELLS],
    timer: [u8; CELLS],
    conflicts: [u8; CELLS * 9],
}

/// Run the workload and print `solver DIGEST solved_at=N` (or `solved_at=none`).
fn run() -> bool {
    let Some(b) = cortex_m::singleton!(: Bufs = Bufs {
        offsets: [0; CELLS + 1],
        neighbours: [0; CELLS * PEERS],
        value: [0; CELLS],
        timer: [0; CELLS],
        conflicts: [0; CELLS * 9],
    }) else {
        return false;
    };
    let mem = SudokuMemory {
        offsets: &mut b.offsets,
        neighbours: &mut b.neighbours,
        value: &mut b.value,
        timer: &mut b.timer,
        conflicts: &mut b.conflicts,
    };
    report(workload(mem, BUDGET), |(d, t)| match t {
        Some(t) => out!("solver {:016x} solved_at={}", d, t),
        None => out!("solver {:016x} solved_at=none", d),
    })
}

#[entry]
fn main() -> ! {
    neurochip_firmware::main(run)
}
