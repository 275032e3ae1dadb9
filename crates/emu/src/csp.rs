//! Constraint problems (Sudoku, graph colouring) for the stochastic
//! spiking solver of `neurochip_core::solver`.
//!
//! A problem file is parsed into a [`Csp`]: `n` variables with `k` values, the
//! not-equal constraints as a neighbour list, and the clues. [`run`] steps the solver
//! network and checks the assignment against the constraints (this module's own
//! checker, independent of the network's conflict counts) after every step, stopping
//! at the first solution. [`random_restart`] is the baseline: a new uniformly random
//! assignment of the blanks every step. [`count_solutions`] is a classical
//! backtracking search, used to prove the published puzzles unique.
//!
//! Formats (`docs/formats.md`, "Constraint problems"):
//!
//! * Sudoku: one row per line, a digit per cell, `.` or `0` for a blank; spaces
//!   and tabs are ignored; `#` starts a comment. 4x4 (2x2 boxes) and 9x9 (3x3 boxes),
//!   the size from the number of cells per row.
//! * Graph colouring (DIMACS-like): `p edge N M`, then `M` lines `e U V` (nodes
//!   `1..=N`); `c` or `#` start comments; an optional line `colors K` (default 3,
//!   `--colors` overrides both).

use std::collections::BTreeSet;
use std::path::Path;

use neurochip_core::solver::{self, Params, Problem, Solver, State, NONE};
use neurochip_core::Prng;
use serde::Serialize;

/// What kind of problem a [`Csp`] came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A `size` x `size` Sudoku with `box_size` x `box_size` boxes.
    Sudoku {
        /// Cells per row (4 or 9).
        size: usize,
        /// Cells per box side (2 or 3).
        box_size: usize,
    },
    /// Graph colouring with `k` colours.
    Coloring,
}

/// A constraint problem: `n` variables with `k` values, each edge forbidding equal
/// values, and clues.
#[derive(Clone, Debug, PartialEq)]
pub struct Csp {
    /// Where it came from.
    pub kind: Kind,
    /// Values per variable.
    pub k: usize,
    /// Constraint edges `(v, w)`, `v < w`, each once.
    pub edges: Vec<(u16, u16)>,
    /// Clue per variable: 0 blank, `1..=k` the given value plus one.
    pub clues: Vec<u8>,
    /// Compressed neighbour rows (both directions), for the core.
    pub offsets: Vec<u32>,
    /// Neighbours, row by row.
    pub neighbours: Vec<u16>,
}

impl Csp {
    /// A problem from its edges (deduplicated, either order) and clues.
    pub fn new(kind: Kind, k: usize, edges: &[(u16, u16)], clues: Vec<u8>) -> Self {
        let n = clues.len();
        let set: BTreeSet<(u16, u16)> = edges
            .iter()
            .filter(|(a, b)| a != b)
            .map(|&(a, b)| (a.min(b), a.max(b)))
            .collect();
        let mut rows: Vec<Vec<u16>> = vec![Vec::new(); n];
        for &(a, b) in &set {
            rows[usize::from(a)].push(b);
            rows[usize::from(b)].push(a);
        }
        let mut offsets = vec![0u32];
        let mut neighbours = Vec::new();
        for r in rows {
            neighbours.extend(r);
            offsets.push(neighbours.len() as u32);
        }
        Self {
            kind,
            k,
            edges: set.into_iter().collect(),
            clues,
            offsets,
            neighbours,
        }
    }

    /// Number of variables.
    pub fn n(&self) -> usize {
        self.clues.len()
    }

    /// Number of blanks (variables without a clue).
    pub fn blanks(&self) -> usize {
        self.clues.iter().filter(|&&c| c == 0).count()
    }

