//! `neurochip`: run, verify and inspect a fixed-point neuromorphic chip.
//!
//! Argument parsing and printing only: each subcommand is one module of [`cmd`], and
//! everything it computes comes from the host library (`neurochip-emu`) or the lab
//! (`neurochip-lab`).

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cmd;

/// A neuromorphic chip you can hold in software.
#[derive(Parser)]
#[command(name = "neurochip", version, about, long_about = None)]
#[command(
    after_help = "Examples:\n  neurochip init --task cue -o my_cue.toml\n  neurochip run my_cue.toml                 # train; report and plots in runs/\n  neurochip verify examples/cue.toml        # chip beside the f64 reference (make run)\n  neurochip run examples/lif.toml --json\n\nThe tutorial: docs/tutorial.md"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Simulate the chip on its task input; print spike counts, rates, readouts and
    /// the trace digest.
    Run(cmd::run::Args),
    /// Run the fixed-point chip beside the f64 reference on the same input and report
    /// how far they agree.
    Verify(cmd::verify::Args),
    /// Train every configuration at every engine and weight width on all cores, and
    /// report accuracy and memory as a table and CSV.
    Sweep(cmd::sweep::Args),
    /// Write a chip image (configuration, task and plan, initial memories, CRC) for the
    /// firmware.
    Export(cmd::export::Args),
    /// Run a chip image on the host exactly as the firmware runs it, and print the
    /// same lines the firmware prints.
    #[command(name = "run-image")]
    RunImage(cmd::run_image::Args),
    /// Print what a chip image or a snapshot holds (and check it).
    Inspect(cmd::inspect::Args),
    /// Time the chip's step loop on the host (functional path, or through the cycle
    /// model with --arch) and print steps per second.
    Bench(cmd::bench::Args),
    /// Write the chip's network (dequantised weights, decays, thresholds) as JSON, for
    /// other simulators (bench/peers/brian2_bench.py reads it).
    Network(cmd::network::Args),
    /// Write a commented starter configuration for a task.
    Init(cmd::init::Args),
    /// Solve a constraint problem (Sudoku, graph colouring) with the stochastic
    /// spiking solver network; print the solution and the time to solution in steps.
    Solve(cmd::solve::Args),
    /// Run the STDP assembly digest workload (an area of neurons under a k-cap
    /// learning three stimuli), or write it as an image for the firmware.
    Assembly(cmd::assembly::Args),
    /// Check a configuration without running it.
    Check(cmd::check::Args),
    /// Write a chip's weights (integers, layer shifts, real values, masks) as a numpy
    /// .npz file, from a configuration, a chip image or a snapshot.
    Weights(cmd::weights::Args),
    /// Import a NIR graph (Input, Affine/Linear, LIF/CubaLIF with a recurrent loop,
    /// LI/CubaLI readout) as a chip configuration and its weights (Python package).
    #[command(name = "import-nir")]
    ImportNir(cmd::import_nir::Args),
    /// Export a chip (configuration or snapshot) as a NIR graph (Python package).
    #[command(name = "export-nir")]
    ExportNir(cmd::export_nir::ExportArgs),
    /// Convert an HDF5 event file in the layout of the Spiking Heidelberg Digits into
    /// the .npz event file `[task] kind = "events"` reads (Python package).
    #[command(name = "convert-events")]
    ConvertEvents(cmd::convert_events::Args),
    /// Rerun one of the seed's comparisons (docs/experiments.md) and write its table,
    /// plots and JSON into a run folder.
    Experiment(cmd::experiment::Args),
}

/// A reader that went away (`neurochip inspect FILE | head -1`) ends the program
/// quietly, as it ends `cat`, instead of a panic about a broken pipe.
fn quiet_on_broken_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let p = info.payload();
        let msg = p
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| p.downcast_ref::<&str>().copied())
            .unwrap_or("");
        if msg.contains("Broken pipe") {
            std::process::exit(0);
        }
        default(info);
    }));
}

fn main() -> ExitCode {
    quiet_on_broken_pipe();
    match Cli::parse().command {
        Command::Run(a) => cmd::run::run(a),
        Command::Verify(a) => cmd::verify::run(a),
        Command::Sweep(a) => cmd::sweep::run(a),
        Command::Export(a) => cmd::export::run(a),
        Command::RunImage(a) => cmd::run_image::run(a),
        Command::Inspect(a) => cmd::inspect::run(a),
        Command::Bench(a) => cmd::bench::run(a),
        Command::Network(a) => cmd::network::run(a),
        Command::Init(a) => cmd::init::run(a),
        Command::Solve(a) => cmd::solve::run(a),
        Command::Assembly(a) => cmd::assembly::run(a),
        Command::Check(a) => cmd::check::run(a),
        Command::Weights(a) => cmd::weights::run(a),
        Command::ImportNir(a) => cmd::import_nir::run(a),
        Command::ExportNir(a) => cmd::export_nir::run(a),
        Command::ConvertEvents(a) => cmd::convert_events::run(a),
        Command::Experiment(a) => cmd::experiment::run(a),
    }
}
