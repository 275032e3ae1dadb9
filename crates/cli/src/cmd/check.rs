//! `neurochip check`: check a configuration (and build its chip and task) without
//! running it.

use std::path::PathBuf;
use std::process::ExitCode;

use super::fail;

/// Arguments of `neurochip check`.
#[derive(clap::Args)]
#[command(after_help = "Example:\n  neurochip check examples/cue.toml")]
pub struct Args {
    /// Chip configuration (TOML).
    config: PathBuf,
}

/// Run `neurochip check`.
pub fn run(a: Args) -> ExitCode {
    let cfg = match super::load(&a.config) {
        Ok(c) => c,
        Err(code) => return code,
    };
    match neurochip_emu::build::check(&cfg) {
        Ok(()) => {
            println!("{}: ok", a.config.display());
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}