    /// A contradiction in the clues, found without simulating: two constrained
    /// variables given the same value, or a blank whose every value a clued neighbour
    /// holds. The message names the variables (`r1c3` in a Sudoku, `node 7` in a
    /// graph, 1-based).
    pub fn contradiction(&self) -> Option<String> {
        let name = |v: usize| match self.kind {
            Kind::Sudoku { size, .. } => format!("r{}c{}", v / size + 1, v % size + 1),
            Kind::Coloring => format!("node {}", v + 1),
        };
        for &(a, b) in &self.edges {
            let (ca, cb) = (self.clues[usize::from(a)], self.clues[usize::from(b)]);
            if ca != 0 && ca == cb {
                return Some(format!(
                    "{} and {} are both given {}, but they must differ",
                    name(usize::from(a)),
                    name(usize::from(b)),
                    ca
                ));
            }
        }
        for v in (0..self.n()).filter(|&v| self.clues[v] == 0) {
            let row = &self.neighbours[self.offsets[v] as usize..self.offsets[v + 1] as usize];
            let mut taken = vec![false; self.k];
            for &w in row {
                if let Some(t) = usize::from(self.clues[usize::from(w)])
                    .checked_sub(1)
                    .and_then(|c| taken.get_mut(c))
                {
                    *t = true;
                }
            }
            if taken.iter().all(|&t| t) {
                return Some(format!(
                    "{} has no value left: its given neighbours hold all {}",
                    name(v),
                    self.k
                ));
            }
        }
        None
    }

    /// The core's checked view.
    pub fn problem(&self) -> Result<Problem<'_>, String> {
        Problem::new(self.k, &self.offsets, &self.neighbours, &self.clues)
            .map_err(|e| e.to_string())
    }

    /// `assignment` (values `0..k`, [`NONE`] unassigned) satisfies every constraint
    /// and every clue. Independent of the network's conflict counts.
    pub fn check(&self, assignment: &[u8]) -> bool {
        assignment.len() == self.n()
            && assignment.iter().all(|&x| usize::from(x) < self.k)
            && self
                .clues
                .iter()
                .zip(assignment)
                .all(|(&c, &x)| c == 0 || c == x + 1)
            && self
                .edges
                .iter()
                .all(|&(a, b)| assignment[usize::from(a)] != assignment[usize::from(b)])
    }

    /// The assignment as text: a grid for Sudoku, `node colour` lines (1-based) for
    /// colouring.
    pub fn render(&self, assignment: &[u8]) -> String {
        let cell = |x: u8| {
            if x == NONE {
                ".".to_string()
            } else {
                (u32::from(x) + 1).to_string()
            }
        };
        match self.kind {
            Kind::Sudoku { size, .. } => assignment
                .chunks(size)
                .map(|row| row.iter().map(|&x| cell(x)).collect::<String>() + "\n")
                .collect(),
            Kind::Coloring => assignment
                .iter()
                .enumerate()
                .map(|(v, &x)| format!("{} {}\n", v + 1, cell(x)))
                .collect(),
        }
    }
}

/// `FILE:LINE:COL: msg` (or without the column).
fn at(file: &str, line: usize, col: Option<usize>, msg: impl std::fmt::Display) -> String {
    match col {
        Some(c) => format!("{file}:{line}:{c}: {msg}"),
        None => format!("{file}:{line}: {msg}"),
    }
}

/// Read and parse a problem file: a graph if its first statement (after comments)
/// is a `p`, `e` or `colors` line, else a Sudoku. `colors` overrides a graph's `colors` line.
pub fn load(path: &Path, colors: Option<usize>) -> Result<Csp, String> {
    let name = path.display().to_string();
    let text = crate::inputs::read_text(path, "problem file", crate::inputs::PROBLEM)
        .map_err(|e| e.to_string())?;
    checked(&text, &name, colors)
}

/// [`parse`], then refuse a problem whose givens leave a variable without a value
/// ([`Csp::contradiction`]).
pub fn checked(text: &str, name: &str, colors: Option<usize>) -> Result<Csp, String> {
    let csp = parse(text, name, colors)?;
    match csp.contradiction() {
        Some(why) => Err(format!("{name}: unsolvable: {why}")),
        None => Ok(csp),
    }
}

