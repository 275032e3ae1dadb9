//! `neurochip import-nir`: a NIR graph (the Neuromorphic Intermediate
//! Representation, HDF5) as a chip configuration and its weights. The binary checks
//! the arguments and outputs before any work, then the Python package does it
//! ([`super::python`]; docs/nir.md).

use std::path::PathBuf;
use std::process::ExitCode;

use super::python::{self, os};
use super::Output;

/// Arguments of `neurochip import-nir`.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  neurochip import-nir model.nir -o model.toml            # writes model.toml and model.npz\n  neurochip import-nir model.nir -o model.toml --dt 1e-3  # NIR's time constants in seconds, 1 ms steps\n  neurochip run model.toml\n\nThe mapping, parameter by parameter: docs/nir.md"
)]
pub struct Args {
    /// A NIR graph (HDF5, written by `nir.write`): Input -> Affine/Linear -> LIF or
    /// CubaLIF (with a recurrent Affine/Linear) -> Affine/Linear -> LI or CubaLI.
    file: PathBuf,
    /// The chip configuration to write; the weights go beside it (same name, .npz).
    #[arg(short, long)]
    output: PathBuf,
    /// The time step, in the unit of the graph's time constants (seconds: 1e-3 is
    /// 1 ms).
    #[arg(long, default_value = "0.001")]
    dt: f64,
}

/// Run `neurochip import-nir`.
pub fn run(a: Args) -> ExitCode {
    let weights = a.output.with_extension("npz");
    let outs = [
        Output {
            flag: "-o",
            what: "configuration",
            path: &a.output,
        },
        Output {
            flag: "-o (weights beside it)",
            what: "weights file",
            path: &weights,
        },
    ];
    if let Err(code) = super::check_outputs(&outs, &[&a.file]) {
        return code;
    }
    if !(a.dt.is_finite() && a.dt > 0.0) {
        return super::fail(format!(
            "--dt: {} is not a time step; allowed: a finite number > 0 (seconds)",
            a.dt
        ));
    }
    python::delegate(
        "import-nir",
        vec![
            os(&a.file),
            "-o".into(),
            os(&a.output),
            "--dt".into(),
            a.dt.to_string().into(),
        ],
    )
}
