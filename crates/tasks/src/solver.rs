//! The constraint solver as an application: a problem (a Sudoku's givens or a
//! graph's edges), the network constants, a seed and a step budget, held in an
//! application image ([`crate::app::Standalone::Solver`], application kind 4) and run
//! in caller-provided buffers by the stochastic spiking solver
//! (`neurochip_core::solver`). `neurochip solve FILE --seed N --export OUT.img` writes
//! such an image; `neurochip run-image OUT.img` and the firmware's `solver` binary run
//! it and print the same line ([`SolverRun`]'s `Display`), the digest and time to
//! solution that `neurochip solve FILE --seed N` prints.
//!
//! Application block after the kind byte (little endian; `docs/formats.md`):
//!
//! | field | encoding | allowed |
//! |---|---|---|
//! | problem | u8 | 0 Sudoku, 1 graph colouring |
//! | Sudoku: box side | u8 | 2 (4x4) or 3 (9x9) |
//! | Sudoku: cells | `size^2` x u8, row by row | 0 blank, `1..=size` a given |
//! | graph: colours | u8 | 2 to 16 |
//! | graph: nodes | u32 | 1 to 65535 |
//! | graph: edge count `M` | u32 | the bytes that follow |
//! | graph: edges | `M` x (u16 `v`, u16 `w`), 0-based | `v < w < nodes`, strictly increasing |
//! | inhibition, clue bias | u8 each | any |
//! | refractory | u8 | at least 1 |
//! | quiet, floor | i8 each | `U_MIN..=U_MAX` (-128 to 64) |
//! | seed | u64 | any |
//! | budget | u64 | at least 1 step |
//!
//! The graph's neighbour rows are rebuilt on the target in the order the host's
//! `neurochip_emu::csp` builds them (increasing neighbour index), so the network
//! steps through the same bits; a node with more than 255 neighbours is refused when
//! the rows are built ([`SolverError::Degree`]).

use core::fmt;

use neurochip_core::image::{ImageError, Reader, Writer};
use neurochip_core::solver::{
    Params, Problem, Solver, SolverError, State, MAX_VALUES, U_MAX, U_MIN,
};

/// Bytes per edge of a graph in the image: two `u16`.
pub const EDGE_BYTES: usize = 4;

/// The problem of a solver image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SolverProblem<'a> {
    /// A Sudoku with `box_size` x `box_size` boxes (2: 4x4, 3: 9x9).
    Sudoku {
        /// Cells per box side.
        box_size: u8,
        /// `size^2` cells row by row: 0 blank, `1..=size` a given.
        cells: &'a [u8],
    },
    /// Graph colouring.
    Graph {
        /// Colours (values per node), 2 to 16.
        colors: u8,
        /// Nodes, 1 to 65535.
        nodes: u16,
        /// [`EDGE_BYTES`] per edge: `v`, `w` (u16 little endian, `v < w`), strictly
        /// increasing.
        edges: &'a [u8],
    },
}

