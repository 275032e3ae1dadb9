//! `neurochip`: run, verify and inspect a fixed-point neuromorphic chip.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use neurochip::sim::{self, RefWeights};
use neurochip::{config, learn};

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

/// Arguments `run` and `verify` share.
#[derive(clap::Args)]
struct Common {
    /// Chip configuration (TOML).
    config: PathBuf,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
    /// Stop after this many steps in total (inference runs).
    #[arg(long, value_name = "N")]
    steps: Option<u64>,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
    /// Run folder for report.json, summary.md and the plots (default
    /// runs/<name>-<timestamp>).
    #[arg(long, value_name = "DIR", conflicts_with = "no_out")]
    out: Option<PathBuf>,
    /// Write no run folder.
    #[arg(long)]
    no_out: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Simulate the chip on its task input; print spike counts, rates, readouts and
    /// the trace digest.
    #[command(
        after_help = "Examples:\n  neurochip run examples/alif.toml --json\n  neurochip run examples/cue.toml --out runs/cue --save cue.snap\n  neurochip run examples/cue.toml --arch reckon\n  neurochip run examples/bench256.toml --arch arch/multicore.toml --steps 1000"
    )]
    Run {
        #[command(flatten)]
        common: Common,
        /// After training, write the trained chip as an image that runs inference on the
        /// test samples (digits: compiled into the image) for the firmware.
        #[arg(long, value_name = "FILE")]
        export: Option<PathBuf>,
        /// Save the whole chip state (weights, traces, PRNG, step counter, epochs done)
        /// to FILE at the end, atomically.
        #[arg(long, value_name = "FILE")]
        save: Option<PathBuf>,
        /// Start from the chip state in FILE (saved with --save by a chip with the same
        /// configuration) and continue its training plan.
        #[arg(long, value_name = "FILE")]
        resume: Option<PathBuf>,
        /// Step the chip through the cycle-level model of an architecture (a shipped
        /// name: reckon, xylo, multicore; or an architecture TOML file) and report
        /// cycles per stage, the real-time clock, SRAM per bank, NeuroBench operation
        /// counts and energy. The chip computes the same bits as without it.
        #[arg(long, value_name = "ARCH")]
        arch: Option<String>,
    },
    /// Run the fixed-point chip beside the f64 reference on the same input and report
    /// how far they agree.
    #[command(
        after_help = "Examples:\n  neurochip verify examples/lif.toml --weights float\n  neurochip verify examples/cue.toml --out runs/cue-verify"
    )]
    Verify {
        #[command(flatten)]
        common: Common,
        /// Weights of the reference: the chip's own, dequantised (only arithmetic
        /// differs), or the original floats (quantisation included).
        #[arg(long, value_enum, default_value = "dequantized")]
        weights: RefWeights,
    },
    /// Train every configuration at every engine and weight width on all cores, and
    /// report accuracy and memory as a table and CSV.
    #[command(
        after_help = "Examples:\n  neurochip sweep examples/cue.toml examples/digits.toml --weight-bits 4,6,8,12 --csv sweep.csv\n  neurochip sweep examples/cue.toml --engines exact,light --weight-bits 4,8 --trace-bits 8,12 --arch reckon,multicore --csv cue.csv --plot cue"
    )]
    Sweep {
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
    },
    /// Write a chip image (configuration, task and plan, initial memories, CRC) for the
    /// firmware.
    #[command(
        after_help = "Example:\n  neurochip export examples/lif.toml -o firmware/images/default.img"
    )]
    Export {
        /// Chip configuration (TOML).
        config: PathBuf,
        /// Output image file.
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Run a chip image on the host exactly as the firmware runs it, and print the
    /// same lines the firmware prints.
    #[command(
        name = "run-image",
        after_help = "Example:\n  neurochip run examples/cue.toml --export cue.img && neurochip run-image cue.img"
    )]
    RunImage {
        /// Chip image file.
        image: PathBuf,
    },
    /// Print what a chip image or a snapshot holds (and check it).
    #[command(
        after_help = "Examples:\n  neurochip inspect firmware/images/default.img\n  neurochip run examples/cue.toml --save cue.snap && neurochip inspect cue.snap"
    )]
    Inspect {
        /// Chip image or snapshot file.
        image: PathBuf,
    },
    /// Time the chip's step loop on the host (functional path, or through the cycle
    /// model with --arch) and print steps per second.
    #[command(
        after_help = "Examples:\n  neurochip bench examples/bench256.toml --steps 10000\n  neurochip bench examples/bench256.toml --arch reckon --json"
    )]
    Bench {
        /// Chip configuration (TOML).
        config: PathBuf,
        /// Steps to time.
        #[arg(long, default_value_t = 10_000)]
        steps: u64,
        /// Step through the cycle model of this architecture.
        #[arg(long, value_name = "ARCH")]
        arch: Option<String>,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Write the chip's network (dequantised weights, decays, thresholds) as JSON, for
    /// other simulators (bench/peers/brian2_bench.py reads it).
    #[command(
        after_help = "Example:\n  neurochip network examples/bench256.toml -o bench256.json"
    )]
    Network {
        /// Chip configuration (TOML).
        config: PathBuf,
        /// Output JSON file.
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Write a commented starter configuration for a task.
    #[command(
        after_help = "Examples:\n  neurochip init --task cue\n  neurochip init --task digits -o my_digits.toml\n  neurochip check my_digits.toml && neurochip run my_digits.toml"
    )]
    Init {
        /// The task: cue, digits, pattern, store-recall.
        #[arg(long, value_name = "TASK")]
        task: String,
        /// Where to write it (default: <task>.toml in this folder).
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Replace the file if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Solve a constraint problem (Sudoku, graph colouring) with the stochastic
    /// spiking solver network; print the solution and the time to solution in steps.
    #[command(
        after_help = "Examples:\n  neurochip solve problems/sudoku/pe96_01.txt\n  neurochip solve problems/graphs/planted50_1.col --colors 3 --json\n\nFormats: docs/formats.md (Constraint problems). Exit code 0 solved, 1 not solved within --steps, 2 bad input."
    )]
    Solve(neurochip::solve::SolveArgs),
    /// Check a configuration without running it.
    #[command(after_help = "Example:\n  neurochip check examples/cue.toml")]
    Check {
        /// Chip configuration (TOML).
        config: PathBuf,
    },
    /// Rerun one of the seed's comparisons (docs/experiments.md) and write its table,
    /// plots and JSON into a run folder.
    #[command(
        after_help = "Examples:\n  neurochip experiment --list\n  neurochip experiment reservoir --quick --out /tmp/reservoir"
    )]
    Experiment {
        /// The experiment (see --list).
        #[arg(required_unless_present = "list")]
        name: Option<String>,
        /// List the experiments and what each compares.
        #[arg(long)]
        list: bool,
        /// A short version (fewer seeds, episodes, samples) for a smoke run.
        #[arg(long)]
        quick: bool,
        /// Run folder (default runs/<name>-<timestamp>).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// No progress bars.
        #[arg(long, short)]
        quiet: bool,
    },
}

