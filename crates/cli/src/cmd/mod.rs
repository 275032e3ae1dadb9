//! One module per subcommand: its arguments (`Args`) and `run`, which parses nothing
//! and computes nothing a library user would need: it calls the host library
//! ([`neurochip_emu`], [`neurochip_lab`]) and prints.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub mod bench;
pub mod check;
pub mod experiment;
pub mod export;
pub mod init;
pub mod inspect;
pub mod network;
pub mod run;
pub mod solve;
pub mod sweep;
pub mod verify;

/// Print `error: MSG` on stderr; exit code 2 (bad input).
pub fn fail(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {msg}");
    ExitCode::from(2)
}

/// `v` as pretty JSON.
pub fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string_pretty(v).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

/// The command line as typed, for the run folder's report.
pub fn command_line() -> String {
    std::env::args().collect::<Vec<_>>().join(" ")
}

/// Load and check a configuration file.
pub fn load(path: &Path) -> Result<neurochip_emu::config::Config, ExitCode> {
    neurochip_emu::config::load(path).map_err(fail)
}

/// Arguments `run` and `verify` share.
#[derive(clap::Args)]
pub struct Common {
    /// Chip configuration (TOML).
    pub config: PathBuf,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Stop after this many steps in total (inference runs).
    #[arg(long, value_name = "N")]
    pub steps: Option<u64>,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
    /// Run folder for report.json, summary.md and the plots (default
    /// runs/<name>-<timestamp>).
    #[arg(long, value_name = "DIR", conflicts_with = "no_out")]
    pub out: Option<PathBuf>,
    /// Write no run folder.
    #[arg(long)]
    pub no_out: bool,
}

/// Where a command leaves its run folder, decided (and created) before it runs so
/// an unwritable folder is refused before any work.
pub struct RunFolder {
    /// The folder, unless `--no-out`.
    pub dir: Option<PathBuf>,
}

impl RunFolder {
    /// Create the folder (`--out`, or `runs/<name>-<timestamp>`).
    pub fn new(out: Option<&Path>, no_out: bool, name: &str) -> Result<Self, ExitCode> {
        if no_out {
            return Ok(Self { dir: None });
        }
        match neurochip_lab::runs::create(out, name) {
            Ok(d) => Ok(Self { dir: Some(d) }),
            Err(e) => Err(fail(e)),
        }
    }

    /// Print where the report went (the last line of a table).
    pub fn announce(&self) {
        if let Some(d) = &self.dir {
            println!(
                "\nrun folder: {} (summary.md, report.json, plots)",
                d.display()
            );
        }
    }

    /// The command failed: remove the folder if it is still empty.
    pub fn abandon(&self) {
        if let Some(d) = &self.dir {
            let _ = std::fs::remove_dir(d);
        }
    }

    /// Write the report, the summary and the figures.
    pub fn write<T: serde::Serialize>(
        &self,
        title: &str,
        report: &T,
        figs: &neurochip_lab::runs::Figures<'_>,
    ) -> ExitCode {
        let Some(dir) = &self.dir else {
            return ExitCode::SUCCESS;
        };
        let value = match serde_json::to_value(report) {
            Ok(v) => v,
            Err(e) => return fail(e),
        };
        match neurochip_lab::runs::write(dir, title, &command_line(), &value, figs) {
            Ok(warnings) => {
                for w in warnings {
                    eprintln!("warning: plot not drawn: {w}");
                }
                ExitCode::SUCCESS
            }
            Err(e) => fail(e),
        }
    }
}

impl Drop for RunFolder {
    /// A folder the command wrote nothing into (it failed) does not stay behind.
    fn drop(&mut self) {
        self.abandon();
    }
}

/// Resolve `--arch` (a shipped name or a file).
pub fn arch(spec: &str) -> Result<neurochip_emu::Arch, ExitCode> {
    neurochip_emu::Arch::resolve(spec).map_err(|e| fail(format!("--arch: {e}")))
}

/// The probe of a test sample and the weights before and after learning, for the run
/// folder of a training run.
pub fn learned_figures(
    cfg: &neurochip_emu::config::Config,
    chip: &mut neurochip_emu::HostChip,
    write: impl FnOnce(neurochip_lab::runs::Figures<'_>) -> ExitCode,
) -> ExitCode {
    match neurochip_lab::runs::learned(cfg, chip) {
        Ok((probe, before, after)) => write(neurochip_lab::runs::Figures {
            probe: Some(&probe),
            weights: Some((&before, &after)),
            ..Default::default()
        }),
        Err(e) => fail(e),
    }
}
