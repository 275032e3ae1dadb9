//! Application images on the host: workloads that are not an e-prop chip (the
//! constraint solver, an STDP assembly area) written as images (`neurochip solve FILE
//! --export OUT.img`, `neurochip assembly --export OUT.img`), run exactly as their
//! firmware binary runs them (`neurochip run-image`), and described (`neurochip
//! inspect`). Format: `docs/formats.md`, "Application images".

use neurochip_core::assembly::lengths;
use neurochip_core::image;
use neurochip_core::solver::Params;
use neurochip_tasks::app::{Standalone, KIND_ASSEMBLY, KIND_SOLVER};
use neurochip_tasks::assembly::{carve, AssemblySpec};
use neurochip_tasks::solver::{SolverMemory, SolverProblem, SolverSpec, EDGE_BYTES};

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

/// Run an assembly workload on the host in buffers of its size: the line the
/// firmware prints.
pub fn run_assembly(spec: &AssemblySpec) -> Result<String, String> {
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
    let r = spec.run(&mut mem, &mut x).map_err(|e| e.to_string())?;
    Ok(r.to_string())
}

/// Run an application image as its firmware binary does; the lines it prints.
pub fn run(bytes: &[u8]) -> Result<Vec<String>, String> {
    let block = image::decode_app(bytes).map_err(|e| e.to_string())?;
    match Standalone::decode(block).map_err(|e| e.to_string())? {
        Standalone::Solver(spec) => {
            let p = &spec.problem;
            let n = p.variables();
            let (mut o, mut nb) = (vec![0u32; n + 1], vec![0u16; p.neighbour_entries()]);
            let (mut c, mut v, mut t) = (vec![0u8; n], vec![0u8; n], vec![0u8; n]);
            let mut k = vec![0u8; n * p.values()];
            let mem = SolverMemory {
                offsets: &mut o,
                neighbours: &mut nb,
                clues: &mut c,
                value: &mut v,
                timer: &mut t,
                conflicts: &mut k,
            };
            let r = spec.run(mem).map_err(|e| e.to_string())?;
            Ok(vec![r.to_string()])
        }
        Standalone::Assembly(spec) => Ok(vec![run_assembly(&spec)?]),
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
