//! Files that describe an application instead of an e-prop chip: `[solver]` (the
//! constraint solver, application kind 4) or `[assembly]` (an STDP assembly area,
//! kind 5). Such a file holds its one section and at most a `name`; a chip's key or
//! section (`seed`, `[network]`, ...) is refused, named, as is a second application.
//! Defaults are those of `neurochip solve` and `neurochip assembly`, so a file and the
//! command line with the same values write the same image.

use std::path::{Path, PathBuf};

use neurochip_core::solver::Params;
use neurochip_tasks::assembly::AssemblySpec;

use super::check::stem;
use super::error::ConfigError;
use super::raw::{RawAssembly, RawFile, RawSolver};
use super::schema::{self, Rule};
use super::source::Source;
use super::{AppConfig, Application, Assembly, Solver};
use crate::csp;

type Result<T> = std::result::Result<T, ConfigError>;

/// Whether the file has an application section.
pub(super) fn is_app(raw: &RawFile) -> bool {
    raw.solver.is_some() || raw.assembly.is_some()
}

/// The section of the application and what it describes.
fn section_of(raw: &RawFile) -> (&'static str, &'static str) {
    if raw.solver.is_some() {
        ("solver", "the constraint solver")
    } else {
        ("assembly", "an STDP assembly area")
    }
}

/// The refusal of an application file by a command that takes chip files: the file's
/// first mistake (without reading its problem file), else a line at its section.
pub(super) fn not_a_chip(raw: &RawFile, src: &Source<'_>) -> ConfigError {
    if let Err(e) = keys(raw, src) {
        return e;
    }
    let (section, what) = section_of(raw);
    src.error(
        section,
        format!(
            "[{section}] describes an application ({what}), not an e-prop chip; this command \
             takes chip configurations (`neurochip run`, `check` and `export` take this file)"
        ),
    )
}

/// Check an application file and fill in every default; the solver's problem file is
/// read and checked.
pub(super) fn app(raw: RawFile, src: &Source<'_>) -> Result<AppConfig> {
    keys(&raw, src)?;
    let app = match (&raw.solver, &raw.assembly) {
        (Some(s), _) => Application::Solver(solver(solver_keys(s, src)?, src)?),
        (None, Some(a)) => Application::Assembly(assembly(a, src)?),
        (None, None) => return Err(src.error("solver", "no application section")),
    };
    Ok(AppConfig {
        name: raw.name.unwrap_or_else(|| stem(src.origin)),
        origin: src.origin.to_string(),
        app,
    })
}

/// Every check of an application file that reads no other file: one application, no
/// chip keys, every key of its section in range.
fn keys(raw: &RawFile, src: &Source<'_>) -> Result<()> {
    let (section, what) = section_of(raw);
    if raw.solver.is_some() && raw.assembly.is_some() {
        return Err(src.error(
            "assembly",
            "a file describes one application; allowed: [solver] or [assembly], not both",
        ));
    }
    // A chip's keys first: they would mean nothing here.
    let foreign = schema::keys_of("")
        .into_iter()
        .filter(|k| !schema::APP_KEYS.contains(k) && !schema::APPS.contains(k) && src.has(k))
        .min_by_key(|k| src.pos(k));
    if let Some(k) = foreign {
        let is_section = schema::field(k).is_some_and(|f| f.rule == Rule::Section);
        let it = if is_section {
            format!("[{k}] is a section of an e-prop chip configuration")
        } else {
            format!("`{k}` is a key of an e-prop chip configuration")
        };
        let hint = if k == "seed" {
            format!(" (the application's seed is {section}.seed)")
        } else {
            String::new()
        };
        return Err(src.error(
            k,
            format!(
                "{it}; a file with [{section}] describes {what}; allowed with it: {}, \
                 [{section}]{hint}",
                schema::APP_KEYS.join(", ")
            ),
        ));
    }
    if let Some(s) = &raw.solver {
        solver_keys(s, src)?;
    }
    if let Some(a) = &raw.assembly {
        assembly(a, src)?;
    }
    Ok(())
}

/// A whole number `v` (else `default`) in the range of its schema rule, as `T`.
fn whole<T: TryFrom<i128>>(
    src: &Source<'_>,
    path: &str,
    v: Option<impl Into<i128>>,
    default: impl Into<i128>,
) -> Result<T> {
    let v = v.map_or_else(|| default.into(), Into::into);
    let field = schema::field(path);
    let (lo, hi) = match field.map(|f| f.rule) {
        Some(Rule::Int { lo, hi }) => (i128::from(lo), i128::from(hi)),
        Some(Rule::Signed { lo, hi }) => (i128::from(lo), i128::from(hi)),
        _ => (i128::MIN, i128::MAX),
    };
    match T::try_from(v) {
        Ok(t) if (lo..=hi).contains(&v) => Ok(t),
        _ => Err(src.error(
            path,
            format!(
                "{} is out of range; {}",
                src.shown(path, v),
                field.map(|f| f.allowed()).unwrap_or_default()
            ),
        )),
    }
}

