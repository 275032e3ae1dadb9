//! A stochastic spiking constraint solver, after Jonke, Habenschuss & Maass (2016,
//! "Solving constraint satisfaction problems with networks of spiking neurons",
//! Frontiers in Neuroscience 10:118).
//!
//! The problem is a constraint graph over `n` variables, each taking one of `k`
//! values (`k <= 16`): an edge `v - w` forbids `v` and `w` to take the same value
//! (Sudoku: cells of one row, column or box; graph colouring: adjacent nodes). Some
//! variables carry a clue (a given value).
//!
//! The network has one neuron per (variable, value): `n * k` neurons in `n`
//! winner-take-all (WTA) circuits. Neuron `(v, j)` has the membrane potential
//!
//! ```text
//! u(v, j) = b(v, j) - inhibition * c(v, j)          clamped to U_MIN ..= U_MAX
//! ```
//!
//! where `c(v, j)` counts the neighbours `w` of `v` whose active neuron is `(w, j)`
//! (the inhibitory constraint motif: an active value inhibits the same value in every
//! conflicting variable) and `b(v, j)` is the clue bias: `+clue_bias` on the given
//! value, `-clue_bias` on the others, `0` for a blank.
//!
//! **Stochastic firing.** A neuron fires at rate `r(u) = 2^((u - U_MIN) / 4)` (an
//! exponential of the membrane potential, as in the paper's stochastic neurons,
//! read from a four-entry table and a shift: `r(U_MIN) = 1`, `r(0) = 2^32`,
//! `r(U_MAX) = 2^48`). A WTA whose active neuron has finished its refractory period
//! is *open*: the first of its neurons to fire wins, so neuron `j` wins with
//! probability `r(u_j) / (r_quiet + sum_i r(u_i))`, and with probability
//! `r_quiet / (...)` none fires this step and the variable stays unassigned (the
//! quiet rate `r_quiet = r(quiet)` is the WTA's own leak, the paper's escape from
//! a dead end where every value is inhibited). One PRNG draw per open WTA decides,
//! by walking the cumulative rates (a 64-bit draw scaled to the total, so an option
//! of probability `p` wins with probability `p` to within `2^-64`).
//!
//! **Refractory period.** The winner stays active for `refractory` steps: during
//! them its WTA does not draw and the value inhibits its neighbours (the
//! paper's rectangular PSP). Then the WTA opens again (the same neuron may win again).
//!
//! **Step.** One step visits the WTAs in index order (the asynchronous update of the
//! paper's network, serialised so that every target computes the same bits); each
//! new winner updates the conflict counts of its neighbours at once. The assignment
//! (each WTA's active neuron) is a solution when every variable is assigned, every
//! clue holds and no active value is inhibited: [`Solver::is_solution`].
//!
//! **Numbers.** Values and timers are `u8`, conflict counts `u8` (a variable has at
//! most 255 neighbours, checked), potentials `i32` clamped to `U_MIN..=U_MAX`,
//! rates `u64` (at most `17 * 2^48 < 2^53`, no overflow). All arithmetic
//! saturates or wraps on purpose; nothing allocates; the caller owns every slice.
//!
//! **Digest.** Every step folds the step index and the assignment (eight values to
//! a word) into a [`Digest`]: the same problem, parameters and seed give the same
//! digest on every target.

use crate::digest::Digest;
use crate::prng::Prng;

/// The most values a variable can take.
pub const MAX_VALUES: usize = 16;
/// The most neighbours a variable can have (conflict counts are `u8`).
pub const MAX_DEGREE: usize = 255;
/// Lowest membrane potential (rate 1).
pub const U_MIN: i32 = -128;
/// Highest membrane potential (rate `2^48`).
pub const U_MAX: i32 = 64;
/// An unassigned variable's value.
pub const NONE: u8 = u8::MAX;

/// `2^(i/4)` in Q16 for `i = 0..4`, rounded to nearest.
const EXP2_QUARTER: [u32; 4] = [65_536, 77_936, 92_682, 110_218];

/// Rate of a neuron with membrane potential `u`: `2^((u - U_MIN) / 4)` with the
/// fractional quarter from a table, `u` clamped to `U_MIN..=U_MAX`.
pub fn rate(u: i32) -> u64 {
    let e = u.clamp(U_MIN, U_MAX).wrapping_sub(U_MIN) as u32; // 0 ..= 192
    let frac = EXP2_QUARTER
        .get((e & 3) as usize)
        .copied()
        .unwrap_or(65_536);
    ((u128::from(frac) << (e >> 2)) >> 16) as u64
}