impl SolverProblem<'_> {
    /// Variables of the problem.
    pub fn variables(&self) -> usize {
        match *self {
            Self::Sudoku { cells, .. } => cells.len(),
            Self::Graph { nodes, .. } => usize::from(nodes),
        }
    }

    /// Values per variable.
    pub fn values(&self) -> usize {
        match *self {
            Self::Sudoku { box_size, .. } => usize::from(box_size).pow(2),
            Self::Graph { colors, .. } => usize::from(colors),
        }
    }

    /// Neighbour entries of the constraint graph (each edge counted both ways).
    pub fn neighbour_entries(&self) -> usize {
        match *self {
            Self::Sudoku { box_size, cells } => {
                let b = usize::from(box_size);
                let peers = 2 * (b * b).saturating_sub(1) + b.saturating_sub(1).pow(2);
                cells.len().saturating_mul(peers)
            }
            Self::Graph { edges, .. } => (edges.len() / EDGE_BYTES).saturating_mul(2),
        }
    }

    /// Edge `i` of a graph.
    pub fn edge(&self, i: usize) -> Option<(u16, u16)> {
        let Self::Graph { edges, .. } = self else {
            return None;
        };
        let e = edges.get(i.checked_mul(EDGE_BYTES)?..)?;
        match *e {
            [a0, a1, b0, b1, ..] => {
                Some((u16::from_le_bytes([a0, a1]), u16::from_le_bytes([b0, b1])))
            }
            _ => None,
        }
    }

    /// Write the neighbour rows (compressed: `offsets`, `n + 1` entries, and
    /// `neighbours`, exactly [`Self::neighbour_entries`]) and the clues (`n`).
    fn build(
        &self,
        offsets: &mut [u32],
        neighbours: &mut [u16],
        clues: &mut [u8],
    ) -> Result<(), SolverError> {
        let n = self.variables();
        if offsets.len() != n.saturating_add(1) || neighbours.len() != self.neighbour_entries() {
            return Err(SolverError::Offsets);
        }
        offsets.fill(0);
        match *self {
            Self::Sudoku { box_size, cells } => {
                clues.copy_from_slice(
                    cells
                        .get(..clues.len())
                        .ok_or(SolverError::CluesLength(cells.len()))?,
                );
                sudoku_graph(usize::from(box_size), offsets, neighbours);
            }
            Self::Graph { .. } => {
                clues.fill(0);
                let m = neighbours.len() / 2;
                // Degrees, then starts, then fill each row in edge order (the host's
                // order), advancing the starts to the ends; shift them back.
                for i in 0..m {
                    let (a, b) = self.edge(i).ok_or(SolverError::Offsets)?;
                    for v in [a, b] {
                        if let Some(o) = offsets.get_mut(usize::from(v).saturating_add(1)) {
                            *o = o.saturating_add(1);
                        }
                    }
                }
                for v in 1..=n {
                    let prev = offsets.get(v.wrapping_sub(1)).copied().unwrap_or(0);
                    if let Some(o) = offsets.get_mut(v) {
                        *o = o.saturating_add(prev);
                    }
                }
                for i in 0..m {
                    let (a, b) = self.edge(i).ok_or(SolverError::Offsets)?;
                    for (v, w) in [(a, b), (b, a)] {
                        let Some(o) = offsets.get_mut(usize::from(v)) else {
                            return Err(SolverError::Neighbour(usize::from(v), usize::from(w)));
                        };
                        if let Some(x) = neighbours.get_mut(*o as usize) {
                            *x = w;
                        }
                        *o = o.saturating_add(1);
                    }
                }
                for v in (0..n).rev() {
                    let end = offsets.get(v).copied().unwrap_or(0);
                    if let Some(o) = offsets.get_mut(v.saturating_add(1)) {
                        *o = end;
                    }
                }
                if let Some(o) = offsets.first_mut() {
                    *o = 0;
                }
            }
        }
        Ok(())
    }
}

/// Write a Sudoku's constraint graph (`b` x `b` boxes: the row, column and box peers
/// of each cell, in increasing cell order, the order the host's `neurochip_emu::csp`
/// builds) into `offsets` and `neighbours`; nothing is written past either.
fn sudoku_graph(b: usize, offsets: &mut [u32], neighbours: &mut [u16]) {
    let size = b * b;
    let cells = size * size;
    let mut n = 0usize;
    for c in 0..cells {
        let (r, col) = (c / size, c % size);
        for d in 0..cells {
            let (r2, col2) = (d / size, d % size);
            let same_box = r / b == r2 / b && col / b == col2 / b;
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
}

/// A solver image's application: the problem, the network constants, the seed and
/// the step budget.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SolverSpec<'a> {
    /// The problem.
    pub problem: SolverProblem<'a>,
    /// The network constants.
    pub params: Params,
    /// PRNG seed of the network.
    pub seed: u64,
    /// Most steps to run (at least 1); the run stops at the first solution.
    pub budget: u64,
}

/// The buffers of a solver run, owned by the caller; each at least as long as
/// [`SolverSpec::lengths`] says (`n` variables, `k` values, `E` neighbour entries).
pub struct SolverMemory<'m> {
    /// Neighbour offsets, `n + 1`.
    pub offsets: &'m mut [u32],
    /// Neighbours, `E`.
    pub neighbours: &'m mut [u16],
    /// The byte state, `3 n + n k`: clues (`n`), the active value per variable (`n`),
    /// the refractory timer per variable (`n`), the conflict count per neuron
    /// (`n k`), in that order.
    pub bytes: &'m mut [u8],
}

/// What a solver run printed: its digest and the step of the first solution.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SolverRun {
    /// The trace digest.
    pub digest: u64,
    /// The step (1-based) of the first solution, `None` when the budget ran out.
    pub solved_at: Option<u64>,
}

impl fmt::Display for SolverRun {
    /// `solver DIGEST solved_at=N` (or `solved_at=none`): the line the firmware and
    /// `neurochip run-image` print.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "solver {:016x} solved_at=", self.digest)?;
        match self.solved_at {
            Some(t) => write!(f, "{t}"),
            None => write!(f, "none"),
        }
    }
}

fn take<'m, T>(buf: &'m mut [T], n: usize, name: &'static str) -> Result<&'m mut [T], SolverError> {
    Ok(cut(buf, n, name)?.0)
}

