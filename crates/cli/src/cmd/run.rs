//! `neurochip run`: train the chip of a configuration on its task (or run it, when it
//! does not learn), print the result and leave a run folder. A file with `[solver]`
//! or `[assembly]` runs that application's image on the host, as `run-image` does.

use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use neurochip_emu::config::{AppConfig, Application, Config, Engine, Workload};
use neurochip_emu::{apps, checkpoint, export, learn, sim, stop};
use neurochip_lab::runs::Figures;

use super::{fail, Common, Output, RunFolder};

/// Arguments of `neurochip run`.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  neurochip run examples/alif.toml --json\n  neurochip run examples/cue.toml --out runs/cue --save cue.snap\n  neurochip run examples/cue.toml --arch reckon\n  neurochip run examples/bench256.toml --arch arch/multicore.toml --steps 1000\n  neurochip run examples/solver.toml --no-out    # an application file: the line run-image prints for its image"
)]
pub struct Args {
    #[command(flatten)]
    common: Common,
    /// After training, write the trained chip as an image that runs inference on the
    /// test samples (digits: compiled into the image) for the firmware.
    #[arg(long, value_name = "FILE")]
    export: Option<PathBuf>,
    /// Save the whole chip state (weights, traces, PRNG, step counter, epochs done)
    /// to FILE at the end, atomically. Stopped by Ctrl-C (SIGINT) or SIGTERM, the run
    /// finishes its sample and saves the state after its last finished epoch.
    #[arg(long, value_name = "FILE")]
    save: Option<PathBuf>,
    /// Also write the --save snapshot (atomically) each time N epochs are done, so a
    /// crash loses at most N epochs. Needs --save.
    #[arg(long, value_name = "N")]
    checkpoint_every: Option<NonZeroU32>,
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
    /// Start the chip from the weights in FILE.npz (`neurochip weights` writes one; or
    /// real values from numpy: docs/formats.md), instead of the configuration's own.
    #[arg(long, value_name = "FILE.npz")]
    weights: Option<PathBuf>,
}

/// Run `neurochip run`.
pub fn run(a: Args) -> ExitCode {
    super::exit(run_config(&a))
}

fn run_config(a: &Args) -> Result<ExitCode, ExitCode> {
    let c = &a.common;
    let (cfg, source) = match super::load_workload_source(&c.config)? {
        (Workload::Chip(mut cfg), source) => {
            cfg.with_weights(a.weights.as_deref());
            (*cfg, source)
        }
        (Workload::App(_), _) if a.weights.is_some() => {
            return Err(fail(format!(
                "{}: --weights applies to e-prop chip configurations; this file describes \
                 an application",
                c.config.display()
            )))
        }
        (Workload::App(app), source) => return run_app(a, &app, source),
    };
    let supervised = cfg.reward.is_none() && cfg.learning.engine != Engine::Off;
    for w in neurochip_emu::rates::warnings(&cfg) {
        eprintln!("warning: {w}");
    }
    if a.checkpoint_every.is_some() && (a.save.is_none() || !supervised || a.arch.is_some()) {
        return Err(fail(format!(
            "{}: --checkpoint-every applies to supervised training runs with --save FILE \
             (where the checkpoints go), without --arch",
            c.config.display()
        )));
    }
    if c.steps.is_some() && cfg.learns() && a.arch.is_none() {
        return Err(fail(steps_on_training(&c.config)));
    }
    // What the image cannot carry is refused before any work (and before the folder).
    let image = export_plan(a, &cfg)?;
    if let Some(spec) = &a.arch {
        if a.save.is_some() || a.export.is_some() || a.resume.is_some() {
            return Err(fail(format!(
                "{}: --save, --export and --resume do not apply with --arch (the cycle \
                 model reports on a run; run without --arch to keep the trained chip)",
                c.config.display()
            )));
        }
        let arch = super::arch(spec)?;
        let folder = RunFolder::new(c, "run", &cfg, source)?;
        folder.release_on_signal()?;
        let quiet = c.quiet || c.json;
        let r = folder.check(neurochip_emu::arch_run::run_arch(
            &cfg, &arch, c.steps, quiet,
        ))?;
        let write = || folder.write(&r, &Figures::default());
        return Ok(folder.finish(c.json, &r, write, |r| {
            print!("{}", neurochip_emu::arch_run::table(r));
        }));
    }
    // Before the folder is claimed: from here on a signal stops the run between two
    // samples (episodes) and the run keeps its work.
    stop::install().map_err(fail)?;
    // The folder first: --save and --export may go into it.
    let folder = RunFolder::new(c, "run", &cfg, source)?;
    check_outputs(a, &cfg)?;
    if cfg.reward.is_some() {
        return reward(&cfg, a, &folder);
    }
    if supervised {
        return train(&cfg, a, &folder);
    }
    if a.save.is_some() || a.resume.is_some() {
        return Err(fail(format!(
            "{}: --save and --resume apply to training runs ([learning] engine = \"exact\" or \"light\")",
            c.config.display()
        )));
    }
    let rep = folder.check(sim::run_until(&cfg, c.steps, &stop::requested))?;
    let interrupted = rep.interrupted_line();
    if let (Some(path), Some(bytes), None) = (&a.export, &image, &interrupted) {
        // The image of the chip this run started from, with the plan it just ran:
        // `run-image` reproduces its digest.
        write_bytes(path, bytes, "chip image", c.json)?;
    }
    let write = || {
        neurochip_lab::runs::with_probe(&cfg, |figs| folder.write(&rep, &figs))
            .unwrap_or_else(super::fail)
    };
    let code = folder.finish(c.json, &rep, write, |rep| print!("{}", rep.table()));
    ended(code, interrupted)
}

