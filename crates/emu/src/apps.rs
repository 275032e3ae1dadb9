//! Application images on the host: workloads that are not an e-prop chip (the
//! constraint solver, an STDP assembly area) written as images (`neurochip solve FILE
//! --export OUT.img`, `neurochip assembly --export OUT.img`, or from a configuration
//! file with `[solver]` or `[assembly]`: `neurochip export FILE -o OUT.img`), run
//! exactly as their firmware binary runs them (`neurochip run-image`; `neurochip run
//! FILE` runs the image of the file), and described (`neurochip inspect`). Format:
//! `docs/formats.md`, "Application images".

use neurochip_core::assembly::lengths;
use neurochip_core::image;
use neurochip_core::solver::Params;
use neurochip_tasks::app::{Standalone, KIND_ASSEMBLY, KIND_SOLVER};
use neurochip_tasks::assembly::{area_config, carve, AssemblyRun, AssemblySpec};
use neurochip_tasks::solver::{SolverMemory, SolverProblem, SolverRun, SolverSpec, EDGE_BYTES};
use serde::Serialize;

use crate::config::{AppConfig, Application, Assembly};
use crate::csp::{Csp, Kind};

/// The solver application of a problem: its givens or edges, the constants, the seed
/// and the step budget. `edges` is the caller's buffer for a graph's edge bytes.
pub fn solver_spec<'a>(
    csp: &'a Csp,
    params: Params,
    seed: u64,
    budget: u64,
    edges: &'a mut Vec<u8>,
) -> Result<SolverSpec<'a>, String> {
    let problem = match csp.kind {
        Kind::Sudoku { box_size, .. } => SolverProblem::Sudoku {
            box_size: u8::try_from(box_size).map_err(|e| e.to_string())?,
            cells: &csp.clues,
        },
        Kind::Coloring => {
            edges.clear();
            for &(v, w) in &csp.edges {
                edges.extend_from_slice(&v.to_le_bytes());
                edges.extend_from_slice(&w.to_le_bytes());
            }
            SolverProblem::Graph {
                colors: u8::try_from(csp.k).map_err(|e| e.to_string())?,
                nodes: u16::try_from(csp.n())
                    .map_err(|_| format!("{} nodes; an image holds at most 65535", csp.n()))?,
                edges,
            }
        }
    };
    Ok(SolverSpec {
        problem,
        params,
        seed,
        budget,
    })
}

/// An application image of `app`, checked by decoding it back (every field in range).
pub fn encode(app: &Standalone<'_>) -> Result<Vec<u8>, String> {
    let mut block = vec![0u8; 64];
    let need = match app.encode(&mut block) {
        Ok(n) => n,
        Err(image::ImageError::Space { needed, .. }) => needed,
        Err(e) => return Err(e.to_string()),
    };
    block.resize(need, 0);
    let n = app.encode(&mut block).map_err(|e| e.to_string())?;
    block.truncate(n);
    Standalone::decode(&block).map_err(|e| e.to_string())?;
    let mut out = vec![0u8; image::HEADER + n + 4];
    let len = image::encode_app(&mut out, &block).map_err(|e| e.to_string())?;
    out.truncate(len);
    Ok(out)
}

/// The solver image of a problem (`neurochip solve FILE --export OUT.img`).
pub fn solver_image(csp: &Csp, params: Params, seed: u64, budget: u64) -> Result<Vec<u8>, String> {
    let mut edges = Vec::new();
    let spec = solver_spec(csp, params, seed, budget, &mut edges)?;
    encode(&Standalone::Solver(spec))
}

/// The assembly image of a workload (`neurochip assembly --export OUT.img`).
pub fn assembly_image(spec: &AssemblySpec) -> Result<Vec<u8>, String> {
    encode(&Standalone::Assembly(*spec))
}

/// The assembly workload of an `[assembly]` section: the standard area of its size,
/// the digest workload's wiring and stimuli (as `neurochip assembly`).
pub fn assembly_spec(a: &Assembly) -> AssemblySpec {
    AssemblySpec {
        area: area_config(a.neurons as usize, a.cap as usize),
        steps: a.steps,
        seed: a.seed,
        stim_seed: a.stimulus_seed,
        ..AssemblySpec::WORKLOAD
    }
}

/// The application image of a configuration file (`neurochip export FILE -o OUT`):
/// the bytes `neurochip solve --export` or `neurochip assembly --export` write for
/// the same values.
pub fn image(app: &AppConfig) -> Result<Vec<u8>, String> {
    match &app.app {
        Application::Solver(s) => solver_image(&s.csp, s.params(), s.seed, s.steps),
        Application::Assembly(a) => assembly_image(&assembly_spec(a)),
    }
}

