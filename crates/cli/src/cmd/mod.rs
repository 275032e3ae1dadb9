//! One module per subcommand: its arguments (`Args`) and `run`, which parses nothing
//! and computes nothing a library user would need: it calls the host library
//! ([`neurochip_emu`], [`neurochip_lab`]) and prints.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub use neurochip_emu::outputs::Output;

pub mod assembly;
pub mod bench;
pub mod check;
pub mod convert_events;
pub mod experiment;
pub mod export;
pub mod export_nir;
pub mod import_nir;
pub mod init;
pub mod inspect;
pub mod network;
pub mod python;
pub mod run;
pub mod run_image;
pub mod solve;
pub mod sweep;
pub mod verify;
pub mod weights;

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

/// [`load`], also returning the file's bytes (for the run folder's `config.toml`).
pub fn load_source(path: &Path) -> Result<(neurochip_emu::config::Config, Vec<u8>), ExitCode> {
    neurochip_emu::config::load_source(path).map_err(fail)
}

/// Arguments `run` and `verify` share.
#[derive(clap::Args)]
pub struct Common {
    /// Chip configuration (TOML).
    pub config: PathBuf,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Stop after this many steps in total (inference runs; refused on training runs,
    /// which follow their `[train]` plan).
    #[arg(long, value_name = "N")]
    pub steps: Option<u64>,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
    /// Run folder for report.json, summary.md and the plots (default
    /// `runs/<name>-<timestamp>`).
    #[arg(long, value_name = "DIR", conflicts_with = "no_out")]
    pub out: Option<PathBuf>,
    /// Write no run folder.
    #[arg(long)]
    pub no_out: bool,
    /// Write into the --out folder even if it holds files already (they stay,
    /// unless the run writes a file of the same name).
    #[arg(long, requires = "out")]
    pub force: bool,
}

/// Check a command's outputs before it starts ([`neurochip_emu::outputs::check`]):
/// each one writable, none of them an input, no two the same file.
pub fn check_outputs(outputs: &[Output<'_>], inputs: &[&Path]) -> Result<(), ExitCode> {
    neurochip_emu::outputs::check(outputs, inputs).map_err(fail)
}

/// Load and check a configuration file of either kind (chip or application).
pub fn load_workload(path: &Path) -> Result<neurochip_emu::config::Workload, ExitCode> {
    neurochip_emu::config::load_workload(path).map_err(fail)
}

/// [`load_workload`], also returning the file's bytes.
pub fn load_workload_source(
    path: &Path,
) -> Result<(neurochip_emu::config::Workload, Vec<u8>), ExitCode> {
    neurochip_emu::config::load_workload_source(path).map_err(fail)
}

/// The run folder of a command ([`neurochip_lab::runs::RunFolder`]), its errors
/// printed (exit code 2).
pub struct RunFolder(neurochip_lab::runs::RunFolder);

impl RunFolder {
    /// Claim the folder (`--out`, or `runs/<name>-<timestamp>`) of `neurochip
    /// COMMAND` on the configuration `cfg`, read from the bytes `source`.
    pub fn new(
        c: &Common,
        command: &str,
        cfg: &neurochip_emu::config::Config,
        source: Vec<u8>,
    ) -> Result<Self, ExitCode> {
        Self::named(c, command, &cfg.name, cfg.seed, source)
    }

    /// [`RunFolder::new`] for a run called `name` from `seed` (an application file).
    pub fn named(
        c: &Common,
        command: &str,
        name: &str,
        seed: u64,
        source: Vec<u8>,
    ) -> Result<Self, ExitCode> {
        let place = (!c.no_out).then_some((c.out.as_deref(), c.force));
        neurochip_lab::runs::RunFolder::claim(place, command, name, seed, source)
            .map(Self)
            .map_err(fail)
    }

    /// For a run that cannot stop between samples: on SIGINT or SIGTERM, release the
    /// folder and exit 130 or 143.
    pub fn release_on_signal(&self) -> Result<(), ExitCode> {
        self.0.release_on_signal().map_err(fail)
    }

    /// `r` passed on; an error is printed (exit code 2). The folder, still empty, goes
    /// when the `RunFolder` is dropped.
    pub fn check<T, E: std::fmt::Display>(&self, r: Result<T, E>) -> Result<T, ExitCode> {
        r.map_err(fail)
    }

    /// The end of a command: `write` fills the run folder (called only when there is
    /// one), then `rep` is printed as JSON, or by `table` followed by the folder's line.
    pub fn finish<T: serde::Serialize>(
        &self,
        as_json: bool,
        rep: &T,
        write: impl FnOnce() -> ExitCode,
        table: impl FnOnce(&T),
    ) -> ExitCode {
        if self.0.path().is_some() {
            let code = write();
            if code != ExitCode::SUCCESS {
                return code;
            }
        }
        if as_json {
            println!("{}", json(rep));
            return ExitCode::SUCCESS;
        }
        table(rep);
        if let Some(d) = self.0.path() {
            println!(
                "\nrun folder: {} (summary.md, report.json, plots)",
                d.display()
            );
        }
        ExitCode::SUCCESS
    }

    /// Write the report, the summary and the figures.
    pub fn write<T: serde::Serialize>(
        &self,
        report: &T,
        figs: &neurochip_lab::runs::Figures<'_>,
    ) -> ExitCode {
        let version = (command_line(), env!("CARGO_PKG_VERSION"));
        match self.0.write(report, figs, (&version.0, version.1)) {
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

/// Resolve `--arch` (a shipped name or a file).
pub fn arch(spec: &str) -> Result<neurochip_emu::Arch, ExitCode> {
    neurochip_emu::Arch::resolve(spec).map_err(|e| fail(format!("--arch: {e}")))
}

/// The code a command ends with, whether it ran to the end or stopped early.
pub fn exit(r: Result<ExitCode, ExitCode>) -> ExitCode {
    r.unwrap_or_else(|code| code)
}

/// A configuration in, one file out (`export`, `network`).
#[derive(clap::Args)]
pub struct ConfigToFile {
    /// Chip configuration (TOML).
    pub config: PathBuf,
    /// Output file (written atomically: a failed write leaves the old file).
    #[arg(short, long)]
    pub output: PathBuf,
}

impl ConfigToFile {
    /// Load the configuration, check the output ([`check_outputs`]), make the bytes
    /// (`what`, for the error: "image") and write them; returns their length.
    pub fn write<E: std::fmt::Display>(
        &self,
        what: &str,
        make: impl FnOnce(&neurochip_emu::config::Config) -> Result<Vec<u8>, E>,
    ) -> Result<usize, ExitCode> {
        let cfg = load(&self.config)?;
        self.put(what, &cfg.inputs(&self.config), || make(&cfg))
    }

    /// Check the output against `inputs` ([`check_outputs`]), make the bytes (`what`,
    /// for the error) and write them; returns their length.
    pub fn put<E: std::fmt::Display>(
        &self,
        what: &str,
        inputs: &[&Path],
        make: impl FnOnce() -> Result<Vec<u8>, E>,
    ) -> Result<usize, ExitCode> {
        let out = Output {
            flag: "-o",
            what,
            path: &self.output,
        };
        check_outputs(&[out], inputs)?;
        let bytes = make().map_err(fail)?;
        out.write(&bytes).map_err(fail)?;
        Ok(bytes.len())
    }
}