/// An application file (`[solver]`, `[assembly]`): its image run on the host as
/// `neurochip run-image` runs it (exit code 0 whether or not the solver solves, as
/// there; `--json` says `solved`). The table is that one line.
fn run_app(a: &Args, app: &AppConfig, source: Vec<u8>) -> Result<ExitCode, ExitCode> {
    let c = &a.common;
    let (section, seed) = match &app.app {
        Application::Solver(s) => ("solver", s.seed),
        Application::Assembly(s) => ("assembly", s.seed),
    };
    let steps = format!("set {section}.steps in the file");
    let image = format!(
        "`neurochip export {} -o FILE` writes its image",
        c.config.display()
    );
    let refused = [
        ("--steps", c.steps.is_some(), steps.as_str()),
        ("--export", a.export.is_some(), image.as_str()),
        (
            "--save",
            a.save.is_some(),
            "an application run keeps no chip state",
        ),
        (
            "--resume",
            a.resume.is_some(),
            "an application run keeps no chip state",
        ),
        (
            "--checkpoint-every",
            a.checkpoint_every.is_some(),
            "an application run keeps no chip state",
        ),
    ];
    if let Some((flag, _, why)) = refused.iter().find(|(_, given, _)| *given) {
        return Err(fail(format!(
            "{}: {flag} applies to e-prop chip configurations, and this file describes an \
             application ([{section}]): {why}",
            c.config.display()
        )));
    }
    let folder = RunFolder::named(c, "run", &app.name, seed, source)?;
    if let Some(spec) = &a.arch {
        // The application through the cycle model: the same digest, priced.
        let arch = super::arch(spec)?;
        folder.release_on_signal()?;
        let r = folder.check(
            neurochip_emu::app_cost::run_arch(app, &arch)
                .map_err(|e| format!("{}: {e}", c.config.display())),
        )?;
        let write = || folder.write(&r, &Figures::default());
        return Ok(folder.finish(c.json, &r, write, |r| {
            print!("{}", neurochip_emu::arch_run::table(r));
        }));
    }
    let rep = folder.check(apps::run_config(app))?;
    let write = || folder.write(&rep, &Figures::default());
    Ok(folder.finish(c.json, &rep, write, |rep| println!("{}", rep.line)))
}

/// The refusal of `--steps` on a training run (`run` without `--arch`, `verify`).
pub(super) fn steps_on_training(config: &Path) -> String {
    sim::steps_on_training(&config.display().to_string())
}

/// `--export`, checked before any work: an image can carry this configuration
/// ([`export::check_exportable`]), and the run follows the plan the image will hold.
/// A run that does not learn exports its own start (the bytes `neurochip export`
/// writes), returned here; a training run exports its trained chip at the end.
fn export_plan(a: &Args, cfg: &Config) -> Result<Option<Vec<u8>>, ExitCode> {
    let Some(path) = &a.export else {
        return Ok(None);
    };
    let config = a.common.config.display();
    if a.arch.is_some() {
        return Err(fail(format!(
            "{config}: --export does not apply with --arch; write the image with \
             `neurochip export CONFIG -o {}`",
            path.display()
        )));
    }
    if cfg.learns() {
        export::check_exportable(cfg, true).map_err(fail)?;
        return Ok(None);
    }
    if a.common.steps.is_some() {
        return Err(fail(format!(
            "{config}: --export writes the configuration's whole plan, which --steps cuts \
             short; drop --steps, or set task.samples"
        )));
    }
    export::image_bytes(cfg).map(Some).map_err(fail)
}

