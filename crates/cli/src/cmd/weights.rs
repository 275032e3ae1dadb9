//! `neurochip weights`: a chip's weights as a numpy `.npz` file (the integers, the
//! layer shifts and the real values; `neurochip_emu::weights_file`), from a
//! configuration, a chip image or a snapshot.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use neurochip_emu::{build, export, snapshot, weights_file, HostChip};

use super::{fail, Output};

/// Arguments of `neurochip weights`.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  neurochip weights examples/cue.toml -o cue.npz\n  neurochip run examples/cue.toml --save cue.snap && neurochip weights cue.snap --config examples/cue.toml -o trained.npz\n  neurochip run examples/cue.toml --weights trained.npz   # a chip that starts from them"
)]
pub struct Args {
    /// A chip configuration (TOML), a chip image, or a snapshot (with --config).
    file: PathBuf,
    /// The configuration a snapshot was saved from.
    #[arg(long, value_name = "CONFIG")]
    config: Option<PathBuf>,
    /// The .npz file to write (atomically).
    #[arg(short, long)]
    output: PathBuf,
}

/// What the first bytes of a file say it is.
fn magic(path: &Path) -> Option<[u8; 4]> {
    use std::io::Read;
    let mut b = [0u8; 4];
    let mut f = std::fs::File::open(path).ok()?;
    f.read_exact(&mut b).ok()?;
    Some(b)
}

/// Run `neurochip weights`.
pub fn run(a: Args) -> ExitCode {
    super::exit(write(&a))
}

fn write(a: &Args) -> Result<ExitCode, ExitCode> {
    let out = Output {
        flag: "-o",
        what: "weights file",
        path: &a.output,
    };
    let kind = magic(&a.file);
    let mut inputs: Vec<&Path> = vec![&a.file];
    if let Some(c) = &a.config {
        inputs.push(c);
    }
    // The chip, checked before anything is written.
    let mut chip: HostChip = match kind.as_ref() {
        Some(b"NCHP") => {
            if a.config.is_some() {
                return Err(fail(format!(
                    "{}: --config applies to snapshots; a chip image holds its configuration",
                    a.file.display()
                )));
            }
            super::check_outputs(&[out], &inputs)?;
            let bytes = export::read_chip_file(&a.file).map_err(fail)?;
            let (chip, _) = HostChip::open_image(&bytes)
                .map_err(|e| fail(format!("{}: {e}", a.file.display())))?;
            chip
        }
        Some(b"NCSS") => {
            let Some(cpath) = &a.config else {
                return Err(fail(format!(
                    "{}: a snapshot holds no configuration; give the one it was saved from \
                     with --config CONFIG",
                    a.file.display()
                )));
            };
            let cfg = super::load(cpath)?;
            inputs.extend(cfg.inputs(cpath));
            super::check_outputs(&[out], &inputs)?;
            let (_, mut chip) = build::chip(&cfg).map_err(fail)?;
            snapshot::load_file(&a.file, &mut chip).map_err(fail)?;
            chip
        }
        _ => {
            if a.config.is_some() {
                return Err(fail(format!(
                    "{}: --config applies to snapshots; this is a configuration",
                    a.file.display()
                )));
            }
            let cfg = super::load(&a.file)?;
            inputs.extend(cfg.inputs(&a.file));
            super::check_outputs(&[out], &inputs)?;
            build::chip(&cfg).map_err(fail)?.1
        }
    };
    let bytes = weights_file::encode(&mut chip).map_err(fail)?;
    out.write(&bytes).map_err(fail)?;
    println!("{}: {} bytes", a.output.display(), bytes.len());
    Ok(ExitCode::SUCCESS)
}