/// `buf` split after its first `n` values, or the refusal of `name` that needs them.
fn cut<'m, T>(
    buf: &'m mut [T],
    n: usize,
    name: &'static str,
) -> Result<(&'m mut [T], &'m mut [T]), SolverError> {
    let have = buf.len();
    if n > have {
        return Err(SolverError::Space(name, n, have));
    }
    Ok(buf.split_at_mut(n))
}

impl<'a> SolverSpec<'a> {
    /// The lengths [`SolverMemory`]'s `offsets`, `neighbours` and `bytes` need.
    pub fn lengths(&self) -> [usize; 3] {
        let p = &self.problem;
        let n = p.variables();
        let bytes = n.saturating_mul(p.values().saturating_add(3));
        [n.saturating_add(1), p.neighbour_entries(), bytes]
    }

    /// Build the problem in `mem` and run the network from the seed for at most the
    /// budget, stopping at the first solution.
    pub fn run(&self, mem: SolverMemory<'_>) -> Result<SolverRun, SolverError> {
        self.run_observed(mem, |_| {})
    }

    /// [`SolverSpec::run`], showing `on_step` the solver after every step (the cycle
    /// model counts what the step did).
    pub fn run_observed(
        &self,
        mem: SolverMemory<'_>,
        mut on_step: impl FnMut(&Solver<'_, '_>),
    ) -> Result<SolverRun, SolverError> {
        let p = &self.problem;
        let n = p.variables();
        let offsets = take(mem.offsets, n.saturating_add(1), "offsets")?;
        let neighbours = take(mem.neighbours, p.neighbour_entries(), "neighbours")?;
        let (clues, rest) = cut(mem.bytes, n, "clues")?;
        let (value, rest) = cut(rest, n, "value")?;
        let (timer, rest) = cut(rest, n, "timer")?;
        p.build(offsets, neighbours, clues)?;
        let problem = Problem::new(p.values(), offsets, neighbours, clues)?;
        let state = State {
            value,
            timer,
            conflicts: take(rest, problem.neurons(), "conflicts")?,
        };
        let mut s = Solver::new(problem, state, self.params, self.seed)?;
        let mut solved_at = None;
        for _ in 0..self.budget {
            s.step();
            on_step(&s);
            if s.is_solution() {
                solved_at = Some(s.steps());
                break;
            }
        }
        Ok(SolverRun {
            digest: s.digest().value(),
            solved_at,
        })
    }

    /// Write the fields after the kind byte.
    pub(crate) fn put(&self, w: &mut Writer<'_>) {
        match self.problem {
            SolverProblem::Sudoku { box_size, cells } => {
                w.u8(0);
                w.u8(box_size);
                w.bytes(cells);
            }
            SolverProblem::Graph {
                colors,
                nodes,
                edges,
            } => {
                w.u8(1);
                w.u8(colors);
                w.u32(u32::from(nodes));
                w.u32((edges.len() / EDGE_BYTES) as u32);
                w.bytes(edges);
            }
        }
        let p = self.params;
        for v in [p.inhibition, p.clue_bias, p.refractory] {
            w.u8(v);
        }
        w.u8(p.quiet as u8);
        w.u8(p.floor as u8);
        w.u64(self.seed);
        w.u64(self.budget);
    }