/// `--save` and `--export`, checked before any work: writable, not the
/// configuration, its data or the `--arch` file, not one file. `--save` may name
/// the `--resume` snapshot: that is read before training and replaced at the end.
fn check_outputs(a: &Args, cfg: &Config) -> Result<(), ExitCode> {
    let mut outs = Vec::new();
    if let Some(p) = &a.save {
        outs.push(Output {
            flag: "--save",
            what: "snapshot",
            path: p,
        });
    }
    if let Some(p) = &a.export {
        outs.push(Output {
            flag: "--export",
            what: "image",
            path: p,
        });
    }
    let mut inputs = cfg.inputs(&a.common.config);
    if let Some(spec) = &a.arch {
        inputs.push(Path::new(spec));
    }
    super::check_outputs(&outs, &inputs)
}

fn train(cfg: &Config, a: &Args, folder: &RunFolder) -> Result<ExitCode, ExitCode> {
    let j = a.common.json;
    if !j {
        println!(
            "neurochip run: training {} ({:?} engine) on {:?}",
            cfg.name, cfg.learning.engine, cfg.task.kind
        );
    }
    let opts = checkpoint::Options {
        resume: a.resume.as_deref(),
        save: a.save.as_deref(),
        checkpoint_every: a.checkpoint_every,
        stop: Some(&stop::requested),
        ..Default::default()
    };
    let res = checkpoint::train_chip(cfg, a.common.quiet || j, &opts, |ep| {
        if !j {
            println!("{}", learn::epoch_line("chip", ep));
        }
    });
    let (rep, mut chip) = folder.check(res)?;
    // A stopped run's chip is mid-epoch: no image of it.
    let interrupted = rep.interrupted_line(cfg.train.epochs, a.save.as_deref());
    if let (Some(path), None) = (&a.export, &interrupted) {
        write_image(cfg, &chip, path, j)?;
    }
    let write = || {
        neurochip_lab::runs::with_learned(cfg, &mut chip, rep.confusion.clone(), |figs| {
            let figs = Figures {
                chip_curve: Some(&rep.epochs),
                ..figs
            };
            folder.write(&rep, &figs)
        })
        .unwrap_or_else(super::fail)
    };
    let code = folder.finish(j, &rep, write, |rep| print!("\n{}", rep.table()));
    ended(code, interrupted)
}

fn reward(cfg: &Config, a: &Args, folder: &RunFolder) -> Result<ExitCode, ExitCode> {
    let j = a.common.json;
    if a.resume.is_some() {
        return Err(fail(format!(
            "{}: --resume applies to supervised training runs; a reward run starts its episodes from 0",
            a.common.config.display()
        )));
    }
    if !j {
        println!(
            "neurochip run: reward learning {} ({:?} engine, actor-critic) on {:?}",
            cfg.name, cfg.learning.engine, cfg.task.kind
        );
    }
    let res = neurochip_emu::learn::with_episode_bar(cfg, a.common.quiet || j, |on_episode| {
        neurochip_emu::reward::train_chip(cfg, a.save.as_deref(), &stop::requested, on_episode)
    });
    let (rep, chip) = folder.check(res)?;
    // A stopped run's chip is mid-plan: no image of it.
    let planned = u64::from(cfg.train.epochs) * u64::from(cfg.train.train_samples);
    let interrupted = rep.interrupted_line(planned, a.save.as_deref());
    if let (Some(path), None) = (&a.export, &interrupted) {
        write_image(cfg, &chip, path, j)?;
    }
    let write = || folder.write(&rep, &Figures::default());
    let code = folder.finish(j, &rep, write, |rep| print!("{}", rep.table()));
    ended(code, interrupted)
}

/// The end of a run whose folder and table `code` finished: the line of a run that a
/// signal stopped, and the exit code (the signal's, else success).
fn ended(code: ExitCode, interrupted: Option<String>) -> Result<ExitCode, ExitCode> {
    if code != ExitCode::SUCCESS {
        return Err(code);
    }
    if let Some(line) = interrupted {
        eprintln!("{line}");
    }
    // A signal that came after the last sample stops nothing, but is still the answer.
    Ok(stop::requested().map_or(ExitCode::SUCCESS, |s| ExitCode::from(s.exit_code())))
}

fn write_image(
    cfg: &Config,
    chip: &neurochip_emu::HostChip,
    path: &Path,
    quiet: bool,
) -> Result<(), ExitCode> {
    let bytes = export::encode_chip(cfg, chip, true).map_err(fail)?;
    write_bytes(path, &bytes, "trained chip image", quiet)
}

fn write_bytes(path: &Path, bytes: &[u8], what: &str, quiet: bool) -> Result<(), ExitCode> {
    let out = Output {
        flag: "--export",
        what: "image",
        path,
    };
    out.write(bytes).map_err(fail)?;
    if !quiet {
        println!("{what}: {} ({} bytes)", path.display(), bytes.len());
    }
    Ok(())
}
