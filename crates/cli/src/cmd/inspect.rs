//! `neurochip inspect`: what a chip image or a snapshot holds (and whether it checks).

use std::path::PathBuf;
use std::process::ExitCode;

use neurochip_emu::export;

use super::fail;

/// Arguments of `neurochip inspect`.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  neurochip inspect firmware/images/default.img\n  neurochip run examples/cue.toml --save cue.snap && neurochip inspect cue.snap --config examples/cue.toml"
)]
pub struct Args {
    /// Chip image or snapshot file.
    image: PathBuf,
    /// Also check that the chip fits a firmware profile (`qemu`, `stm32f411`).
    #[arg(long, value_name = "BOARD")]
    board: Option<String>,
    /// For a snapshot: also check its memories, value by value, against the chip of
    /// this configuration (the one it was saved from; the file holds only its hash).
    #[arg(long, value_name = "CONFIG")]
    config: Option<PathBuf>,
}

/// Run `neurochip inspect`.
pub fn run(a: Args) -> ExitCode {
    let name = a.image.display();
    let bytes = match export::read_chip_file(&a.image) {
        Ok(b) => b,
        Err(e) => return fail(e),
    };
    let text = match export::describe(&bytes) {
        Ok(text) => text,
        Err(e) => return fail(format!("{name}: {e}")),
    };
    if let Some(b) = &a.board {
        if let Err(e) = export::check_image_board(&bytes, &name.to_string(), b) {
            return fail(e);
        }
    }
    if let Some(c) = &a.config {
        if !bytes.starts_with(b"NCSS") {
            return fail(format!(
                "{name}: --config applies to snapshots (NCSS); a chip image carries its own \
                 configuration and is checked whole"
            ));
        }
        let cfg = match neurochip_emu::config::load(c) {
            Ok(cfg) => cfg,
            Err(e) => return fail(e),
        };
        if let Err(e) = neurochip_emu::snapshot::check_against(&bytes, &cfg) {
            return fail(format!("{name}: {e}"));
        }
    }
    println!("{name}: {text}");
    if let Some(b) = &a.board {
        println!("  board      fits {b}");
    }
    if let Some(c) = &a.config {
        println!(
            "  memories   in their formats, for the chip of {}",
            c.display()
        );
    }
    ExitCode::SUCCESS
}