/// `path` as written if it is there (or absolute), else in the folder of `origin`
/// when it is there.
fn resolve(origin: &str, path: &str) -> PathBuf {
    let p = Path::new(path);
    if p.is_absolute() || p.exists() {
        return p.to_path_buf();
    }
    match Path::new(origin).parent().map(|d| d.join(p)) {
        Some(alt) if alt.exists() => alt,
        _ => p.to_path_buf(),
    }
}

/// `[solver]` checked, its problem file not yet read.
struct SolverKeys<'r> {
    problem: &'r str,
    seed: u64,
    steps: u64,
    colors: Option<u32>,
    params: Params,
}

fn solver_keys<'r>(r: &'r RawSolver, src: &Source<'_>) -> Result<SolverKeys<'r>> {
    let d = Params::DEFAULT;
    let seed: u64 = whole(src, "solver.seed", r.seed, 1)?;
    let steps: u64 = whole(src, "solver.steps", r.steps, 1_000_000)?;
    let inhibition: u8 = whole(src, "solver.inhibition", r.inhibition, d.inhibition)?;
    let refractory: u8 = whole(src, "solver.refractory", r.refractory, d.refractory)?;
    let clue_bias: u8 = whole(src, "solver.clue_bias", r.clue_bias, d.clue_bias)?;
    let quiet_potential: i8 = whole(src, "solver.quiet_potential", r.quiet_potential, d.quiet)?;
    let floor: i8 = whole(src, "solver.floor", r.floor, d.floor)?;
    let colors: Option<u32> = r
        .colors
        .map(|c| whole(src, "solver.colors", Some(c), 0))
        .transpose()?;
    let Some(written) = r.problem.as_deref() else {
        return Err(src.error(
            "solver.problem",
            "missing: [solver] needs `problem`, the Sudoku or graph file to solve (e.g. \
             problem = \"problems/sudoku/pe96_01.txt\"); allowed: a string in quotes",
        ));
    };
    Ok(SolverKeys {
        problem: written,
        seed,
        steps,
        colors,
        params: Params {
            inhibition,
            clue_bias,
            refractory,
            quiet: quiet_potential,
            floor,
        },
    })
}

/// The problem file of `k` read and checked: the solver.
fn solver(k: SolverKeys<'_>, src: &Source<'_>) -> Result<Solver> {
    let (written, colors) = (k.problem, k.colors);
    let path = resolve(src.origin, written);
    let name = path.display().to_string();
    let at = |e: String| src.error("solver.problem", e);
    let text =
        crate::inputs::read_text(&path, "problem file", crate::inputs::PROBLEM).map_err(|e| {
            if path.is_relative() && !path.exists() {
                at(format!(
                    "{e}; a relative path is looked up in the working directory, then in \
                     the folder of {}",
                    src.origin
                ))
            } else {
                at(e.to_string())
            }
        })?;
    if let Some(k) = colors {
        if let Ok(csp::Csp {
            kind: csp::Kind::Sudoku { size, .. },
            ..
        }) = csp::parse(&text, &name, None)
        {
            return Err(src.error(
                "solver.colors",
                format!(
                    "{k} colours, but {name} is a {size}x{size} Sudoku (its values are its \
                     digits); allowed: colors with a graph problem only"
                ),
            ));
        }
    }
    let csp = csp::checked(&text, &name, colors.map(|c| c as usize)).map_err(at)?;
    let p = k.params;
    Ok(Solver {
        problem: name,
        csp,
        seed: k.seed,
        steps: k.steps,
        colors,
        inhibition: p.inhibition,
        refractory: p.refractory,
        quiet_potential: p.quiet,
        floor: p.floor,
        clue_bias: p.clue_bias,
    })
}

fn assembly(r: &RawAssembly, src: &Source<'_>) -> Result<Assembly> {
    let w = AssemblySpec::WORKLOAD;
    let neurons: u32 = whole(src, "assembly.neurons", r.neurons, w.area.n as i128)?;
    let cap: u32 = whole(src, "assembly.cap", r.cap, w.area.k as i128)?;
    if cap > neurons {
        return Err(src.error(
            "assembly.cap",
            format!(
                "{} is more than the area's neurons; allowed 1..={neurons} (assembly.neurons \
                 = {neurons})",
                src.shown("assembly.cap", cap)
            ),
        ));
    }
    Ok(Assembly {
        neurons,
        cap,
        steps: whole(src, "assembly.steps", r.steps, w.steps)?,
        seed: whole(src, "assembly.seed", r.seed, w.seed)?,
        stimulus_seed: whole(src, "assembly.stimulus_seed", r.stimulus_seed, w.stim_seed)?,
    })
}
