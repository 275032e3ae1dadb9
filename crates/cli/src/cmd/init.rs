//! `neurochip init`: a commented starter configuration for a task.

use std::path::PathBuf;
use std::process::ExitCode;

use super::fail;

/// Arguments of `neurochip init`.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  neurochip init --task cue\n  neurochip init --task digits -o my_digits.toml\n  neurochip check my_digits.toml && neurochip run my_digits.toml"
)]
pub struct Args {
    /// The task: cue, digits, pattern, store-recall.
    #[arg(long, value_name = "TASK")]
    task: String,
    /// Where to write it (default: `<task>.toml` in this folder).
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Replace the file if it exists.
    #[arg(long)]
    force: bool,
}

/// Run `neurochip init`.
pub fn run(a: Args) -> ExitCode {
    match neurochip_emu::init::init(&a.task, a.output.as_deref(), a.force) {
        Ok(w) => {
            if let Some(n) = &w.note {
                eprintln!("note: {n}");
            }
            println!(
                "wrote {}; next: neurochip check {0} && neurochip run {0}",
                w.path.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}
