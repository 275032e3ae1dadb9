//! `neurochip import-nir`, `export-nir` and `convert-events`: NIR graphs (the
//! Neuromorphic Intermediate Representation, HDF5) in and out, and an HDF5 event
//! file in the layout of the Spiking Heidelberg Digits to the chip's `.npz`. The
//! binary checks the arguments and outputs before any work, then the Python package
//! does it ([`super::python`]; docs/nir.md).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::{python, Output};

/// Arguments of `neurochip import-nir`.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  neurochip import-nir model.nir -o model.toml            # writes model.toml and model.npz\n  neurochip import-nir model.nir -o model.toml --dt 1e-3  # NIR's time constants in seconds, 1 ms steps\n  neurochip run model.toml\n\nThe mapping, parameter by parameter: docs/nir.md"
)]
pub struct ImportArgs {
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

/// Arguments of `neurochip convert-events`.
#[derive(clap::Args)]
#[command(after_help = "Example:\n  neurochip convert-events shd_train.h5 -o shd_train.npz")]
pub struct ConvertArgs {
    /// An HDF5 file in the layout of the Spiking Heidelberg Digits (`spikes/times`,
    /// `spikes/units` ragged per sample, `labels`).
    file: PathBuf,
    /// The .npz event file to write (atomically).
    #[arg(short, long)]
    output: PathBuf,
}

fn os(p: &Path) -> OsString {
    p.as_os_str().to_owned()
}

/// Run `neurochip import-nir`.
pub fn import(a: ImportArgs) -> ExitCode {
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

/// Run `neurochip export-nir`.
pub fn export(a: ExportArgs) -> ExitCode {
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

/// Run `neurochip convert-events`.
pub fn convert(a: ConvertArgs) -> ExitCode {
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