/// Parse a problem text (`name` for messages).
pub fn parse(text: &str, name: &str, colors: Option<usize>) -> Result<Csp, String> {
    let first = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with('c'));
    match first {
        Some(l)
            if ["p", "e", "colors", "colours"]
                .contains(&l.split_whitespace().next().unwrap_or("")) =>
        {
            parse_graph(text, name, colors)
        }
        _ => {
            if colors.is_some() {
                return Err(format!(
                    "{name}: --colors applies to graph files only; this is a sudoku"
                ));
            }
            parse_sudoku(text, name)
        }
    }
}

/// Parse a Sudoku.
pub fn parse_sudoku(text: &str, name: &str) -> Result<Csp, String> {
    let mut rows: Vec<(usize, Vec<(usize, u8)>)> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let body = raw.split('#').next().unwrap_or("");
        let mut cells = Vec::new();
        for (j, ch) in body.chars().enumerate() {
            match ch {
                ' ' | '\t' | '\r' => {}
                '.' | '0' => cells.push((j + 1, 0)),
                '1'..='9' => cells.push((j + 1, ch as u8 - b'0')),
                _ => {
                    return Err(at(
                        name,
                        line,
                        Some(j + 1),
                        format!("unexpected `{ch}` in a sudoku row; allowed: digits 1-9, `.` or `0` for a blank, `#` for a comment"),
                    ))
                }
            }
        }
        if !cells.is_empty() {
            rows.push((line, cells));
        }
    }
    let Some((_, first)) = rows.first() else {
        return Err(format!(
            "{name}: no sudoku rows (and no `p edge` header for a graph)"
        ));
    };
    let size = first.len();
    if size != 4 && size != 9 {
        return Err(at(
            name,
            rows[0].0,
            None,
            format!("{size} cells in the first row; a sudoku has 4 or 9"),
        ));
    }
    for (line, cells) in &rows {
        if cells.len() != size {
            return Err(at(
                name,
                *line,
                None,
                format!(
                    "{} cells in this row; the first row has {size}",
                    cells.len()
                ),
            ));
        }
    }
    if rows.len() != size {
        let line = rows.get(size).map_or(rows[rows.len() - 1].0, |r| r.0);
        return Err(at(
            name,
            line,
            None,
            format!(
                "{} rows of {size} cells; a {size}x{size} sudoku has {size} rows",
                rows.len()
            ),
        ));
    }
    let box_size = if size == 4 { 2 } else { 3 };
    let mut clues = Vec::with_capacity(size * size);
    for (line, cells) in &rows {
        for &(col, d) in cells {
            if usize::from(d) > size {
                return Err(at(
                    name,
                    *line,
                    Some(col),
                    format!("digit {d} in a {size}x{size} sudoku; allowed 1-{size}"),
                ));
            }
            clues.push(d);
        }
    }
    let cell = |r: usize, c: usize| (r * size + c) as u16;
    let mut edges = Vec::new();
    for r in 0..size {
        for c in 0..size {
            for r2 in 0..size {
                for c2 in 0..size {
                    let same_box = r / box_size == r2 / box_size && c / box_size == c2 / box_size;
                    if (r, c) < (r2, c2) && (r == r2 || c == c2 || same_box) {
                        edges.push((cell(r, c), cell(r2, c2)));
                    }
                }
            }
        }
    }
    let csp = Csp::new(Kind::Sudoku { size, box_size }, size, &edges, clues);
    for &(a, b) in &csp.edges {
        let (ca, cb) = (csp.clues[usize::from(a)], csp.clues[usize::from(b)]);
        if ca != 0 && ca == cb {
            let (ra, cola) = (usize::from(a) / size, usize::from(a) % size);
            let (rb, colb) = (usize::from(b) / size, usize::from(b) % size);
            return Err(at(
                name,
                rows[rb].0,
                Some(rows[rb].1[colb].0),
                format!(
                    "clue {ca} at row {}, column {} repeats the {ca} at row {}, column {} (same row, column or box): no solution",
                    rb + 1,
                    colb + 1,
                    ra + 1,
                    cola + 1
                ),
            ));
        }
    }
    Ok(csp)
}