/// What an application run gives: the solver's or the area's result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The constraint solver.
    Solver(SolverRun),
    /// An assembly area.
    Assembly(AssemblyRun),
}

impl std::fmt::Display for Outcome {
    /// The line the firmware and `neurochip run-image` print.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Outcome::Solver(r) => r.fmt(f),
            Outcome::Assembly(r) => r.fmt(f),
        }
    }
}

/// What `neurochip run FILE` reports for an application file (`--json`).
#[derive(Clone, Debug, Serialize)]
pub struct AppReport {
    /// The configuration's name.
    pub name: String,
    /// The line `neurochip run-image` prints for the file's image.
    pub line: String,
    /// The size of the file's image, bytes.
    pub image_bytes: usize,
    /// The result.
    #[serde(flatten)]
    pub result: AppResult,
}

/// The result of one application, by kind (`"app": "solver"` or `"assembly"`).
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "app", rename_all = "snake_case")]
pub enum AppResult {
    /// The constraint solver.
    Solver {
        /// The problem file.
        problem: String,
        /// The trace digest, 16 hex digits.
        digest: String,
        /// Whether a solution was found within the budget.
        solved: bool,
        /// The step (from 1) of the first solution.
        solved_at: Option<u64>,
        /// The network's seed.
        seed: u64,
        /// The step budget.
        budget: u64,
    },
    /// An assembly area.
    Assembly {
        /// The area's digest (final weights folded in), 16 hex digits.
        digest: String,
        /// Neurons.
        neurons: u32,
        /// Cap.
        cap: u32,
        /// Steps run.
        steps: u32,
        /// Spikes over the run.
        spikes: u64,
        /// The area's seed.
        seed: u64,
        /// The stimuli's seed.
        stimulus_seed: u64,
    },
}

/// Run an application file on the host (`neurochip run FILE`): its image is made and
/// run as `neurochip run-image` runs it, so the two print the same line by
/// construction.
pub fn run_config(app: &AppConfig) -> Result<AppReport, String> {
    let bytes = image(app)?;
    let outcome = run_outcome(&bytes)?;
    let result = match (&app.app, outcome) {
        (Application::Solver(s), Outcome::Solver(r)) => AppResult::Solver {
            problem: s.problem.clone(),
            digest: format!("{:016x}", r.digest),
            solved: r.solved_at.is_some(),
            solved_at: r.solved_at,
            seed: s.seed,
            budget: s.steps,
        },
        (Application::Assembly(a), Outcome::Assembly(r)) => AppResult::Assembly {
            digest: format!("{:016x}", r.digest),
            neurons: a.neurons,
            cap: a.cap,
            steps: r.steps,
            spikes: r.spikes,
            seed: a.seed,
            stimulus_seed: a.stimulus_seed,
        },
        _ => return Err("the image holds another application than its file".into()),
    };
    Ok(AppReport {
        name: app.name.clone(),
        line: outcome.to_string(),
        image_bytes: bytes.len(),
        result,
    })
}

/// Run an assembly workload on the host in buffers of its size: the line the
/// firmware prints.
pub fn run_assembly(spec: &AssemblySpec) -> Result<String, String> {
    assembly_run(spec).map(|r| r.to_string())
}

/// [`run_assembly`]: the digest and spike count.
pub fn assembly_run(spec: &AssemblySpec) -> Result<AssemblyRun, String> {
    assembly_observed(spec, |_, _| {}, |_| {})
}

/// [`assembly_run`], showing `on_step(x, z)` the input and spikes of every step and
/// `wired` the afferent and recurrent weights after the run (the cycle model counts
/// from them).
pub fn assembly_observed(
    spec: &AssemblySpec,
    on_step: impl FnMut(&[bool], &[bool]),
    wired: impl FnOnce(&[i16]),
) -> Result<AssemblyRun, String> {
    // The image's range checks first, so a refused area allocates nothing.
    encode(&Standalone::Assembly(*spec))?;
    let l = lengths(&spec.area);
    let (n, m) = (spec.area.n, spec.area.n_in);
    let mut weights = vec![0i16; l[0].1 + l[1].1];
    let (mut v, mut z) = (vec![0i32; n], vec![false; n]);
    let mut traces = vec![0u16; m + 2 * n];
    let mut x = vec![false; m];
    let mut mem =
        carve(&spec.area, &mut weights, &mut v, &mut z, &mut traces).map_err(|e| e.to_string())?;
    let run = spec
        .run_observed(&mut mem, &mut x, on_step)
        .map_err(|e| e.to_string())?;
    wired(&weights);
    Ok(run)
}

