//! `neurochip bench`: time the chip's step loop on the host (functional path, or
//! through the cycle model).

use std::path::PathBuf;
use std::process::ExitCode;

use super::{fail, json};

/// Arguments of `neurochip bench`.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  neurochip bench examples/bench256.toml --steps 10000\n  neurochip bench examples/bench256.toml --mode exact --json\n  neurochip bench examples/bench256.toml --arch reckon --json"
)]
pub struct Args {
    /// Chip configuration (TOML).
    config: PathBuf,
    /// Steps to time.
    #[arg(long, default_value_t = 10_000)]
    steps: u64,
    /// Step through the cycle model of this architecture.
    #[arg(long, value_name = "ARCH")]
    arch: Option<String>,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
    /// Time one kind of step on the configuration's network: `forward` (learning
    /// off), `exact` or `light` (a training step: step, then learn with a target).
    #[arg(long, value_name = "MODE")]
    mode: Option<neurochip_emu::peer::Mode>,
}

/// Run `neurochip bench`.
pub fn run(a: Args) -> ExitCode {
    let cfg = match super::load(&a.config) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let arch = match a.arch.as_deref().map(super::arch).transpose() {
        Ok(x) => x,
        Err(code) => return code,
    };
    match neurochip_emu::peer::time_steps(&cfg, arch.as_ref(), a.steps, a.mode) {
        Ok(t) if a.json => println!("{}", json(&t)),
        Ok(t) => println!("{}", t.line()),
        Err(e) => return fail(e),
    }
    ExitCode::SUCCESS
}
