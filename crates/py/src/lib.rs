//! # neurochip-py
//!
//! The native module `neurochip._neurochip` of the Python package `neurochip`: thin
//! PyO3 wrappers over the host library [`neurochip_emu`]. Every figure, digest and
//! error text comes from the library, so Python and the `neurochip` command line agree
//! on them; this crate converts arguments and results (numpy arrays, dicts) and holds
//! no chip logic of its own.
//!
//! | module | what |
//! |---|---|
//! | `config` | `config::Config`: a checked configuration from a file, TOML text or a dict |
//! | `chip` | `chip::Chip`: a chip built from a configuration: step, run, train, weights, images, snapshots |
//! | `report` | `report::Report`: what `neurochip run` / `verify` print with `--json`, as an object |
//! | `arrays` | numpy arrays in and out |
//! | `lab` | sweeps: the grid's points, one point (a Ray task), the grid on this machine |
//! | `error` | `NeurochipError` (a `ValueError`) carrying the library's one-line messages |
//!
//! The workspace denies `unsafe_code`, and so does this crate, with no exception:
//! PyO3's macros (`#[pyclass]`, `#[pymethods]`, `#[pyfunction]`, `#[pymodule]`,
//! `create_exception!`) compile under the lint as they are, and there is no
//! hand-written `unsafe` here. Should a PyO3 upgrade need it, allow `unsafe_code` on
//! the one item its macro expands, with a comment, not on the crate.

use std::path::PathBuf;

use neurochip_emu::config::{Config as EmuConfig, Engine};
use neurochip_emu::sim::RefWeights;
use neurochip_emu::{arch_run, checkpoint, export, learn, reward, sim, Arch};
use pyo3::prelude::*;
use pyo3::types::PyDict;

mod arrays;
mod chip;
mod config;
mod error;
mod lab;
mod report;

use config::Config;
use error::{err, NeurochipError};
use report::Report;

/// The configuration `config` stands for: a `Config`, a dict, or a path.
fn config_of(config: &Bound<'_, PyAny>) -> PyResult<EmuConfig> {
    Ok(Config::coerce(config)?.cfg.clone())
}

/// Warnings the command line prints before a run (learning rates too small to move
/// any weight), as Python warnings.
pub(crate) fn warn_rates(py: Python<'_>, cfg: &EmuConfig) -> PyResult<()> {
    for w in neurochip_emu::rates::warnings(cfg) {
        let category = py.get_type::<pyo3::exceptions::PyUserWarning>();
        PyErr::warn(py, &category, &std::ffi::CString::new(w)?, 1)?;
    }
    Ok(())
}

/// The refusal of a step budget on a configuration that learns.
fn no_steps_when_learning(cfg: &EmuConfig, steps: Option<u64>) -> PyResult<()> {
    if steps.is_some() && cfg.learns() {
        return Err(err(sim::steps_on_training(&cfg.origin)));
    }
    Ok(())
}

/// Run a configuration as `neurochip run CONFIG --json` does, and return its report.
///
/// A configuration that does not learn runs its inference samples (`kind == "run"`;
/// `steps` stops it early); one that learns trains a fresh chip by its `[train]` plan
/// (`kind == "train"`), or by reward-based e-prop when it has `[reward]`
/// (`kind == "reward"`). The report holds the same figures and the same digest as the
/// command line's JSON.
#[pyfunction]
#[pyo3(signature = (config, *, steps = None))]
fn run(py: Python<'_>, config: &Bound<'_, PyAny>, steps: Option<u64>) -> PyResult<Report> {
    let cfg = config_of(config)?;
    no_steps_when_learning(&cfg, steps)?;
    warn_rates(py, &cfg)?;
    if cfg.reward.is_some() {
        let (rep, _) = reward::train_chip(&cfg, None, &|| None, |_, _| {}).map_err(err)?;
        return Report::new(py, "reward", &rep);
    }
    if cfg.learning.engine != Engine::Off {
        let stop = chip::Interrupts::new(py);
        let opts = checkpoint::Options {
            stop: Some(&|| stop.check()),
            ..Default::default()
        };
        let res = checkpoint::train_chip(&cfg, true, &opts, |_| {});
        stop.raise()?;
        let (rep, _) = res.map_err(err)?;
        return Report::new(py, "train", &rep);
    }
    let rep = sim::run(&cfg, steps).map_err(err)?;
    Report::new(py, "run", &rep)
}

