//! `neurochip convert-events`: an HDF5 event file in the layout of the Spiking
//! Heidelberg Digits to the chip's `.npz`, by the Python package
//! ([`super::python`]; docs/nir.md).

use std::path::PathBuf;
use std::process::ExitCode;

use super::python::{self, os};
use super::Output;

/// Arguments of `neurochip convert-events`.
#[derive(clap::Args)]
#[command(after_help = "Example:\n  neurochip convert-events shd_train.h5 -o shd_train.npz")]
pub struct Args {
    /// An HDF5 file in the layout of the Spiking Heidelberg Digits (`spikes/times`,
    /// `spikes/units` ragged per sample, `labels`).
    file: PathBuf,
    /// The .npz event file to write (atomically).
    #[arg(short, long)]
    output: PathBuf,
}

/// Run `neurochip convert-events`.
pub fn run(a: Args) -> ExitCode {
    let out = Output {
        flag: "-o",
        what: "event file",
        path: &a.output,
    };
    if let Err(code) = super::check_outputs(&[out], &[&a.file]) {
        return code;
    }
    python::delegate(
        "convert-events",
        vec![os(&a.file), "-o".into(), os(&a.output)],
    )
}
