//! `neurochip experiment`: rerun one of the comparisons of docs/experiments.md.

use std::path::PathBuf;
use std::process::ExitCode;

use neurochip_lab::experiment;

use super::fail;

/// Arguments of `neurochip experiment`.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  neurochip experiment --list\n  neurochip experiment reservoir --quick --out /tmp/reservoir"
)]
pub struct Args {
    /// The experiment (see --list).
    #[arg(required_unless_present = "list")]
    name: Option<String>,
    /// List the experiments and what each compares.
    #[arg(long)]
    list: bool,
    /// A short version (fewer seeds, episodes, samples) for a smoke run.
    #[arg(long)]
    quick: bool,
    /// Run folder (default `runs/<name>-<timestamp>`).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// No progress bars.
    #[arg(long, short)]
    quiet: bool,
    /// Write into the --out folder even if it holds files already.
    #[arg(long, requires = "out")]
    force: bool,
}

/// Run `neurochip experiment`.
pub fn run(a: Args) -> ExitCode {
    if a.list {
        for e in experiment::ALL {
            println!("  {:<20} {}", e.name, e.about);
        }
        return ExitCode::SUCCESS;
    }
    let name = a.name.unwrap_or_default();
    let exp = match experiment::find(&name) {
        Ok(e) => e,
        Err(e) => return fail(e),
    };
    // Claimed before the work: new or empty (or --force), locked while it runs, gone
    // again if the experiment fails before writing into it.
    let dir = match neurochip_lab::runs::claim(a.out.as_deref(), &name, a.force) {
        Ok(d) => d,
        Err(e) => return fail(e),
    };
    let ctx = experiment::Ctx {
        out: dir.path().to_path_buf(),
        quick: a.quick,
        quiet: a.quiet,
    };
    match experiment::run(exp, &ctx) {
        Ok(o) => {
            print!("{}", o.table);
            println!("run folder: {}", ctx.out.display());
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}
