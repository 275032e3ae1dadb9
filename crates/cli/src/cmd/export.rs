//! `neurochip export` and `neurochip run-image`: write a chip image for the firmware,
//! and run one on the host exactly as the firmware runs it.

use std::path::PathBuf;
use std::process::ExitCode;

use neurochip_emu::export;

use super::fail;

/// Arguments of `neurochip export`.
#[derive(clap::Args)]
#[command(
    after_help = "Example:\n  neurochip export examples/lif.toml -o firmware/images/default.img"
)]
pub struct Args {
    /// Chip configuration (TOML).
    config: PathBuf,
    /// Output image file.
    #[arg(short, long)]
    output: PathBuf,
}

/// Run `neurochip export`.
pub fn run(a: Args) -> ExitCode {
    let cfg = match super::load(&a.config) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let bytes = match export::image_bytes(&cfg) {
        Ok(b) => b,
        Err(e) => return fail(e),
    };
    if let Err(e) = export::write_atomic(&a.output, &bytes) {
        return fail(format!(
            "{}: cannot write the image: {e}",
            a.output.display()
        ));
    }
    println!("{}: {} bytes", a.output.display(), bytes.len());
    ExitCode::SUCCESS
}

/// Arguments of `neurochip run-image`.
#[derive(clap::Args)]
#[command(
    after_help = "Example:\n  neurochip run examples/cue.toml --export cue.img && neurochip run-image cue.img"
)]
pub struct ImageArgs {
    /// Chip image file.
    image: PathBuf,
}

/// Run `neurochip run-image`: print the lines the firmware prints.
pub fn run_image(a: ImageArgs) -> ExitCode {
    let bytes = match export::read_chip_file(&a.image) {
        Ok(b) => b,
        Err(e) => return fail(format!("{}: cannot read: {e}", a.image.display())),
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
