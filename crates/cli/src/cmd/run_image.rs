//! `neurochip run-image`: run a chip image on the host exactly as the firmware runs
//! it.

use std::path::PathBuf;
use std::process::ExitCode;

use neurochip_emu::export;

use super::fail;

/// Arguments of `neurochip run-image`.
#[derive(clap::Args)]
#[command(
    after_help = "Example:\n  neurochip run examples/cue.toml --export cue.img && neurochip run-image cue.img"
)]
pub struct Args {
    /// Chip image file.
    image: PathBuf,
}

/// Run `neurochip run-image`: print the lines the firmware prints.
pub fn run(a: Args) -> ExitCode {
    let bytes = match export::read_chip_file(&a.image) {
        Ok(b) => b,
        Err(e) => return fail(e),
    };
    match export::run_image(&bytes) {
        Ok(lines) => {
            for l in lines {
                println!("{l}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => fail(format!("{}: {e}", a.image.display())),
    }
}