/// Verify a configuration as `neurochip verify CONFIG --json` does: the fixed-point
/// chip beside the f64 reference.
///
/// A configuration that does not learn runs both on the same input
/// (`kind == "verify"`; `weights` is the reference's: `"dequantized"`, the chip's own,
/// or `"float"`, the original float weights); one that learns trains both side by
/// side (`kind == "learn_verify"`, or `"reward_verify"` with `[reward]`).
#[pyfunction]
#[pyo3(signature = (config, *, weights = "dequantized", steps = None))]
fn verify(
    py: Python<'_>,
    config: &Bound<'_, PyAny>,
    weights: &str,
    steps: Option<u64>,
) -> PyResult<Report> {
    let cfg = config_of(config)?;
    let weights: RefWeights = weights.parse().map_err(err)?;
    no_steps_when_learning(&cfg, steps)?;
    warn_rates(py, &cfg)?;
    if cfg.reward.is_some() {
        let (rep, _) = reward::verify(&cfg, |_, _| {}).map_err(err)?;
        return Report::new(py, "reward_verify", &rep);
    }
    if cfg.learning.engine != Engine::Off {
        let rep = learn::verify_learning(&cfg, true, |_, _| {}).map_err(err)?;
        return Report::new(py, "learn_verify", &rep);
    }
    let rep = sim::verify(&cfg, weights, steps).map_err(err)?;
    Report::new(py, "verify", &rep)
}

/// Step a configuration's chip through the cycle-level model of an architecture, as
/// `neurochip run CONFIG --arch ARCH --json` does (`kind == "cycles"`): the digest
/// (the same as without the model), and under `cycles` the cycles per stage, the
/// real-time clock, SRAM per bank, operation counts and energy.
///
/// `arch` is a shipped name (`reckon`, `xylo`, `multicore`) or an architecture TOML
/// file. `steps` stops an inference run early.
#[pyfunction]
#[pyo3(signature = (config, arch = "reckon", *, steps = None))]
fn cycles(
    py: Python<'_>,
    config: &Bound<'_, PyAny>,
    arch: &str,
    steps: Option<u64>,
) -> PyResult<Report> {
    let cfg = config_of(config)?;
    let arch = Arch::resolve(arch).map_err(|e| err(format!("--arch: {e}")))?;
    let rep = arch_run::run_arch(&cfg, &arch, steps, true).map_err(err)?;
    Report::new(py, "cycles", &rep)
}

/// What a chip image or a snapshot file holds, as `neurochip inspect FILE` prints it
/// after the file name; raises `NeurochipError` when the file does not check.
#[pyfunction]
fn inspect(path: PathBuf) -> PyResult<String> {
    let bytes = export::read_chip_file(&path).map_err(err)?;
    export::describe(&bytes).map_err(|e| err(format!("{}: {e}", path.display())))
}

/// The TOML text a configuration dict stands for (what `Config.from_dict` parses):
/// the same dict always gives the same text, keys sorted, top-level keys first.
#[pyfunction]
fn to_toml(config: &Bound<'_, PyDict>) -> PyResult<String> {
    config::dict_to_toml(config)
}

/// The native module. `import neurochip` loads it through the pure-Python package,
/// which re-exports everything here.
#[pymodule]
fn _neurochip(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("NeurochipError", m.py().get_type::<NeurochipError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<Config>()?;
    m.add_class::<chip::Chip>()?;
    m.add_class::<chip::Trace>()?;
    m.add_class::<Report>()?;
    m.add_function(wrap_pyfunction!(run, m)?)?;
    m.add_function(wrap_pyfunction!(verify, m)?)?;
    m.add_function(wrap_pyfunction!(cycles, m)?)?;
    m.add_function(wrap_pyfunction!(inspect, m)?)?;
    m.add_function(wrap_pyfunction!(to_toml, m)?)?;
    m.add_function(wrap_pyfunction!(lab::sweep_points, m)?)?;
    m.add_function(wrap_pyfunction!(lab::sweep_point, m)?)?;
    m.add_function(wrap_pyfunction!(lab::sweep_local, m)?)?;
    m.add_function(wrap_pyfunction!(lab::sweep_table, m)?)?;
    m.add_function(wrap_pyfunction!(lab::sweep_csv, m)?)?;
    m.add_function(wrap_pyfunction!(lab::sweep_seeds, m)?)?;
    Ok(())
}