/// The network constants.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Params {
    /// Potential lost per active conflicting neighbour (4 units halve the rate).
    pub inhibition: u8,
    /// Potential added to a clue's value and taken from the clue variable's other
    /// values.
    pub clue_bias: u8,
    /// Steps a winner stays active before its WTA draws again (at least 1).
    pub refractory: u8,
    /// Potential of the quiet option (no neuron fires), in `U_MIN..=U_MAX`.
    pub quiet: i8,
    /// Lower saturation bound of the membrane potential, in `U_MIN..=U_MAX`: a value
    /// inhibited below it is as likely as one at it (the membrane saturates).
    pub floor: i8,
}

impl Params {
    /// The constants chosen by a small grid search on the first 20 Project Euler 96
    /// Sudoku puzzles (`docs/experiments.md`, section "Constraint solver"): one
    /// conflict divides a value's rate by 32 (inhibition 20), every value under
    /// four or more conflicts has the same rate (floor -64), the quiet option's rate
    /// lies between a value's under one conflict and under two (quiet -32), and a
    /// winner holds for one step.
    pub const DEFAULT: Self = Self {
        inhibition: 20,
        clue_bias: 64,
        refractory: 1,
        quiet: -32,
        floor: -64,
    };
}

impl Default for Params {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// What is wrong with a problem, its state memory or the constants.
// The numbers are formatted by value (`k = *.0`), not through a reference (`{0}`):
// the solver firmware's `.text` is 160 B smaller so (13,076 against 13,236 B).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SolverError {
    /// `k` outside `2..=16`.
    #[error("{k} values per variable; allowed 2 to 16", k = *.0)]
    Values(usize),
    /// More than 65535 variables, or none.
    #[error("{n} variables; allowed 1 to 65535", n = *.0)]
    Variables(usize),
    /// `offsets` is not `n + 1` long, does not start at 0, decreases, or does not end
    /// at the neighbour count.
    #[error(
        "neighbour offsets must be n + 1 non-decreasing indices from 0 to the neighbour count"
    )]
    Offsets,
    /// A neighbour index out of range or the variable itself: (variable, neighbour).
    #[error("variable {v}: neighbour {w} is out of range or itself", v = *.0, w = *.1)]
    Neighbour(usize, usize),
    /// A variable with more than [`MAX_DEGREE`] neighbours: (variable, degree).
    #[error("variable {v} has {d} neighbours; at most {MAX_DEGREE} allowed", v = *.0, d = *.1)]
    Degree(usize, usize),
    /// `clues` is not `n` long.
    #[error("{n} clues for a different number of variables", n = *.0)]
    CluesLength(usize),
    /// A clue above `k`: (variable, clue).
    #[error("variable {v}: clue {c} is above the number of values", v = *.0, c = *.1)]
    Clue(usize, u8),
    /// A state slice of the wrong length: (name, expected, got).
    #[error("solver state `{0}`: {got} entries, expected {want}", want = *.1, got = *.2)]
    State(&'static str, usize, usize),
    /// A caller buffer too small for the problem: (name, needed, available).
    #[error("solver memory `{0}`: {need} entries needed, {have} available", need = *.1, have = *.2)]
    Space(&'static str, usize, usize),
    /// `refractory` is 0.
    #[error("refractory period 0; at least 1 step")]
    Refractory,
    /// `quiet` outside `U_MIN..=U_MAX`.
    #[error("quiet potential {q} outside {U_MIN}..={U_MAX}", q = *.0)]
    Quiet(i8),
    /// `floor` outside `U_MIN..=U_MAX`.
    #[error("potential floor {q} outside {U_MIN}..={U_MAX}", q = *.0)]
    Floor(i8),
}

/// A checked constraint problem: `n` variables with `k` values, neighbours in
/// compressed rows (`neighbours[offsets[v] .. offsets[v + 1]]` are `v`'s), and a
/// clue per variable (0 = blank, `1..=k` = the given value plus one).
#[derive(Clone, Copy, Debug)]
pub struct Problem<'a> {
    k: usize,
    offsets: &'a [u32],
    neighbours: &'a [u16],
    clues: &'a [u8],
}

