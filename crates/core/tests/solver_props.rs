//! Properties of the stochastic constraint solver (`neurochip_core::solver`) on
//! random constraint graphs: the conflict counts always equal the number of
//! neighbours holding each value, `is_solution` agrees with a direct check of every
//! edge and clue, timers stay within the refractory period, and the same seed gives
//! the same digest.

use neurochip_core::solver::{Params, Problem, Solver, SolverError, State, NONE};
use proptest::prelude::*;

/// A random problem: (k, offsets, neighbours, clues, edges).
type Gen = (usize, Vec<u32>, Vec<u16>, Vec<u8>, Vec<(usize, usize)>);

fn problem() -> impl Strategy<Value = Gen> {
    (2usize..7, 1usize..25)
        .prop_flat_map(|(k, n)| {
            (
                Just(k),
                Just(n),
                proptest::collection::vec((0..n, 0..n), 0..60),
                proptest::collection::vec(0u8..=(k as u8), n),
            )
        })
        .prop_map(|(k, n, raw, clues)| {
            let mut edges: Vec<(usize, usize)> = raw
                .into_iter()
                .filter(|(a, b)| a != b)
                .map(|(a, b)| (a.min(b), a.max(b)))
                .collect();
            edges.sort_unstable();
            edges.dedup();
            let mut rows = vec![Vec::new(); n];
            for &(a, b) in &edges {
                rows[a].push(b as u16);
                rows[b].push(a as u16);
            }
            let mut offsets = vec![0u32];
            let mut nb = Vec::new();
            for r in rows {
                nb.extend(r);
                offsets.push(nb.len() as u32);
            }
            (k, offsets, nb, clues, edges)
        })
}

fn params() -> impl Strategy<Value = Params> {
    (0u8..40, 0u8..100, 1u8..5, -128i8..=64, -128i8..=0).prop_map(
        |(inhibition, clue_bias, refractory, quiet, floor)| Params {
            inhibition,
            clue_bias,
            refractory,
            quiet,
            floor,
        },
    )
}

/// The solver's state memories: a value and a timer per variable, `conflicts` counts.
struct Bufs {
    value: Vec<u8>,
    timer: Vec<u8>,
    conflicts: Vec<u8>,
}

impl Bufs {
    fn new(variables: usize, conflicts: usize) -> Self {
        Self {
            value: vec![0; variables],
            timer: vec![0; variables],
            conflicts: vec![0; conflicts],
        }
    }

    fn solver<'a>(
        &mut self,
        problem: Problem<'a>,
        p: Params,
        seed: u64,
    ) -> Result<Solver<'a, '_>, SolverError> {
        let state = State {
            value: &mut self.value,
            timer: &mut self.timer,
            conflicts: &mut self.conflicts,
        };
        Solver::new(problem, state, p, seed)
    }
}

proptest! {
    #[test]
    fn counts_and_solution_check_stay_consistent(
        (k, offsets, nb, clues, edges) in problem(),
        p in params(),
        seed in any::<u64>(),
    ) {
        let n = clues.len();
        let problem = Problem::new(k, &offsets, &nb, &clues).unwrap();
        let mut bufs = Bufs::new(n, n * k);
        let mut s = bufs.solver(problem, p, seed).unwrap();
        let mut digests = Vec::new();
        for _ in 0..40 {
            s.step();
            digests.push(s.digest().value());
            let a = s.assignment().to_vec();
            // Conflict counts, recomputed from the assignment.
            for v in 0..n {
                for j in 0..k {
                    let want = problem
                        .neighbours(v)
                        .iter()
                        .filter(|&&w| a[usize::from(w)] == j as u8)
                        .count();
                    let u = s.potential(v, j);
                    let bias = match problem.clue(v) {
                        None => 0,
                        Some(g) if usize::from(g) == j => i32::from(p.clue_bias),
                        Some(_) => -i32::from(p.clue_bias),
                    };
                    prop_assert_eq!(u, (bias - i32::from(p.inhibition) * want as i32).max(i32::from(p.floor)));
                }
            }
            let direct = a.iter().all(|&x| x != NONE && usize::from(x) < k)
                && edges.iter().all(|&(x, y)| a[x] != a[y])
                && clues.iter().zip(&a).all(|(&c, &x)| c == 0 || c == x + 1);
            prop_assert_eq!(s.is_solution(), direct);
        }
        prop_assert!(bufs.timer.iter().all(|&t| t <= p.refractory));
        // Same seed, same trajectory.
        let mut bufs2 = Bufs::new(n, n * k);
        let mut s2 = bufs2.solver(problem, p, seed).unwrap();
        for d in digests {
            s2.step();
            prop_assert_eq!(s2.digest().value(), d);
        }
    }

    #[test]
    fn wrong_state_lengths_are_refused(extra in 1usize..4) {
        let offsets = [0u32, 1, 2];
        let nb = [1u16, 0];
        let clues = [0u8, 0];
        let problem = Problem::new(3, &offsets, &nb, &clues).unwrap();
        let mut bufs = Bufs::new(2, 6 + extra);
        prop_assert!(bufs.solver(problem, Params::DEFAULT, 1).is_err());
    }
}