/// Parse a DIMACS-like graph.
pub fn parse_graph(text: &str, name: &str, colors: Option<usize>) -> Result<Csp, String> {
    let mut header: Option<(usize, usize, usize)> = None;
    let mut k_line: Option<usize> = None;
    let mut edges = Vec::new();
    let mut last_line = 0;
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        last_line = line;
        let body = raw.split('#').next().unwrap_or("");
        let mut words = body.split_whitespace();
        let Some(first) = words.next() else { continue };
        let rest: Vec<&str> = words.collect();
        let col = |w: usize| {
            // Column of word `w` of the line (0 = the keyword), 1-based.
            let mut pos = 0;
            let mut seen = 0;
            for (j, ch) in raw.char_indices() {
                let start =
                    !ch.is_whitespace() && (j == 0 || raw[..j].ends_with(char::is_whitespace));
                if start {
                    if seen == w {
                        pos = j + 1;
                        break;
                    }
                    seen += 1;
                }
            }
            pos
        };
        let num = |w: usize, what: &str| -> Result<usize, String> {
            let s = rest
                .get(w - 1)
                .ok_or_else(|| at(name, line, None, format!("missing {what}")))?;
            s.parse::<usize>().map_err(|_| {
                at(
                    name,
                    line,
                    Some(col(w)),
                    format!("{what} `{s}` is not a non-negative integer"),
                )
            })
        };
        match first {
            "c" => continue,
            "p" => {
                if let Some((_, _, l)) = header {
                    return Err(at(name, line, None, format!("a second `p` line (the first is on line {l})")));
                }
                if rest.first() != Some(&"edge") {
                    return Err(at(name, line, Some(col(1)), "expected `p edge N M`"));
                }
                if rest.len() != 3 {
                    return Err(at(name, line, None, format!("expected `p edge N M`, found {} fields after `p`", rest.len())));
                }
                let n = num(2, "node count N")?;
                let m = num(3, "edge count M")?;
                if n == 0 || n > usize::from(u16::MAX) {
                    return Err(at(name, line, Some(col(2)), format!("{n} nodes; allowed 1 to 65535")));
                }
                header = Some((n, m, line));
            }
            "colors" | "colours" => {
                if rest.len() != 1 {
                    return Err(at(name, line, None, "expected `colors K`"));
                }
                let k = num(1, "colour count K")?;
                if !(2..=solver::MAX_VALUES).contains(&k) {
                    return Err(at(name, line, Some(col(1)), format!("{k} colours; allowed 2 to {}", solver::MAX_VALUES)));
                }
                k_line = Some(k);
            }
            "e" => {
                let Some((n, _, _)) = header else {
                    return Err(at(name, line, Some(col(0)), "edge before the `p edge N M` header"));
                };
                if rest.len() != 2 {
                    return Err(at(name, line, None, format!("expected `e U V`, found {} fields after `e`", rest.len())));
                }
                let mut uv = [0u16; 2];
                for w in 1..=2 {
                    let x = num(w, "node")?;
                    if x == 0 || x > n {
                        return Err(at(name, line, Some(col(w)), format!("node {x} out of range; nodes are 1 to {n}")));
                    }
                    uv[w - 1] = (x - 1) as u16;
                }
                if uv[0] == uv[1] {
                    return Err(at(name, line, Some(col(1)), format!("self-loop on node {}: no colouring exists", uv[0] + 1)));
                }
                edges.push((uv[0], uv[1]));
            }
            other => {
                return Err(at(
                    name,
                    line,
                    Some(col(0)),
                    format!("unknown line kind `{other}`; expected `c` (comment), `p edge N M`, `colors K` or `e U V`"),
                ))
            }
        }
    }
    let Some((n, m, _)) = header else {
        return Err(format!("{name}: no `p edge N M` header"));
    };
    if edges.len() != m {
        return Err(at(
            name,
            last_line,
            None,
            format!(
                "the header announces {m} edges; the file has {}",
                edges.len()
            ),
        ));
    }
    let k = match colors {
        Some(k) if !(2..=solver::MAX_VALUES).contains(&k) => {
            return Err(format!(
                "{name}: --colors {k}: allowed 2 to {}",
                solver::MAX_VALUES
            ))
        }
        Some(k) => k,
        None => k_line.unwrap_or(3),
    };
    let csp = Csp::new(Kind::Coloring, k, &edges, vec![0; n]);
    for v in 0..n {
        let deg = (csp.offsets[v + 1] - csp.offsets[v]) as usize;
        if deg > solver::MAX_DEGREE {
            return Err(format!(
                "{name}: node {} has {deg} neighbours; the solver allows at most {}",
                v + 1,
                solver::MAX_DEGREE
            ));
        }
    }
    Ok(csp)
}