/// Run an application image as its firmware binary does; the lines it prints.
pub fn run(bytes: &[u8]) -> Result<Vec<String>, String> {
    run_outcome(bytes).map(|o| vec![o.to_string()])
}

/// Run a solver application in memories sized for its problem.
pub fn run_solver(spec: &SolverSpec<'_>) -> Result<SolverRun, String> {
    solver_observed(spec, |_| {})
}

/// [`run_solver`], showing `on_step` the solver after every step.
pub fn solver_observed(
    spec: &SolverSpec<'_>,
    on_step: impl FnMut(&neurochip_core::solver::Solver<'_, '_>),
) -> Result<SolverRun, String> {
    let [o, nb, b] = spec.lengths();
    let (mut o, mut nb, mut b) = (vec![0u32; o], vec![0u16; nb], vec![0u8; b]);
    let mem = SolverMemory {
        offsets: &mut o,
        neighbours: &mut nb,
        bytes: &mut b,
    };
    spec.run_observed(mem, on_step).map_err(|e| e.to_string())
}

/// Run an application image as its firmware binary does; what it computes.
pub fn run_outcome(bytes: &[u8]) -> Result<Outcome, String> {
    let block = image::decode_app(bytes).map_err(|e| e.to_string())?;
    match Standalone::decode(block).map_err(|e| e.to_string())? {
        Standalone::Solver(spec) => Ok(Outcome::Solver(run_solver(&spec)?)),
        Standalone::Assembly(spec) => Ok(Outcome::Assembly(assembly_run(&spec)?)),
    }
}

/// What an application image holds, as `neurochip inspect` prints it after the file
/// name.
pub fn describe(bytes: &[u8]) -> Result<String, String> {
    let block = image::decode_app(bytes).map_err(|e| e.to_string())?;
    let lines = match Standalone::decode(block).map_err(|e| e.to_string())? {
        Standalone::Solver(s) => {
            let problem = match s.problem {
                SolverProblem::Sudoku { box_size, cells } => {
                    let size = usize::from(box_size).pow(2);
                    let givens = cells.iter().filter(|&&c| c > 0).count();
                    format!("{size}x{size} sudoku, {givens} givens")
                }
                SolverProblem::Graph {
                    colors,
                    nodes,
                    edges,
                } => format!(
                    "graph colouring, {nodes} nodes, {} edges, {colors} colours",
                    edges.len() / EDGE_BYTES
                ),
            };
            let p = s.params;
            vec![
                "application image (kind 3), format version 1".to_string(),
                format!("  app        constraint solver (application kind {KIND_SOLVER})"),
                format!("  problem    {problem}"),
                format!(
                    "  network    {} variables x {} values = {} neurons, {} neighbour entries",
                    s.problem.variables(),
                    s.problem.values(),
                    s.problem.variables() * s.problem.values(),
                    s.problem.neighbour_entries()
                ),
                format!(
                    "  constants  inhibition {}, clue bias {}, refractory {}, quiet {}, floor {}",
                    p.inhibition, p.clue_bias, p.refractory, p.quiet, p.floor
                ),
                format!("  seed       {}", s.seed),
                format!("  budget     {} steps", s.budget),
            ]
        }
        Standalone::Assembly(s) => {
            let a = &s.area;
            let st = &a.stdp;
            vec![
                "application image (kind 3), format version 1".to_string(),
                format!("  app        STDP assembly area (application kind {KIND_ASSEMBLY})"),
                format!(
                    "  area       {} neurons, cap {}, {} inputs ({} stimuli of {})",
                    a.n, a.k, a.n_in, s.stimuli, s.stim_size
                ),
                format!(
                    "  neuron     leak {}, v_th {}, rec_shift {}, rounding {:?}",
                    a.leak, a.v_th, a.rec_shift, a.rounding
                ),
                format!(
                    "  stdp       a_pre {}, a_post {}, inc {}, a_plus {}, a_minus {}, shift {}, w_max {}, rounding {:?}",
                    st.a_pre, st.a_post, st.inc, st.a_plus, st.a_minus, st.shift, st.w_max, st.rounding
                ),
                format!(
                    "  wiring     p_in {}, p_rec {} (/65536), initial weights {}..={}",
                    s.p_in, s.p_rec, s.w0_lo, s.w0_hi
                ),
                format!(
                    "  stimuli    {} steps each, p_fire {}, p_bg {} (/65536), stimulus seed {}",
                    s.period, s.p_fire, s.p_bg, s.stim_seed
                ),
                format!("  seed       {}", s.seed),
                format!("  steps      {}", s.steps),
            ]
        }
    };
    Ok(lines.join("\n"))
}
