//! `neurochip network`: the chip's network as JSON for other simulators.

use std::path::PathBuf;
use std::process::ExitCode;

use super::{fail, json};

/// Arguments of `neurochip network`.
#[derive(clap::Args)]
#[command(after_help = "Example:\n  neurochip network examples/bench256.toml -o bench256.json")]
pub struct Args {
    /// Chip configuration (TOML).
    config: PathBuf,
    /// Output JSON file.
    #[arg(short, long)]
    output: PathBuf,
}

/// Run `neurochip network`.
pub fn run(a: Args) -> ExitCode {
    let cfg = match super::load(&a.config) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let v = match neurochip_emu::peer::network_json(&cfg) {
        Ok(v) => v,
        Err(e) => return fail(e),
    };
    if let Err(e) = neurochip_emu::export::write_atomic(&a.output, json(&v).as_bytes()) {
        return fail(format!("{}: cannot write: {e}", a.output.display()));
    }
    ExitCode::SUCCESS
}