/// The result of one solver or baseline run.
#[derive(Clone, Debug, Serialize)]
pub struct RunResult {
    /// Step at which the first solution was seen (1-based), if any.
    pub solved_at: Option<u64>,
    /// Steps run.
    pub steps: u64,
    /// The final assignment (the solution when solved).
    pub assignment: Vec<u8>,
    /// Trace digest (hex), solver runs only.
    pub digest: Option<String>,
}

/// Run the solver network for at most `budget` steps from `seed`; stop at the first
/// step whose assignment passes [`Csp::check`]. `trace` receives (step, violations,
/// unassigned) every `every` steps (0: never).
pub fn run(
    csp: &Csp,
    params: Params,
    budget: u64,
    seed: u64,
    every: u64,
    mut trace: impl FnMut(u64, usize, usize),
) -> Result<RunResult, String> {
    let problem = csp.problem()?;
    let n = csp.n();
    let (mut value, mut timer, mut conflicts) =
        (vec![0u8; n], vec![0u8; n], vec![0u8; problem.neurons()]);
    let state = State {
        value: &mut value,
        timer: &mut timer,
        conflicts: &mut conflicts,
    };
    let mut s = Solver::new(problem, state, params, seed).map_err(|e| e.to_string())?;
    let mut solved_at = None;
    for t in 1..=budget {
        s.step();
        let ok = csp.check(s.assignment());
        if ok != s.is_solution() {
            return Err(format!(
                "internal: the network's conflict counts and the checker disagree at step {t}"
            ));
        }
        if every > 0 && t % every == 0 {
            trace(t, s.violations(), s.unassigned());
        }
        if ok {
            solved_at = Some(t);
            break;
        }
    }
    Ok(RunResult {
        solved_at,
        steps: s.steps(),
        assignment: s.assignment().to_vec(),
        digest: Some(format!("{:016x}", s.digest().value())),
    })
}

/// What `neurochip solve --json` prints: the problem file, its kind, variables,
/// values per variable, blanks and constraint edges; the network's constants, seed
/// and step budget; whether and when it was solved, the trace digest and the
/// solution (values from 1); and the random-restart baseline's time, when it ran.
#[derive(Clone, Debug, Serialize)]
pub struct SolveReport<'a> {
    file: String,
    kind: &'a Kind,
    variables: usize,
    values: usize,
    blanks: usize,
    constraints: usize,
    params: SolveParams,
    seed: u64,
    budget: u64,
    solved: bool,
    time_to_solution: Option<u64>,
    digest: Option<String>,
    solution: Option<Vec<u8>>,
    baseline_time_to_solution: Option<Option<u64>>,
}

/// [`Params`] as [`SolveReport`] lists them: inhibition, refractory, quiet, clue
/// bias and floor.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct SolveParams {
    inhibition: u8,
    refractory: u8,
    quiet: i8,
    clue_bias: u8,
    floor: i8,
}

