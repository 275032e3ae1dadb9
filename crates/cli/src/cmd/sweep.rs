//! `neurochip sweep`: train configurations at several engines, weight and trace widths
//! and seeds (and cost them on architectures) on all cores; a table, CSV and a plot.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use neurochip_lab::sweep;

use super::{fail, Output};

/// Arguments of `neurochip sweep`.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  neurochip sweep examples/cue.toml examples/digits.toml --weight-bits 4,6,8,12 --csv sweep.csv\n  neurochip sweep examples/cue.toml --engines exact,light --weight-bits 4,8 --trace-bits 8,12 --arch reckon,multicore --csv cue.csv --plot cue\n  neurochip sweep examples/cue.toml examples/cue_lif.toml --seeds 1-5    # mean ± sd and worst seed, each at its own width"
)]
pub struct Args {
    /// Chip configurations (TOML) with learning settings.
    #[arg(required = true)]
    configs: Vec<PathBuf>,
    /// Engines to compare (default: each configuration's own engine). The
    /// configuration's learning rates mean the same for both engines; a
    /// `[learning.exact]` or `[learning.light]` table gives that engine rates of its own.
    #[arg(long, value_delimiter = ',')]
    engines: Vec<String>,
    /// Weight widths to compare (default 4,6,8,12; with --seeds, each
    /// configuration's own width).
    #[arg(long, value_delimiter = ',')]
    weight_bits: Vec<u32>,
    /// Trace widths to compare (default: each configuration's own); the integer
    /// trace bits stay, the fraction changes.
    #[arg(long, value_delimiter = ',')]
    trace_bits: Vec<u32>,
    /// Train every point once per seed (the configuration's top-level `seed`
    /// replaced, nothing else) and report mean ± sd (sample) and the worst seed per
    /// point: a range `1-5`, a list `1,2,7`, or both `1-3,10`.
    #[arg(long, value_name = "SEEDS")]
    seeds: Option<String>,
    /// Architectures to cost every point on (shipped names or files); adds SRAM,
    /// cycles, real-time clock and energy columns.
    #[arg(long, value_delimiter = ',')]
    arch: Vec<String>,
    /// Also write the rows as CSV here.
    #[arg(long)]
    csv: Option<PathBuf>,
    /// Also plot accuracy against energy per inference (or against weight memory
    /// without --arch) into FILE.png and FILE.svg.
    #[arg(long, value_name = "FILE")]
    plot: Option<PathBuf>,
    /// Run folder for report.json, sweep.csv, the plot and summary.md (default
    /// `runs/sweep-<timestamp>`).
    #[arg(long, value_name = "DIR", conflicts_with = "no_out")]
    out: Option<PathBuf>,
    /// Write no run folder.
    #[arg(long)]
    no_out: bool,
    /// Write into the --out folder even if it holds files already.
    #[arg(long, requires = "out")]
    force: bool,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
    /// Run every grid point as a task on the Ray cluster at ADDRESS (`local`: a Ray
    /// instance on this machine), through the Python package (`make python`); the rows
    /// and digests are the local sweep's. Prints the table (and --csv); no run folder
    /// or plot. docs/distributed.md.
    #[arg(long, value_name = "ADDRESS", conflicts_with_all = ["plot", "out"])]
    ray: Option<String>,
}

/// `neurochip sweep --ray ADDRESS`: the same grid, each point a Ray task, in the
/// Python package (`neurochip.sweep`).
fn on_ray(a: &Args, address: &str) -> ExitCode {
    use std::ffi::OsString;
    let mut args: Vec<OsString> = a.configs.iter().map(|p| p.as_os_str().to_owned()).collect();
    let list = |v: &[String]| v.join(",");
    let nums = |v: &[u32]| v.iter().map(u32::to_string).collect::<Vec<_>>().join(",");
    if !a.engines.is_empty() {
        args.extend(["--engines".into(), list(&a.engines).into()]);
    }
    if !a.weight_bits.is_empty() {
        args.extend(["--weight-bits".into(), nums(&a.weight_bits).into()]);
    } else if a.seeds.is_none() {
        args.extend([
            "--weight-bits".into(),
            nums(sweep::default_weight_bits(false)).into(),
        ]);
    }
    if !a.trace_bits.is_empty() {
        args.extend(["--trace-bits".into(), nums(&a.trace_bits).into()]);
    }
    if let Some(s) = &a.seeds {
        args.extend(["--seeds".into(), s.into()]);
    }
    if !a.arch.is_empty() {
        args.extend(["--arch".into(), list(&a.arch).into()]);
    }
    if let Some(c) = &a.csv {
        args.extend(["--csv".into(), c.as_os_str().to_owned()]);
    }
    args.extend(["--ray".into(), address.into()]);
    super::python::delegate("sweep", args)
}

