//! `neurochip verify`: the fixed-point chip beside the f64 reference on the same input
//! (or both trained side by side, when the configuration learns).

use std::process::ExitCode;

use neurochip_emu::config::{Config, Engine};
use neurochip_emu::learn;
use neurochip_emu::sim::{self, RefWeights};
use neurochip_lab::runs::Figures;

use super::{Common, RunFolder};

/// Arguments of `neurochip verify`.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  neurochip verify examples/lif.toml --weights float\n  neurochip verify examples/cue.toml --out runs/cue-verify"
)]
pub struct Args {
    #[command(flatten)]
    common: Common,
    /// Weights of the reference: the chip's own, dequantised (only arithmetic
    /// differs), or the original floats (quantisation included). Allowed:
    /// dequantized, float; or FILE.npz: the chip starts from the weights in it, and
    /// the reference gets them dequantised.
    #[arg(
        long,
        default_value = "dequantized",
        value_name = "dequantized|float|FILE.npz"
    )]
    weights: String,
}

/// Run `neurochip verify`.
pub fn run(a: Args) -> ExitCode {
    super::exit(verify_config(&a))
}

fn verify_config(a: &Args) -> Result<ExitCode, ExitCode> {
    let c = &a.common;
    let (mut cfg, source) = super::load_source(&c.config)?;
    let weights = match a.weights.parse::<RefWeights>() {
        Ok(w) => w,
        Err(_) if a.weights.ends_with(".npz") || std::path::Path::new(&a.weights).is_file() => {
            cfg.with_weights(Some(std::path::Path::new(&a.weights)));
            RefWeights::Dequantized
        }
        Err(e) => {
            return Err(super::fail(format!(
                "--weights: {e}, or a weights file FILE.npz"
            )))
        }
    };
    if c.steps.is_some() && cfg.learns() {
        return Err(super::fail(super::run::steps_on_training(&c.config)));
    }
    for w in neurochip_emu::rates::warnings(&cfg) {
        eprintln!("warning: {w}");
    }
    let folder = RunFolder::new(c, "verify", &cfg, source)?;
    if cfg.reward.is_some() {
        return reward(&cfg, c.json, c.quiet, &folder);
    }
    if cfg.learning.engine != Engine::Off {
        return learning(&cfg, c.json, c.quiet, &folder);
    }
    let rep = folder.check(sim::verify(&cfg, weights, c.steps))?;
    let write = || {
        neurochip_lab::runs::with_probe(&cfg, |figs| {
            let figs = Figures {
                divergence: Some(&rep.divergence),
                verify: true,
                ..figs
            };
            folder.write(&rep, &figs)
        })
        .unwrap_or_else(super::fail)
    };
    Ok(folder.finish(c.json, &rep, write, |rep| print!("{}", rep.table(weights))))
}

fn learning(cfg: &Config, j: bool, quiet: bool, folder: &RunFolder) -> Result<ExitCode, ExitCode> {
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
    let (rep, mut chip) = folder.check(res)?;
    let write = || {
        neurochip_lab::runs::with_learned(cfg, &mut chip, rep.confusion.clone(), |figs| {
            let figs = Figures {
                chip_curve: Some(&rep.chip_curve),
                ref_curve: Some(&rep.ref_curve),
                verify: true,
                ..figs
            };
            folder.write(&rep, &figs)
        })
        .unwrap_or_else(super::fail)
    };
    Ok(folder.finish(j, &rep, write, |rep| print!("\n{}", rep.table())))
}

fn reward(cfg: &Config, j: bool, quiet: bool, folder: &RunFolder) -> Result<ExitCode, ExitCode> {
    if !j {
        println!(
            "neurochip verify: reward learning {} on the chip and on the f64 twin",
            cfg.name
        );
    }
    let res = neurochip_emu::learn::with_episode_bar(cfg, quiet || j, |on_episode| {
        neurochip_emu::reward::verify(cfg, on_episode)
    });
    let (rep, _) = folder.check(res)?;
    let write = || folder.write(&rep, &Figures::default());
    Ok(folder.finish(j, &rep, write, |rep| print!("\n{}", rep.table())))
}