impl<'a> Problem<'a> {
    /// Check a problem. Edges should be listed both ways (`w` in `v`'s row and `v` in
    /// `w`'s) for the inhibition to be symmetric; that is not required.
    pub fn new(
        k: usize,
        offsets: &'a [u32],
        neighbours: &'a [u16],
        clues: &'a [u8],
    ) -> Result<Self, SolverError> {
        if !(2..=MAX_VALUES).contains(&k) {
            return Err(SolverError::Values(k));
        }
        let n = offsets.len().saturating_sub(1);
        if n == 0 || n > usize::from(u16::MAX) {
            return Err(SolverError::Variables(n));
        }
        if offsets.first() != Some(&0)
            || offsets.last().map(|&e| e as usize) != Some(neighbours.len())
        {
            return Err(SolverError::Offsets);
        }
        for (v, w) in offsets.windows(2).enumerate() {
            let (lo, hi) = match *w {
                [lo, hi] if lo <= hi => (lo as usize, hi as usize),
                _ => return Err(SolverError::Offsets),
            };
            let deg = hi.wrapping_sub(lo);
            if deg > MAX_DEGREE {
                return Err(SolverError::Degree(v, deg));
            }
            for &nb in neighbours.get(lo..hi).unwrap_or(&[]) {
                let nb = usize::from(nb);
                if nb >= n || nb == v {
                    return Err(SolverError::Neighbour(v, nb));
                }
            }
        }
        if clues.len() != n {
            return Err(SolverError::CluesLength(clues.len()));
        }
        for (v, &c) in clues.iter().enumerate() {
            if usize::from(c) > k {
                return Err(SolverError::Clue(v, c));
            }
        }
        Ok(Self {
            k,
            offsets,
            neighbours,
            clues,
        })
    }

    /// Number of variables.
    pub fn variables(&self) -> usize {
        self.clues.len()
    }

    /// Values per variable.
    pub fn values(&self) -> usize {
        self.k
    }

    /// Number of neurons (`n * k`): the length of the conflict-count state.
    pub fn neurons(&self) -> usize {
        self.variables().wrapping_mul(self.k)
    }

    /// The neighbours of variable `v` (empty for `v` out of range).
    pub fn neighbours(&self, v: usize) -> &'a [u16] {
        let lo = self.offsets.get(v).map_or(0, |&x| x as usize);
        let hi = self
            .offsets
            .get(v.wrapping_add(1))
            .map_or(0, |&x| x as usize);
        self.neighbours.get(lo..hi).unwrap_or(&[])
    }

    /// The clue of variable `v`: `Some(value)` or `None` for a blank.
    pub fn clue(&self, v: usize) -> Option<u8> {
        match self.clues.get(v) {
            Some(&c) if c > 0 => Some(c.wrapping_sub(1)),
            _ => None,
        }
    }
}

/// The solver's memory, owned by the caller: per variable its active value
/// ([`NONE`] when unassigned) and refractory timer, per neuron its conflict count.
pub struct State<'s> {
    /// Active value per variable.
    pub value: &'s mut [u8],
    /// Refractory steps left per variable.
    pub timer: &'s mut [u8],
    /// Active conflicting neighbours per neuron (`v * k + j`).
    pub conflicts: &'s mut [u8],
}

/// The solver network on a problem, stepping in caller-owned memory.
pub struct Solver<'a, 's> {
    problem: Problem<'a>,
    state: State<'s>,
    params: Params,
    prng: Prng,
    digest: Digest,
    steps: u64,
}

impl<'a, 's> Solver<'a, 's> {
    /// A solver with every variable unassigned, seeded `seed`.
    pub fn new(
        problem: Problem<'a>,
        state: State<'s>,
        params: Params,
        seed: u64,
    ) -> Result<Self, SolverError> {
        let n = problem.variables();
        for (name, want, got) in [
            ("value", n, state.value.len()),
            ("timer", n, state.timer.len()),
            ("conflicts", problem.neurons(), state.conflicts.len()),
        ] {
            if want != got {
                return Err(SolverError::State(name, want, got));
            }
        }
        if params.refractory == 0 {
            return Err(SolverError::Refractory);
        }
        if !(U_MIN..=U_MAX).contains(&i32::from(params.quiet)) {
            return Err(SolverError::Quiet(params.quiet));
        }
        if !(U_MIN..=U_MAX).contains(&i32::from(params.floor)) {
            return Err(SolverError::Floor(params.floor));
        }
        state.value.fill(NONE);
        state.timer.fill(0);
        state.conflicts.fill(0);
        Ok(Self {
            problem,
            state,
            params,
            prng: Prng::new(seed),
            digest: Digest::new(),
            steps: 0,
        })
    }

