//! The constraint-solver digest workload: Project Euler problem 96, Grid 01, solved
//! by the stochastic spiking solver (`neurochip_core::solver`) with its default
//! constants from seed 1, in caller-provided buffers. The firmware runs it with
//! `--features solver` and prints the line the host computes
//! (`tests/tests/solver_firmware.rs`); `neurochip solve problems/sudoku/pe96_01.txt
//! --seed 1` prints the same digest.

use neurochip_core::solver::{Params, Problem, Solver, SolverError, State};

/// Project Euler 96, Grid 01 (0 = blank), row by row.
pub const PE96_GRID01: [u8; 81] = [
    0, 0, 3, 0, 2, 0, 6, 0, 0, //
    9, 0, 0, 3, 0, 5, 0, 0, 1, //
    0, 0, 1, 8, 0, 6, 4, 0, 0, //
    0, 0, 8, 1, 0, 2, 9, 0, 0, //
    7, 0, 0, 0, 0, 0, 0, 0, 8, //
    0, 0, 6, 7, 0, 8, 2, 0, 0, //
    0, 0, 2, 6, 0, 9, 5, 0, 0, //
    8, 0, 0, 2, 0, 3, 0, 0, 9, //
    0, 0, 5, 0, 1, 0, 3, 0, 0, //
];

/// Cells of a 9x9 Sudoku.
pub const CELLS: usize = 81;
/// Neighbours per cell (8 in the row, 8 in the column, 4 more in the box).
pub const PEERS: usize = 20;

/// The workload's seed.
pub const SEED: u64 = 1;

/// The buffers of the workload.
pub struct SudokuMemory<'a> {
    /// Neighbour offsets, `CELLS + 1`.
    pub offsets: &'a mut [u32],
    /// Neighbours, `CELLS * PEERS`.
    pub neighbours: &'a mut [u16],
    /// Active value per cell, `CELLS`.
    pub value: &'a mut [u8],
    /// Refractory timer per cell, `CELLS`.
    pub timer: &'a mut [u8],
    /// Conflict count per neuron, `CELLS * 9`.
    pub conflicts: &'a mut [u8],
}

/// Write the 9x9 Sudoku constraint graph (row, column and box peers of each cell,
/// in increasing cell order: the order the host's `neurochip_emu::csp` builds) into
/// `offsets` and `neighbours`. Short buffers are reported, never indexed past.
pub fn sudoku_graph(offsets: &mut [u32], neighbours: &mut [u16]) -> Result<(), SolverError> {
    if offsets.len() != CELLS + 1 || neighbours.len() != CELLS * PEERS {
        return Err(SolverError::Offsets);
    }
    let mut n = 0usize;
    if let Some(o) = offsets.first_mut() {
        *o = 0;
    }
    for c in 0..CELLS {
        let (r, col) = (c / 9, c % 9);
        for d in 0..CELLS {
            let (r2, col2) = (d / 9, d % 9);
            let same_box = r / 3 == r2 / 3 && col / 3 == col2 / 3;
            if d != c && (r == r2 || col == col2 || same_box) {
                if let Some(x) = neighbours.get_mut(n) {
                    *x = d as u16;
                }
                n = n.saturating_add(1);
            }
        }
        if let Some(o) = offsets.get_mut(c.saturating_add(1)) {
            *o = n as u32;
        }
    }
    Ok(())
}

/// Run the solver on [`PE96_GRID01`] from [`SEED`] for at most `budget` steps,
/// stopping at the first solution: (trace digest, step of the solution or `None`).
pub fn workload(mem: SudokuMemory<'_>, budget: u64) -> Result<(u64, Option<u64>), SolverError> {
    sudoku_graph(mem.offsets, mem.neighbours)?;
    let problem = Problem::new(9, mem.offsets, mem.neighbours, &PE96_GRID01)?;
    let state = State {
        value: mem.value,
        timer: mem.timer,
        conflicts: mem.conflicts,
    };
    let mut s = Solver::new(problem, state, Params::DEFAULT, SEED)?;
    let mut solved = None;
    for _ in 0..budget {
        s.step();
        if s.is_solution() {
            solved = Some(s.steps());
            break;
        }
    }
    Ok((s.digest().value(), solved))
}
