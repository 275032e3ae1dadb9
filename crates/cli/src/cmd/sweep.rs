//! `neurochip sweep`: train configurations at several engines, weight and trace widths
//! (and cost them on architectures) on all cores; a table, CSV and a plot.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use neurochip_emu::config::Engine;
use neurochip_lab::sweep;

use super::{fail, Output};

/// Arguments of `neurochip sweep`.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  neurochip sweep examples/cue.toml examples/digits.toml --weight-bits 4,6,8,12 --csv sweep.csv\n  neurochip sweep examples/cue.toml --engines exact,light --weight-bits 4,8 --trace-bits 8,12 --arch reckon,multicore --csv cue.csv --plot cue"
)]
pub struct Args {
    /// Chip configurations (TOML) with learning settings.
    #[arg(required = true)]
    configs: Vec<PathBuf>,
    /// Engines to compare (default: each configuration's own engine, with its
    /// tuned learning rates).
    #[arg(long, value_delimiter = ',')]
    engines: Vec<String>,
    /// Weight widths to compare.
    #[arg(long, value_delimiter = ',', default_value = "4,6,8,12")]
    weight_bits: Vec<u32>,
    /// Trace widths to compare (default: each configuration's own); the integer
    /// trace bits stay, the fraction changes.
    #[arg(long, value_delimiter = ',')]
    trace_bits: Vec<u32>,
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
    let mut es = Vec::new();
    for e in &a.engines {
        es.push(match e.as_str() {
            "exact" => Engine::Exact,
            "light" => Engine::Light,
            other => {
                return fail(format!(
                    "--engines: `{other}` is not an engine; allowed: exact, light"
                ))
            }
        });
    }
    if let Some(wb) = a.weight_bits.iter().find(|b| !(2..=16).contains(*b)) {
        return fail(format!(
            "--weight-bits: {wb} is out of range; allowed 2..=16"
        ));
    }
    if let Some(tb) = a.trace_bits.iter().find(|b| !(6..=16).contains(*b)) {
        return fail(format!(
            "--trace-bits: {tb} is out of range; allowed 6..=16"
        ));
    }
    let mut archs = Vec::new();
    for s in &a.arch {
        match super::arch(s) {
            Ok(x) => archs.push(x),
            Err(code) => return code,
        }
    }
    let stem = a
        .plot
        .as_ref()
        .map(|p| match p.extension().and_then(|e| e.to_str()) {
            Some("png" | "svg") => p.with_extension(""),
            _ => p.clone(),
        });
    let (png, svg) = match &stem {
        Some(s) => (Some(s.with_extension("png")), Some(s.with_extension("svg"))),
        None => (None, None),
    };
    let mut outs = Vec::new();
    if let Some(p) = &a.csv {
        outs.push(Output {
            flag: "--csv",
            what: "CSV",
            path: p,
        });
    }
    for p in [&png, &svg].into_iter().flatten() {
        outs.push(Output {
            flag: "--plot",
            what: "plot",
            path: p,
        });
    }
    let mut inputs: Vec<&Path> = Vec::new();
    for (p, c) in a.configs.iter().zip(&cfgs) {
        inputs.extend(super::config_inputs(p, c));
    }
    inputs.extend(a.arch.iter().map(Path::new));
    if let Err(code) = super::check_outputs(&outs, &inputs) {
        return code;
    }
    let rows = match sweep::sweep(&cfgs, &es, &a.weight_bits, &a.trace_bits, &archs) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    print!("{}", sweep::markdown(&rows));
    if let Some(p) = &a.csv {
        if let Err(e) = neurochip_emu::export::write_atomic(p, sweep::csv(&rows).as_bytes()) {
            return fail(format!("{}: --csv: cannot write the CSV: {e}", p.display()));
        }
    }
    if let Some(stem) = stem {
        if let Err(e) = sweep::plot(&rows, &stem) {
            return fail(format!("--plot {}: {e}", stem.display()));
        }
        if let (Some(png), Some(svg)) = (&png, &svg) {
            println!("plot: {}, {}", png.display(), svg.display());
        }
    }
    ExitCode::SUCCESS
}