impl<'a> SolveReport<'a> {
    /// The report of the run `r` of `csp` (read from `file`) with `params` from `seed`
    /// within `budget` steps, and the baseline's time `baseline` when it ran.
    pub fn new(
        file: &str,
        csp: &'a Csp,
        (params, seed, budget): (Params, u64, u64),
        r: &RunResult,
        baseline: Option<Option<u64>>,
    ) -> Self {
        Self {
            file: file.to_string(),
            kind: &csp.kind,
            variables: csp.n(),
            values: csp.k,
            blanks: csp.blanks(),
            constraints: csp.edges.len(),
            params: SolveParams {
                inhibition: params.inhibition,
                refractory: params.refractory,
                quiet: params.quiet,
                clue_bias: params.clue_bias,
                floor: params.floor,
            },
            seed,
            budget,
            solved: r.solved_at.is_some(),
            time_to_solution: r.solved_at,
            digest: r.digest.clone(),
            solution: r
                .solved_at
                .map(|_| r.assignment.iter().map(|&x| x + 1).collect()),
            baseline_time_to_solution: baseline,
        }
    }

    /// The report as the text `neurochip solve` prints: the problem, the solution (or
    /// the last state, `assignment`), the baseline and the digest.
    pub fn text(&self, csp: &Csp, assignment: &[u8]) -> String {
        use std::fmt::Write;
        let what = match csp.kind {
            Kind::Sudoku { size, .. } => format!("{size}x{size} sudoku, {} blanks", self.blanks),
            Kind::Coloring => format!(
                "graph, {} nodes, {} edges, {} colours",
                self.variables, self.constraints, self.values
            ),
        };
        let mut o = String::new();
        let _ = writeln!(
            o,
            "neurochip solve: {} ({what}), seed {}",
            self.file, self.seed
        );
        let _ = match self.time_to_solution {
            Some(t) => write!(o, "solved at step {t}:\n{}", csp.render(assignment)),
            None => writeln!(
                o,
                "no solution within {} steps; last state:\n{}",
                self.budget,
                csp.render(assignment)
            ),
        };
        let _ = match self.baseline_time_to_solution {
            Some(Some(t)) => writeln!(o, "random-restart baseline: solved at step {t}"),
            Some(None) => writeln!(
                o,
                "random-restart baseline: no solution within {} steps",
                self.budget
            ),
            None => Ok(()),
        };
        let _ = writeln!(o, "digest {}", self.digest.as_deref().unwrap_or_default());
        o
    }
}

/// The baseline: every step a new uniformly random value for every blank (clues
/// kept), checked; at most `budget` steps.
pub fn random_restart(csp: &Csp, budget: u64, seed: u64) -> RunResult {
    let mut prng = Prng::new(seed ^ 0x5EED_BA5E);
    let mut a: Vec<u8> = csp.clues.iter().map(|&c| c.saturating_sub(1)).collect();
    let k = csp.k as u64;
    let mut solved_at = None;
    let mut steps = 0;
    for t in 1..=budget {
        steps = t;
        for (x, &c) in a.iter_mut().zip(&csp.clues) {
            if c == 0 {
                *x = ((u64::from(prng.next_u32()) * k) >> 32) as u8;
            }
        }
        if csp.check(&a) {
            solved_at = Some(t);
            break;
        }
    }
    RunResult {
        solved_at,
        steps,
        assignment: a,
        digest: None,
    }
}

