//! `neurochip export`: write a chip image (or an application's image) for the
//! firmware.

use std::process::ExitCode;

use neurochip_emu::config::Workload;
use neurochip_emu::{apps, export};

use super::{fail, ConfigToFile};

/// Arguments of `neurochip export`.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  neurochip export examples/lif.toml -o firmware/images/default.img\n  neurochip export examples/solver.toml -o firmware/images/solver.img"
)]
pub struct Args {
    #[command(flatten)]
    io: ConfigToFile,
    /// Refuse a chip that does not fit this firmware profile (`qemu`, `stm32f411`),
    /// before anything is written.
    #[arg(long, value_name = "BOARD")]
    board: Option<String>,
    /// Start the chip from the weights in FILE.npz instead of the configuration's own.
    #[arg(long, value_name = "FILE.npz")]
    weights: Option<std::path::PathBuf>,
}

/// Run `neurochip export`: a chip image, or the application image of a `[solver]` or
/// `[assembly]` file (the bytes `neurochip solve --export` or `neurochip assembly
/// --export` write for the same values).
pub fn run(a: Args) -> ExitCode {
    let io = &a.io;
    let written = match super::load_workload(&io.config) {
        Ok(Workload::Chip(mut cfg)) => {
            cfg.with_weights(a.weights.as_deref());
            if let Some(b) = &a.board {
                if let Err(e) = neurochip_emu::build::check_board(&cfg, b) {
                    return fail(e);
                }
            }
            io.put("image", &cfg.inputs(&io.config), || {
                export::image_bytes(&cfg)
            })
        }
        Ok(Workload::App(app)) => io.put("application image", &app.inputs(&io.config), || {
            apps::image(&app)
        }),
        Err(code) => Err(code),
    };
    match written {
        Ok(n) => {
            println!("{}: {n} bytes", io.output.display());
            ExitCode::SUCCESS
        }
        Err(code) => code,
    }
}