    /// Read and range-check the fields after the kind byte.
    pub(crate) fn get(r: &mut Reader<'a>) -> Result<Self, ImageError> {
        let bad = |field| ImageError::Field { field };
        let problem = match r.u8("app.solver.problem")? {
            0 => {
                let box_size = r.u8("app.solver.box")?;
                if !(2..=3).contains(&box_size) {
                    return Err(bad("app.solver.box"));
                }
                let size = box_size * box_size;
                let cells = r.bytes(usize::from(size).pow(2), "app.solver.cells")?;
                if cells.iter().any(|&c| c > size) {
                    return Err(bad("app.solver.cells"));
                }
                SolverProblem::Sudoku { box_size, cells }
            }
            1 => {
                let colors = r.u8("app.solver.colors")?;
                if !(2..=MAX_VALUES).contains(&usize::from(colors)) {
                    return Err(bad("app.solver.colors"));
                }
                let nodes = u16::try_from(r.u32("app.solver.nodes")?)
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or(bad("app.solver.nodes"))?;
                let m = r.u32("app.solver.edge_count")? as usize;
                let edges = r.bytes(m.saturating_mul(EDGE_BYTES), "app.solver.edges")?;
                let g = SolverProblem::Graph {
                    colors,
                    nodes,
                    edges,
                };
                let mut prev = None;
                for i in 0..m {
                    let e = g.edge(i).ok_or(bad("app.solver.edges"))?;
                    if e.0 >= e.1 || e.1 >= nodes || prev.is_some_and(|p| p >= e) {
                        return Err(bad("app.solver.edges"));
                    }
                    prev = Some(e);
                }
                g
            }
            _ => return Err(bad("app.solver.problem")),
        };
        let inhibition = r.u8("app.solver.inhibition")?;
        let clue_bias = r.u8("app.solver.clue_bias")?;
        let refractory = r.u8("app.solver.refractory")?;
        if refractory == 0 {
            return Err(bad("app.solver.refractory"));
        }
        let potential = |r: &mut Reader<'_>, field| {
            let v = r.u8(field)? as i8;
            if (U_MIN..=U_MAX).contains(&i32::from(v)) {
                Ok(v)
            } else {
                Err(bad(field))
            }
        };
        let quiet = potential(r, "app.solver.quiet")?;
        let floor = potential(r, "app.solver.floor")?;
        let seed = r.u64("app.solver.seed")?;
        let budget = r.u64("app.solver.budget")?;
        if budget == 0 {
            return Err(bad("app.solver.budget"));
        }
        Ok(Self {
            problem,
            params: Params {
                inhibition,
                clue_bias,
                refractory,
                quiet,
                floor,
            },
            seed,
            budget,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::Standalone;

    /// A 6-cycle with a chord, 3 colours.
    const EDGES: [(u16, u16); 7] = [(0, 1), (0, 5), (1, 2), (1, 4), (2, 3), (3, 4), (4, 5)];

    fn edge_bytes() -> Vec<u8> {
        EDGES
            .iter()
            .flat_map(|&(v, w)| [v.to_le_bytes(), w.to_le_bytes()].concat())
            .collect()
    }

    fn graph(edges: &[u8]) -> SolverSpec<'_> {
        SolverSpec {
            problem: SolverProblem::Graph {
                colors: 3,
                nodes: 6,
                edges,
            },
            params: Params::DEFAULT,
            seed: 5,
            budget: 1000,
        }
    }

    #[test]
    fn graph_rows_are_sorted_adjacency_lists() {
        let edges = edge_bytes();
        let p = graph(&edges).problem;
        let (mut o, mut nb, mut c) = (vec![0; 7], vec![0; p.neighbour_entries()], vec![9; 6]);
        p.build(&mut o, &mut nb, &mut c).unwrap();
        let mut rows = vec![Vec::new(); 6];
        for &(v, w) in &EDGES {
            rows[usize::from(v)].push(w);
            rows[usize::from(w)].push(v);
        }
        for (v, row) in rows.iter_mut().enumerate() {
            row.sort_unstable();
            assert_eq!(&nb[o[v] as usize..o[v + 1] as usize], &row[..], "row {v}");
        }
        assert_eq!(c, vec![0; 6]);
    }

    #[test]
    fn encode_decode_run_and_short_memory() {
        let edges = edge_bytes();
        let app = Standalone::Solver(graph(&edges));
        let mut buf = [0u8; 128];
        let n = app.encode(&mut buf).unwrap();
        assert_eq!(Standalone::decode(&buf[..n]).unwrap(), app);
        let spec = graph(&edges);
        assert_eq!(spec.lengths(), [7, 14, 36]);
        let (mut o, mut nb, mut b) = ([0u32; 7], [0u16; 14], [0u8; 36]);
        for (neighbours, bytes, want) in [
            (14, 36, Ok(())),
            (13, 36, Err(SolverError::Space("neighbours", 14, 13))),
            (14, 35, Err(SolverError::Space("conflicts", 18, 17))),
        ] {
            let mem = SolverMemory {
                offsets: &mut o,
                neighbours: &mut nb[..neighbours],
                bytes: &mut b[..bytes],
            };
            let r = spec.run(mem);
            assert_eq!(r.map(|r| assert!(r.solved_at.is_some())), want);
        }
    }

    #[test]
    fn edges_out_of_order_repeated_or_out_of_range_are_refused() {
        for bad in [
            [(0u16, 1u16), (0, 1)],
            [(0, 2), (0, 1)],
            [(1, 0), (1, 2)],
            [(0, 1), (2, 6)],
            [(3, 3), (3, 4)],
        ] {
            let edges: Vec<u8> = bad
                .iter()
                .flat_map(|&(v, w)| [v.to_le_bytes(), w.to_le_bytes()].concat())
                .collect();
            let mut buf = [0u8; 64];
            let n = Standalone::Solver(graph(&edges)).encode(&mut buf).unwrap();
            assert_eq!(
                Standalone::decode(&buf[..n]),
                Err(ImageError::Field {
                    field: "app.solver.edges"
                }),
                "{bad:?}"
            );
        }
    }
}