/// Count the solutions of `csp` by backtracking (most constrained variable first),
/// stopping at `limit`.
pub fn count_solutions(csp: &Csp, limit: usize) -> usize {
    let n = csp.n();
    let mut a: Vec<u8> = csp
        .clues
        .iter()
        .map(|&c| if c == 0 { NONE } else { c - 1 })
        .collect();
    let rows: Vec<&[u16]> = (0..n)
        .map(|v| &csp.neighbours[csp.offsets[v] as usize..csp.offsets[v + 1] as usize])
        .collect();
    fn allowed(a: &[u8], row: &[u16], k: usize) -> u32 {
        let mut m: u32 = (1u32 << k) - 1;
        for &w in row {
            let x = a[usize::from(w)];
            if x != NONE {
                m &= !(1u32 << x);
            }
        }
        m
    }
    // Clues must not conflict.
    for v in 0..n {
        if a[v] != NONE && rows[v].iter().any(|&w| a[usize::from(w)] == a[v]) {
            return 0;
        }
    }
    fn go(a: &mut [u8], rows: &[&[u16]], k: usize, count: &mut usize, limit: usize) {
        let mut best: Option<(usize, u32)> = None;
        for v in 0..a.len() {
            if a[v] == NONE {
                let m = allowed(a, rows[v], k);
                if best.is_none_or(|(_, bm)| m.count_ones() < bm.count_ones()) {
                    best = Some((v, m));
                }
            }
        }
        let Some((v, mut m)) = best else {
            *count += 1;
            return;
        };
        while m != 0 && *count < limit {
            let x = m.trailing_zeros();
            m &= m - 1;
            a[v] = x as u8;
            go(a, rows, k, count, limit);
        }
        a[v] = NONE;
    }
    let mut count = 0;
    go(&mut a, &rows, csp.k, &mut count, limit);
    count
}

/// A random graph with a planted `k`-colouring: `n` nodes given colours `v mod k`
/// shuffled, and `m` distinct edges drawn uniformly among pairs of different colours.
/// Seeded; the same arguments give the same graph.
pub fn planted_graph(n: usize, m: usize, k: usize, seed: u64) -> Csp {
    let mut prng = Prng::new(seed ^ 0x00C0_10A5);
    let mut below = |x: usize| ((u64::from(prng.next_u32()) * x as u64) >> 32) as usize;
    let mut colour: Vec<usize> = (0..n).map(|v| v % k).collect();
    for i in (1..n).rev() {
        let j = below(i + 1);
        colour.swap(i, j);
    }
    let max_edges: usize = (0..n)
        .map(|v| (v + 1..n).filter(|&w| colour[v] != colour[w]).count())
        .sum();
    let m = m.min(max_edges);
    let mut set = BTreeSet::new();
    while set.len() < m {
        let (a, b) = (below(n), below(n));
        if a != b && colour[a] != colour[b] {
            set.insert((a.min(b) as u16, a.max(b) as u16));
        }
    }
    let edges: Vec<(u16, u16)> = set.into_iter().collect();
    Csp::new(Kind::Coloring, k, &edges, vec![0; n])
}

/// A graph as DIMACS-like text (`p edge N M`, `colors K`, `e U V`).
pub fn graph_text(csp: &Csp, comment: &str) -> String {
    let mut s = String::new();
    for l in comment.lines() {
        s.push_str(&format!("c {l}\n"));
    }
    s.push_str(&format!(
        "p edge {} {}\ncolors {}\n",
        csp.n(),
        csp.edges.len(),
        csp.k
    ));
    for &(a, b) in &csp.edges {
        s.push_str(&format!("e {} {}\n", a + 1, b + 1));
    }
    s
}

/// Median of a sorted-or-not list of step counts where `None` (unsolved) counts as
/// infinite; `None` when half or more are unsolved.
pub fn median(times: &[Option<u64>]) -> Option<f64> {
    let mut t: Vec<u64> = times.iter().map(|x| x.unwrap_or(u64::MAX)).collect();
    t.sort_unstable();
    let n = t.len();
    if n == 0 {
        return None;
    }
    if n % 2 == 1 {
        (t[n / 2] != u64::MAX).then(|| t[n / 2] as f64)
    } else {
        let (a, b) = (t[n / 2 - 1], t[n / 2]);
        (b != u64::MAX).then(|| (a as f64 + b as f64) / 2.0)
    }
}