/// Run `neurochip sweep`.
pub fn run(a: Args) -> ExitCode {
    let mut cfgs = Vec::new();
    for p in &a.configs {
        match super::load(p) {
            Ok(c) => cfgs.push(c),
            Err(code) => return code,
        }
    }
    let es = match sweep::parse_engines(&a.engines) {
        Ok(es) => es,
        Err(e) => return fail(format!("--engines: {e}")),
    };
    let flags = ["--weight-bits", "--trace-bits"];
    if let Err(e) = sweep::check_widths(&a.weight_bits, &a.trace_bits, flags) {
        return fail(e);
    }
    let seeds = a.seeds.as_deref().map(|s| sweep::parse_seeds(s, "--seeds"));
    let seeds = match seeds.transpose() {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let weight_bits: &[u32] = if a.weight_bits.is_empty() {
        sweep::default_weight_bits(seeds.is_some())
    } else {
        &a.weight_bits
    };
    let mut archs = Vec::new();
    for s in &a.arch {
        match super::arch(s) {
            Ok(x) => archs.push(x),
            Err(code) => return code,
        }
    }
    let plot = a.plot.as_deref().map(sweep::plot_files);
    let csv = a.csv.as_deref().map(|path| Output {
        flag: "--csv",
        what: "CSV",
        path,
    });
    let mut outs: Vec<Output> = csv.into_iter().collect();
    if let Some((_, png, svg)) = &plot {
        for p in [png, svg] {
            outs.push(Output {
                flag: "--plot",
                what: "plot",
                path: p,
            });
        }
    }
    let mut inputs: Vec<&Path> = Vec::new();
    for (p, c) in a.configs.iter().zip(&cfgs) {
        inputs.extend(c.inputs(p));
    }
    inputs.extend(a.arch.iter().map(Path::new));
    if let Err(code) = super::check_outputs(&outs, &inputs) {
        return code;
    }
    if let Some(address) = &a.ray {
        return on_ray(&a, address);
    }
    let folder = if a.no_out {
        None
    } else {
        match neurochip_lab::runs::claim(a.out.as_deref(), "sweep", a.force) {
            Ok(d) => Some(d),
            Err(e) => return fail(e),
        }
    };
    let bar = neurochip_emu::learn::progress_of(0, a.quiet, "sweep", "trainings");
    let progress = |done: usize, total: usize| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    };
    let grid = sweep::Grid {
        engines: &es,
        weight_bits,
        trace_bits: &a.trace_bits,
        seeds: seeds.as_deref().unwrap_or_default(),
        archs: &archs,
    };
    let rows = sweep::sweep(&cfgs, &grid, &progress);
    bar.finish_and_clear();
    let rows = match rows {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    match seeds {
        Some(_) => print!("{}", sweep::seed_markdown(&sweep::seed_summaries(&rows))),
        None => print!("{}", sweep::markdown(&rows)),
    }
    if let Some(d) = &folder {
        let command = super::command_line();
        let prov = neurochip_lab::runs::Provenance {
            command: &command,
            version: env!("CARGO_PKG_VERSION"),
            seed: None,
            config: None,
        };
        match sweep::write_folder(d.path(), &prov, &rows, seeds.is_some()) {
            Ok(warnings) => {
                for w in warnings {
                    eprintln!("warning: plot not drawn: {w}");
                }
            }
            Err(e) => return fail(e),
        }
        println!(
            "\nrun folder: {} (summary.md, report.json, sweep.csv, plot)",
            d.path().display()
        );
    }
    if let Some(Err(e)) = csv.map(|o| o.write(sweep::csv(&rows).as_bytes())) {
        return fail(e);
    }
    if let Some((stem, png, svg)) = &plot {
        if let Err(e) = sweep::plot(&rows, stem) {
            return fail(format!("--plot {}: {e}", stem.display()));
        }
        println!("plot: {}, {}", png.display(), svg.display());
    }
    ExitCode::SUCCESS
}
