//! The constraint-solver application: runs the solver image embedded at build time
//! (`$NEUROCHIP_SOLVER_IMAGE`, else `images/solver.img`, written by `neurochip solve
//! FILE --seed N --export FILE`): a Sudoku or a graph, the network constants, the seed
//! and the step budget. The image is checked (header, CRC, every field) and the
//! problem built in static buffers (about 20 KB); it prints `solver DIGEST
//! solved_at=N`, the line `neurochip run-image FILE` prints and the digest and time to
//! solution of `neurochip solve FILE --seed N`. The committed image is Project Euler
//! 96 Grid 01 from seed 1.
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use neurochip_firmware::{out, report, standalone};
use neurochip_tasks::app::Standalone;
use neurochip_tasks::solver::SolverMemory;

/// The solver image, embedded by build.rs.
static IMAGE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/solver.img"));

/// Most variables (a 9x9 Sudoku has 81).
const MAX_VARIABLES: usize = 1024;
/// Most neighbour entries, each edge counted both ways (a 9x9 Sudoku has 1,620).
const MAX_NEIGHBOURS: usize = 4096;
/// Most neurons, variables x values (a 9x9 Sudoku has 729).
const MAX_NEURONS: usize = 4096;

/// The byte state: clues, values and timers per variable, conflicts per neuron.
const MAX_BYTES: usize = 3 * MAX_VARIABLES + MAX_NEURONS;

struct Bufs {
    offsets: [u32; MAX_VARIABLES + 1],
    neighbours: [u16; MAX_NEIGHBOURS],
    bytes: [u8; MAX_BYTES],
}

/// Run the image and print `solver DIGEST solved_at=N` (or `solved_at=none`).
fn run() -> bool {
    let Some(spec) = standalone(IMAGE, "solver", Standalone::solver) else {
        return false;
    };
    let Some(b) = cortex_m::singleton!(: Bufs = Bufs {
        offsets: [0; MAX_VARIABLES + 1],
        neighbours: [0; MAX_NEIGHBOURS],
        bytes: [0; MAX_BYTES],
    }) else {
        return false;
    };
    let mem = SolverMemory {
        offsets: &mut b.offsets,
        neighbours: &mut b.neighbours,
        bytes: &mut b.bytes,
    };
    report(spec.run(mem), |r| out!("{}", r))
}

#[entry]
fn main() -> ! {
    neurochip_firmware::main(run)
}
