//! `neurochip network`: the chip's network as JSON for other simulators.

use std::process::ExitCode;

use super::{json, ConfigToFile};

/// Arguments of `neurochip network`.
#[derive(clap::Args)]
#[command(after_help = "Example:\n  neurochip network examples/bench256.toml -o bench256.json")]
pub struct Args {
    #[command(flatten)]
    io: ConfigToFile,
}

/// Run `neurochip network`.
pub fn run(a: Args) -> ExitCode {
    match a.io.write("network JSON", |cfg| {
        neurochip_emu::peer::network_json(cfg).map(|v| json(&v).into_bytes())
    }) {
        Ok(_) => ExitCode::SUCCESS,
        Err(code) => code,
    }
}
