//! `neurochip inspect`: what a chip image or a snapshot holds (and whether it checks).

use std::path::PathBuf;
use std::process::ExitCode;

use neurochip_emu::export;

use super::fail;

/// Arguments of `neurochip inspect`.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  neurochip inspect firmware/images/default.img\n  neurochip run examples/cue.toml --save cue.snap && neurochip inspect cue.snap"
)]
pub struct Args {
    /// Chip image or snapshot file.
    image: PathBuf,
}

/// Run `neurochip inspect`.
pub fn run(a: Args) -> ExitCode {
    let name = a.image.display();
    let bytes = match export::read_chip_file(&a.image) {
        Ok(b) => b,
        Err(e) => return fail(e),
    };
    match export::describe(&bytes) {
        Ok(text) => {
            println!("{name}: {text}");
            ExitCode::SUCCESS
        }
        Err(e) => fail(format!("{name}: {e}")),
    }
}