fn fail(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {msg}");
    ExitCode::from(2)
}

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string_pretty(v).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

/// Where a command leaves its run folder, decided (and created) before it runs so
/// an unwritable folder is refused before any work.
struct RunFolder {
    dir: Option<PathBuf>,
}

impl RunFolder {
    fn new(out: Option<&std::path::Path>, no_out: bool, name: &str) -> Result<Self, ExitCode> {
        if no_out {
            return Ok(Self { dir: None });
        }
        match neurochip::runs::create(out, name) {
            Ok(d) => Ok(Self { dir: Some(d) }),
            Err(e) => Err(fail(e)),
        }
    }

    /// Print where the report went (the last line of a table).
    fn announce(&self) {
        if let Some(d) = &self.dir {
            println!(
                "\nrun folder: {} (summary.md, report.json, plots)",
                d.display()
            );
        }
    }

    /// The command failed: remove the folder if it is still empty.
    fn abandon(&self) {
        if let Some(d) = &self.dir {
            let _ = std::fs::remove_dir(d);
        }
    }
}

impl Drop for RunFolder {
    /// A folder the command wrote nothing into (it failed) does not stay behind.
    fn drop(&mut self) {
        self.abandon();
    }
}

impl RunFolder {
    fn write<T: serde::Serialize>(
        &self,
        title: &str,
        command: &str,
        report: &T,
        figs: &neurochip::runs::Figures<'_>,
    ) -> ExitCode {
        let Some(dir) = &self.dir else {
            return ExitCode::SUCCESS;
        };
        let value = match serde_json::to_value(report) {
            Ok(v) => v,
            Err(e) => return fail(e),
        };
        match neurochip::runs::write(dir, title, command, &value, figs) {
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

fn command_line() -> String {
    std::env::args().collect::<Vec<_>>().join(" ")
}

fn train_cmd(
    cfg: &config::Config,
    j: bool,
    quiet: bool,
    export: Option<&std::path::Path>,
    save: Option<&std::path::Path>,
    resume: Option<&std::path::Path>,
    folder: &RunFolder,
) -> ExitCode {
    if !j {
        println!(
            "neurochip run: training {} ({:?} engine) on {:?}",
            cfg.name, cfg.learning.engine, cfg.task.kind
        );
    }
    let res = learn::train_chip_with(cfg, quiet || j, resume, save, |ep| {
        if !j {
            println!("{}", learn::epoch_line("chip", ep));
        }
    });
    let (rep, mut chip) = match res {
        Ok(r) => r,
        Err(e) => {
            folder.abandon();
            return fail(e);
        }
    };
    if let Some(path) = export {
        let bytes = match neurochip::export::encode_chip(cfg, &chip, true) {
            Ok(b) => b,
            Err(e) => return fail(e),
        };
        if let Err(e) = neurochip::export::write_atomic(path, &bytes) {
            return fail(format!("{}: cannot write the image: {e}", path.display()));
        }
        if !j {
            println!(
                "trained chip image: {} ({} bytes)",
                path.display(),
                bytes.len()
            );
        }
    }
    if folder.dir.is_some() {
        let code = learned_figures(cfg, &mut chip, |figs| {
            folder.write(
                &format!("neurochip run: {}", cfg.name),
                &command_line(),
                &rep,
                &neurochip::runs::Figures {
                    chip_curve: Some(&rep.epochs),
                    ..figs
                },
            )
        });
        if code != ExitCode::SUCCESS {
            return code;
        }
    }
    if j {
        println!("{}", json(&rep));
        return ExitCode::SUCCESS;
    }
    println!();
    println!("  {:<28} {:>12}", "engine", rep.engine);
    match rep.nmse {
        Some(n) => println!("  {:<28} {:>12.4}", "test NMSE", n),
        None => println!(
            "  {:<28} {:>11.1}%",
            format!("test accuracy ({} samples)", rep.test_samples),
            100.0 * rep.test_accuracy
        ),
    }
    println!("  {:<28} {:>12.4}", "test loss", rep.test_loss);
    println!(
        "  {:<28} {:>12}",
        "weight memory (bytes)", rep.footprint.weights
    );
    println!(
        "  {:<28} {:>12}",
        "learning state (bytes)", rep.footprint.learning
    );
    println!("  {:<28} {:>12.1}", "training time (s)", rep.train_seconds);
    println!("  {:<28} {:>12}", "digest", rep.digest);
    folder.announce();
    ExitCode::SUCCESS
}

/// The probe of a test sample and the weights before and after learning, for the run
/// folder of a training run.
fn learned_figures(
    cfg: &config::Config,
    chip: &mut neurochip_emu::HostChip,
    write: impl FnOnce(neurochip::runs::Figures<'_>) -> ExitCode,
) -> ExitCode {
    let (task, mut chip0) = match neurochip::build::task(cfg)
        .and_then(|t| neurochip::build::chip(cfg).map(|(_, c)| (t, c)))
    {
        Ok(x) => x,
        Err(e) => return fail(e),
    };
    let probe = neurochip::runs::probe(chip, &task, task.test_id(0));
    let before = neurochip::runs::weights(&mut chip0);
    let after = neurochip::runs::weights(chip);
    write(neurochip::runs::Figures {
        probe: Some(&probe),
        weights: Some((&before, &after)),
        ..Default::default()
    })
}

fn verify_learning_cmd(cfg: &config::Config, j: bool, quiet: bool, folder: &RunFolder) -> ExitCode {
    if !j {
        println!(
            "neurochip verify: training {} on the chip and on the f64 reference",
            cfg.name
        );
    }
    let res = learn::verify_learning_chip(cfg, quiet || j, |who, ep| {
        if !j {
            println!("{}", learn::epoch_line(who, ep));
        }
    });
    let (rep, mut chip) = match res {
        Ok(r) => r,
        Err(e) => {
            folder.abandon();
            return fail(e);
        }
    };
    if folder.dir.is_some() {
        let code = learned_figures(cfg, &mut chip, |figs| {
            folder.write(
                &format!("neurochip verify: {}", cfg.name),
                &command_line(),
                &rep,
                &neurochip::runs::Figures {
                    chip_curve: Some(&rep.chip_curve),
                    ref_curve: Some(&rep.ref_curve),
                    verify: true,
                    ..figs
                },
            )
        });
        if code != ExitCode::SUCCESS {
            return code;
        }
    }
    if j {
        println!("{}", json(&rep));
        return ExitCode::SUCCESS;
    }
    println!();
    println!("  {:<34} {:>10} {:>10}", "", "chip", "float");
    match (rep.nmse, rep.ref_nmse) {
        (Some(a), Some(b)) => println!("  {:<34} {:>10.4} {:>10.4}", "test NMSE", a, b),
        _ => println!(
            "  {:<34} {:>9.1}% {:>9.1}%",
            "test accuracy",
            100.0 * rep.test_accuracy,
            100.0 * rep.ref_test_accuracy
        ),
    }
    println!(
        "  {:<34} {:>10.2}",
        "accuracy gap (points, float - chip)", rep.accuracy_gap_points
    );
    println!(
        "  {:<34} {:>10.4}",
        "update cosine (chip vs float)", rep.update_cosine
    );
    println!(
        "  {:<34} {:>10.4}",
        "e-prop vs BPTT cosine (float)", rep.eprop_bptt_cosine
    );
    println!("  {:<34} {:>10}", "digest", rep.digest);
    folder.announce();
    ExitCode::SUCCESS
}

fn arch_cmd(
    cfg: &config::Config,
    spec: &str,
    steps: Option<u64>,
    j: bool,
    quiet: bool,
) -> ExitCode {
    let arch = match neurochip_emu::Arch::resolve(spec) {
        Ok(a) => a,
        Err(e) => return fail(format!("--arch: {e}")),
    };
    match neurochip::cycles::run_arch(cfg, &arch, steps, quiet || j) {
        Ok(r) if j => {
            println!("{}", json(&r));
            ExitCode::SUCCESS
        }
        Ok(r) => {
            print!("{}", neurochip::cycles::table(&r));
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
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
    let cli = Cli::parse();
    match cli.command {
        Command::Run {
            common:
                Common {
                    config,
                    json: j,
                    steps,
                    quiet,
                    out,
                    no_out,
                },
            export,
            save,
            resume,
            arch,
        } => {
            let cfg = match config::load(&config) {
                Ok(c) => c,
                Err(e) => return fail(e),
            };
            if let Some(spec) = arch {
                return arch_cmd(&cfg, &spec, steps, j, quiet);
            }
            let folder = match RunFolder::new(out.as_deref(), no_out, &cfg.name) {
                Ok(f) => f,
                Err(code) => return code,
            };
            if cfg.learning.engine != config::EngineKind::Off {
                return train_cmd(
                    &cfg,
                    j,
                    quiet,
                    export.as_deref(),
                    save.as_deref(),
                    resume.as_deref(),
                    &folder,
                );
            }
            if save.is_some() || resume.is_some() {
                folder.abandon();
                return fail(format!(
                    "{}: --save and --resume apply to training runs ([learning] engine = \"exact\" or \"light\")",
                    config.display()
                ));
            }
            let rep = match sim::run(&cfg, steps) {
                Ok(r) => r,
                Err(e) => {
                    folder.abandon();
                    return fail(e);
                }
            };
            if folder.dir.is_some() {
                let probe = match neurochip::runs::probe_config(&cfg) {
                    Ok(p) => p,
                    Err(e) => return fail(e),
                };
                let code = folder.write(
                    &format!("neurochip run: {}", cfg.name),
                    &command_line(),
                    &rep,
                    &neurochip::runs::Figures {
                        probe: Some(&probe),
                        ..Default::default()
                    },
                );
                if code != ExitCode::SUCCESS {
                    return code;
                }
            }
            if j {
                println!("{}", json(&rep));
            } else {
                println!("neurochip run: {}", rep.name);
                println!("  steps            {:>12}", rep.steps);
                println!("  samples          {:>12}", rep.samples);
                println!("  spikes           {:>12}", rep.spikes);
                println!("  mean rate        {:>12.2} Hz", rep.rate_hz);
                println!(
                    "  activity         {:>12.4} spikes/neuron/step",
                    rep.activity
                );
                println!("  synaptic ops     {:>12}", rep.synops);
                let fmt = |v: &[f64]| {
                    v.iter()
                        .map(|x| format!("{x:.3}"))
                        .collect::<Vec<_>>()
                        .join(" ")
                };
                println!("  readout mean     {}", fmt(&rep.readout_mean));
                println!("  readout final    {}", fmt(&rep.readout_final));
                println!("  digest           {}", rep.digest);
                folder.announce();
            }
            ExitCode::SUCCESS
        }
        Command::Verify {
            common:
                Common {
                    config,
                    json: j,
                    steps,
                    quiet,
                    out,
                    no_out,
                },
            weights,
        } => {
            let cfg = match config::load(&config) {
                Ok(c) => c,
                Err(e) => return fail(e),
            };
            let folder = match RunFolder::new(out.as_deref(), no_out, &cfg.name) {
                Ok(f) => f,
                Err(code) => return code,
            };
            if cfg.learning.engine != config::EngineKind::Off {
                return verify_learning_cmd(&cfg, j, quiet, &folder);
            }
            let rep = match sim::verify(&cfg, weights, steps) {
                Ok(r) => r,
                Err(e) => {
                    folder.abandon();
                    return fail(e);
                }
            };
            if folder.dir.is_some() {
                let probe = match neurochip::runs::probe_config(&cfg) {
                    Ok(p) => p,
                    Err(e) => return fail(e),
                };
                let code = folder.write(
                    &format!("neurochip verify: {}", cfg.name),
                    &command_line(),
                    &rep,
                    &neurochip::runs::Figures {
                        probe: Some(&probe),
                        divergence: Some(&rep.divergence),
                        verify: true,
                        ..Default::default()
                    },
                );
                if code != ExitCode::SUCCESS {
                    return code;
                }
            }
            if j {
                println!("{}", json(&rep));
            } else {
                println!(
                    "neurochip verify: {} (reference weights: {:?})",
                    rep.name, weights
                );
                println!("  steps compared        {:>10}", rep.steps);
                match rep.first_mismatch_step {
                    Some(s) => println!("  first spike mismatch  {s:>10}"),
                    None => println!("  first spike mismatch        none"),
                }
                println!(
                    "  membrane RMS error    {:>10.3} LSB = {:.5} thresholds (max {:.5})",
                    rep.membrane_rms_lsb, rep.membrane_rms_thr, rep.membrane_max_thr
                );
                println!("  rate correlation      {:>10.4}", rep.rate_correlation);
                println!(
                    "  readout RMS error     {:>10.4} (reference readout RMS {:.4})",
                    rep.readout_rms, rep.readout_ref_rms
                );
                println!(
                    "  rate chip / ref       {:>10.2} / {:.2} Hz",
                    rep.rate_hz, rep.ref_rate_hz
                );
                println!("  digest                {}", rep.digest);
                folder.announce();
            }
            ExitCode::SUCCESS
        }
        Command::Sweep {
            configs,
            engines,
            weight_bits,
            trace_bits,
            arch,
            csv,
            plot,
        } => {
            let mut cfgs = Vec::new();
            for p in &configs {
                match config::load(p) {
                    Ok(c) => cfgs.push(c),
                    Err(e) => return fail(e),
                }
            }
            let mut es = Vec::new();
            for e in &engines {
                es.push(match e.as_str() {
                    "exact" => config::EngineKind::Exact,
                    "light" => config::EngineKind::Light,
                    other => {
                        return fail(format!(
                            "--engines: `{other}` is not an engine; allowed: exact, light"
                        ))
                    }
                });
            }
            for &wb in &weight_bits {
                if !(2..=16).contains(&wb) {
                    return fail(format!(
                        "--weight-bits: {wb} is out of range; allowed 2..=16"
                    ));
                }
            }
            for &tb in &trace_bits {
                if !(6..=16).contains(&tb) {
                    return fail(format!(
                        "--trace-bits: {tb} is out of range; allowed 6..=16"
                    ));
                }
            }
            let mut archs = Vec::new();
            for a in &arch {
                match neurochip_emu::Arch::resolve(a) {
                    Ok(x) => archs.push(x),
                    Err(e) => return fail(format!("--arch: {e}")),
                }
            }
            let rows = match neurochip::sweep::sweep(&cfgs, &es, &weight_bits, &trace_bits, &archs)
            {
                Ok(r) => r,
                Err(e) => return fail(e),
            };
            print!("{}", neurochip::sweep::markdown(&rows));
            if let Some(p) = csv {
                if let Err(e) =
                    neurochip::export::write_atomic(&p, neurochip::sweep::csv(&rows).as_bytes())
                {
                    return fail(format!("{}: cannot write: {e}", p.display()));
                }
            }
            if let Some(p) = plot {
                let stem = match p.extension().and_then(|e| e.to_str()) {
                    Some("png" | "svg") => p.with_extension(""),
                    _ => p,
                };
                if let Err(e) = neurochip::sweep::plot(&rows, &stem) {
                    return fail(format!("--plot {}: {e}", stem.display()));
                }
                println!("plot: {}.png, {0}.svg", stem.display());
            }
            ExitCode::SUCCESS
        }
        Command::Export { config, output } => {
            let cfg = match config::load(&config) {
                Ok(c) => c,
                Err(e) => return fail(e),
            };
            let bytes = match neurochip::export::image_bytes(&cfg) {
                Ok(b) => b,
                Err(e) => return fail(e),
            };
            if let Err(e) = neurochip::export::write_atomic(&output, &bytes) {
                return fail(format!("{}: cannot write the image: {e}", output.display()));
            }
            println!("{}: {} bytes", output.display(), bytes.len());
            ExitCode::SUCCESS
        }
        Command::RunImage { image } => {
            let bytes = match neurochip::export::read_chip_file(&image) {
                Ok(b) => b,
                Err(e) => return fail(format!("{}: cannot read: {e}", image.display())),
            };
            match neurochip::export::run_image(&bytes) {
                Ok(lines) => {
                    for l in lines {
                        println!("{l}");
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => fail(format!("{}: {e}", image.display())),
            }
        }
        Command::Inspect { image } => {
            let bytes = match neurochip::export::read_chip_file(&image) {
                Ok(b) => b,
                Err(e) => return fail(format!("{}: cannot read: {e}", image.display())),
            };
            if bytes.starts_with(b"NCSS") {
                return match neurochip_emu::snapshot::describe(&bytes) {
                    Ok(text) => {
                        println!("{}: {text}", image.display());
                        ExitCode::SUCCESS
                    }
                    Err(e) => fail(format!("{}: {e}", image.display())),
                };
            }
            match neurochip_core::image::decode(&bytes) {
                Ok(d) => {
                    let c = d.config;
                    // The version the file carries (decode accepted it).
                    let version = bytes
                        .get(4..6)
                        .map_or(0, |v| u16::from_le_bytes([v[0], v[1]]));
                    println!("{}: chip image, format version {version}", image.display());
                    println!(
                        "  network    {} inputs, {} neurons, {} readouts",
                        c.n_in(),
                        c.n_rec(),
                        c.n_out()
                    );
                    let f = c.formats();
                    println!(
                        "  formats    membrane {}.{}, weights {}, traces {}.{}, readout {}.{}",
                        f.membrane.bits(),
                        f.membrane.frac(),
                        f.weight.bits(),
                        f.trace.bits(),
                        f.trace.frac(),
                        f.readout.bits(),
                        f.readout.frac()
                    );
                    println!("  shifts     {:?}", c.shifts());
                    println!("  learning   {:?}", c.learning().engine);
                    println!("  seed       {}", c.seed());
                    match neurochip_tasks::app::AppSpec::decode(d.app) {
                        Ok(a) => println!("  task       {:?}\n  plan       {:?}", a.task, a.plan),
                        Err(e) => return fail(format!("{}: {e}", image.display())),
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => fail(format!("{}: {e}", image.display())),
            }
        }
        Command::Bench {
            config,
            steps,
            arch,
            json: j,
        } => {
            let cfg = match config::load(&config) {
                Ok(c) => c,
                Err(e) => return fail(e),
            };
            let arch = match arch
                .as_deref()
                .map(neurochip_emu::Arch::resolve)
                .transpose()
            {
                Ok(a) => a,
                Err(e) => return fail(format!("--arch: {e}")),
            };
            match neurochip::peer::time_steps(&cfg, arch.as_ref(), steps) {
                Ok(t) if j => println!("{}", json(&t)),
                Ok(t) => println!(
                    "{} ({}): {} steps in {:.4} s: {:.3} us/step, {:.0} steps/s, {} spikes, digest {}",
                    t.name, t.arch, t.steps, t.seconds, t.us_per_step, t.steps_per_second, t.spikes, t.digest
                ),
                Err(e) => return fail(e),
            }
            ExitCode::SUCCESS
        }
        Command::Network { config, output } => {
            let cfg = match config::load(&config) {
                Ok(c) => c,
                Err(e) => return fail(e),
            };
            let v = match neurochip::peer::network_json(&cfg) {
                Ok(v) => v,
                Err(e) => return fail(e),
            };
            if let Err(e) = neurochip::export::write_atomic(&output, json(&v).as_bytes()) {
                return fail(format!("{}: cannot write: {e}", output.display()));
            }
            ExitCode::SUCCESS
        }
        Command::Experiment {
            name,
            list,
            quick,
            out,
            quiet,
        } => {
            use neurochip::experiment;
            if list {
                for e in experiment::ALL {
                    println!("  {:<20} {}", e.name, e.about);
                }
                return ExitCode::SUCCESS;
            }
            let name = name.unwrap_or_default();
            let exp = match experiment::find(&name) {
                Ok(e) => e,
                Err(e) => return fail(e),
            };
            let out = out.unwrap_or_else(|| neurochip::runs::default_folder(&name));
            let ctx = experiment::Ctx { out, quick, quiet };
            match experiment::run(exp, &ctx) {
                Ok(o) => {
                    print!("{}", o.table);
                    println!("run folder: {}", ctx.out.display());
                    ExitCode::SUCCESS
                }
                Err(e) => fail(e),
            }
        }
        Command::Init {
            task,
            output,
            force,
        } => match neurochip::init::init(&task, output.as_deref(), force) {
            Ok(p) => {
                println!(
                    "wrote {}; next: neurochip check {0} && neurochip run {0}",
                    p.display()
                );
                ExitCode::SUCCESS
            }
            Err(e) => fail(e),
        },
        Command::Solve(args) => ExitCode::from(neurochip::solve::command(&args)),
        Command::Check { config } => match config::load(&config) {
            Ok(c) => match neurochip::build::chip(&c).and_then(|_| neurochip::build::task(&c)) {
                Ok(_) => {
                    println!("{}: ok", config.display());
                    ExitCode::SUCCESS
                }
                Err(e) => fail(e),
            },
            Err(e) => fail(e),
        },
    }
}
