//! `neurochip export-nir`: a chip (configuration or snapshot) as a NIR graph, by
//! the Python package ([`super::python`]; docs/nir.md).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::python::{self, os};
use super::Output;

/// Arguments of `neurochip export-nir`.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  neurochip export-nir examples/lif.toml -o lif.nir\n  neurochip export-nir cue.snap --config examples/cue.toml -o trained.nir"
)]
pub struct ExportArgs {
    /// A chip configuration (TOML), or a snapshot (with --config).
    file: PathBuf,
    /// The configuration a snapshot was saved from.
    #[arg(long, value_name = "CONFIG")]
    config: Option<PathBuf>,
    /// The NIR file to write (HDF5, atomically).
    #[arg(short, long)]
    output: PathBuf,
}

/// Run `neurochip export-nir`.
pub fn run(a: ExportArgs) -> ExitCode {
    let out = Output {
        flag: "-o",
        what: "NIR file",
        path: &a.output,
    };
    let mut inputs: Vec<&Path> = vec![&a.file];
    if let Some(c) = &a.config {
        inputs.push(c);
    }
    if let Err(code) = super::check_outputs(&[out], &inputs) {
        return code;
    }
    let mut args = vec![os(&a.file), "-o".into(), os(&a.output)];
    if let Some(c) = &a.config {
        args.extend(["--config".into(), os(c)]);
    }
    python::delegate("export-nir", args)
}