    /// The problem.
    pub fn problem(&self) -> &Problem<'a> {
        &self.problem
    }

    /// Steps taken.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// The trace digest so far.
    pub fn digest(&self) -> Digest {
        self.digest
    }

    /// The current assignment (each WTA's active value, [`NONE`] if none).
    pub fn assignment(&self) -> &[u8] {
        self.state.value
    }

    /// Membrane potential of neuron `(v, j)` now.
    pub fn potential(&self, v: usize, j: usize) -> i32 {
        let k = self.problem.k;
        let c = self
            .state
            .conflicts
            .get(v.wrapping_mul(k).wrapping_add(j))
            .copied()
            .unwrap_or(0);
        let bias = match self.problem.clue(v) {
            None => 0,
            Some(g) if usize::from(g) == j => i32::from(self.params.clue_bias),
            Some(_) => 0i32.wrapping_sub(i32::from(self.params.clue_bias)),
        };
        bias.saturating_sub(i32::from(self.params.inhibition).saturating_mul(i32::from(c)))
            .max(i32::from(self.params.floor))
    }

    /// One step: every WTA whose refractory period is over draws a winner (or none).
    pub fn step(&mut self) {
        let n = self.problem.variables();
        let k = self.problem.k;
        let mut rates = [0u64; MAX_VALUES];
        for v in 0..n {
            let Some(t) = self.state.timer.get_mut(v) else {
                continue;
            };
            if *t > 1 {
                *t = t.wrapping_sub(1);
                continue;
            }
            // The WTA is open: one draw against the cumulative rates.
            let mut total = rate(i32::from(self.params.quiet));
            for (j, r) in rates.iter_mut().enumerate().take(k) {
                *r = rate(self.potential(v, j));
                total = total.saturating_add(*r);
            }
            let word = (u64::from(self.prng.next_u32()) << 32) | u64::from(self.prng.next_u32());
            let draw = (u128::from(word).wrapping_mul(u128::from(total)) >> 64) as u64;
            let mut acc = 0u64;
            let mut winner = NONE;
            for (j, &r) in rates.iter().enumerate().take(k) {
                acc = acc.saturating_add(r);
                if draw < acc {
                    winner = j as u8;
                    break;
                }
            }
            self.set(v, winner);
        }
        self.steps = self.steps.wrapping_add(1);
        self.digest.fold(self.steps);
        for chunk in self.state.value.chunks(8) {
            let mut w = 0u64;
            for &x in chunk {
                w = (w << 8) | u64::from(x);
            }
            self.digest.fold(w);
        }
    }

    /// Make `value` the active value of `v` (a new refractory period starts when it
    /// is a neuron) and move the inhibition of its neighbours.
    fn set(&mut self, v: usize, value: u8) {
        let k = self.problem.k;
        let old = self.state.value.get(v).copied().unwrap_or(NONE);
        if let Some(x) = self.state.value.get_mut(v) {
            *x = value;
        }
        if let Some(t) = self.state.timer.get_mut(v) {
            *t = if value == NONE {
                0
            } else {
                self.params.refractory
            };
        }
        if old == value {
            return;
        }
        for &w in self.problem.neighbours(v) {
            let base = usize::from(w).wrapping_mul(k);
            if old != NONE {
                if let Some(c) = self
                    .state
                    .conflicts
                    .get_mut(base.wrapping_add(usize::from(old)))
                {
                    *c = c.saturating_sub(1);
                }
            }
            if value != NONE {
                if let Some(c) = self
                    .state
                    .conflicts
                    .get_mut(base.wrapping_add(usize::from(value)))
                {
                    *c = c.saturating_add(1);
                }
            }
        }
    }

    /// Variables with no active value.
    pub fn unassigned(&self) -> usize {
        self.state.value.iter().filter(|&&x| x == NONE).count()
    }

    /// Violated constraints: conflicting active pairs (each edge counted from both
    /// ends when listed both ways) plus clues not held.
    pub fn violations(&self) -> usize {
        let k = self.problem.k;
        let mut bad = 0usize;
        for (v, &x) in self.state.value.iter().enumerate() {
            if x == NONE {
                continue;
            }
            let c = self
                .state
                .conflicts
                .get(v.wrapping_mul(k).wrapping_add(usize::from(x)))
                .copied()
                .unwrap_or(0);
            bad = bad.saturating_add(usize::from(c));
            if matches!(self.problem.clue(v), Some(g) if g != x) {
                bad = bad.saturating_add(1);
            }
        }
        bad
    }

    /// The assignment is a solution: every variable assigned, every clue held, no
    /// active value inhibited by a neighbour.
    pub fn is_solution(&self) -> bool {
        self.unassigned() == 0 && self.violations() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every refusal's text, as the command line and the firmware print it.
    #[test]
    fn messages() {
        let cases = [
            (SolverError::Values(17), "17 values per variable; allowed 2 to 16"),
            (SolverError::Variables(0), "0 variables; allowed 1 to 65535"),
            (
                SolverError::Offsets,
                "neighbour offsets must be n + 1 non-decreasing indices from 0 to the neighbour count",
            ),
            (
                SolverError::Neighbour(3, 9),
                "variable 3: neighbour 9 is out of range or itself",
            ),
            (
                SolverError::Degree(2, 299),
                "variable 2 has 299 neighbours; at most 255 allowed",
            ),
            (
                SolverError::CluesLength(5),
                "5 clues for a different number of variables",
            ),
            (
                SolverError::Clue(4, 10),
                "variable 4: clue 10 is above the number of values",
            ),
            (
                SolverError::State("u", 81, 80),
                "solver state `u`: 80 entries, expected 81",
            ),
            (
                SolverError::Space("w", 1000, 999),
                "solver memory `w`: 1000 entries needed, 999 available",
            ),
            (SolverError::Refractory, "refractory period 0; at least 1 step"),
            (SolverError::Quiet(70), "quiet potential 70 outside -128..=64"),
            (SolverError::Floor(-1), "potential floor -1 outside -128..=64"),
        ];
        for (e, text) in cases {
            assert_eq!(e.to_string(), text);
        }
    }

    #[test]
    fn rate_table() {
        assert_eq!(rate(U_MIN), 1);
        assert_eq!(rate(0), 1 << 32);
        assert_eq!(rate(4), 1 << 33);
        assert_eq!(rate(U_MAX), 1 << 48);
        assert_eq!(rate(i32::MIN), 1);
        assert_eq!(rate(i32::MAX), 1 << 48);
        for u in U_MIN..U_MAX {
            assert!(rate(u) <= rate(u + 1));
        }
    }

    #[test]
    fn triangle_two_colours_never_solved_three_colours_solved() {
        // A triangle: 0-1, 1-2, 2-0, both ways.
        let offsets = [0u32, 2, 4, 6];
        let nb = [1u16, 2, 0, 2, 0, 1];
        let clues = [0u8; 3];
        let mut value = [0u8; 3];
        let mut timer = [0u8; 3];
        let mut conflicts = [0u8; 9];
        let p = Problem::new(3, &offsets, &nb, &clues).unwrap();
        let mut s = Solver::new(
            p,
            State {
                value: &mut value,
                timer: &mut timer,
                conflicts: &mut conflicts,
            },
            Params::DEFAULT,
            1,
        )
        .unwrap();
        let mut solved = false;
        for _ in 0..1000 {
            s.step();
            if s.is_solution() {
                solved = true;
                break;
            }
        }
        assert!(solved);
        let a = s.assignment();
        assert!(a[0] != a[1] && a[1] != a[2] && a[0] != a[2]);

        let mut conflicts2 = [0u8; 6];
        let p2 = Problem::new(2, &offsets, &nb, &clues).unwrap();
        let mut s2 = Solver::new(
            p2,
            State {
                value: &mut value,
                timer: &mut timer,
                conflicts: &mut conflicts2,
            },
            Params::DEFAULT,
            1,
        )
        .unwrap();
        for _ in 0..1000 {
            s2.step();
            assert!(!s2.is_solution());
        }
    }

    #[test]
    fn bad_problems_are_refused() {
        let clues = [0u8; 2];
        assert_eq!(
            Problem::new(1, &[0, 1, 2], &[1, 0], &clues).unwrap_err(),
            SolverError::Values(1)
        );
        assert_eq!(
            Problem::new(3, &[0, 1, 2], &[1, 1], &clues).unwrap_err(),
            SolverError::Neighbour(1, 1)
        );
        assert_eq!(
            Problem::new(3, &[0, 2, 1], &[1, 0], &clues).unwrap_err(),
            SolverError::Offsets
        );
        assert_eq!(
            Problem::new(3, &[0, 1, 2], &[1, 0], &[0, 4]).unwrap_err(),
            SolverError::Clue(1, 4)
        );
    }
}
