//! `neurochip check`: check a configuration (and build its chip and task, or make the
//! image of its application) without running it. Learning rates that cannot move any
//! weight are warned about (`neurochip_emu::rates::warnings`), and the file is still ok.

use std::path::PathBuf;
use std::process::ExitCode;

use neurochip_emu::config::Workload;

use super::fail;

/// Arguments of `neurochip check`.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  neurochip check examples/cue.toml\n  neurochip check examples/solver.toml"
)]
pub struct Args {
    /// Chip or application configuration (TOML).
    config: PathBuf,
    /// Also check that the chip fits a firmware profile (`qemu`, `stm32f411`): each
    /// memory arena and the input and readout buffers.
    #[arg(long, value_name = "BOARD")]
    board: Option<String>,
}

/// Run `neurochip check`.
pub fn run(a: Args) -> ExitCode {
    let checked = match super::load_workload(&a.config) {
        Ok(Workload::Chip(cfg)) => neurochip_emu::build::check(&cfg)
            .map_err(|e| e.to_string())
            .and_then(|()| match &a.board {
                Some(b) => neurochip_emu::build::check_board(&cfg, b),
                None => Ok(()),
            })
            .map(|()| neurochip_emu::rates::warnings(&cfg)),
        // An application: its image is made and decoded back (every field in range).
        Ok(Workload::App(app)) => neurochip_emu::apps::image(&app).map(|_| Vec::new()),
        Err(code) => return code,
    };
    match checked {
        Ok(warnings) => {
            for w in warnings {
                println!("warning: {w}");
            }
            println!("{}: ok", a.config.display());
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}
