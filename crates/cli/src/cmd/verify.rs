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
            super::with_weights(&mut cfg, Some(std::path::Path::new(&a.weights)));
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
        super::probe_figures(&cfg, |figs| {
            let figs = Figures {
                divergence: Some(&rep.divergence),
                verify: true,
                ..figs
            };
            folder.write(&rep, &figs)
        })
    };
    Ok(folder.finish(c.json, &rep, write, |rep| {
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
    }))
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
        super::learned_figures(cfg, &mut chip, |figs| {
            let figs = Figures {
                chip_curve: Some(&rep.chip_curve),
                ref_curve: Some(&rep.ref_curve),
                verify: true,
                ..figs
            };
            folder.write(&rep, &figs)
        })
    };
    Ok(folder.finish(j, &rep, write, |rep| {
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
        let row = |k: &str, v: f64, digits: usize| println!("  {k:<34} {v:>10.digits$}");
        row(
            "accuracy gap (points, float - chip)",
            rep.accuracy_gap_points,
            2,
        );
        row("update cosine (chip vs float)", rep.update_cosine, 4);
        // The float model's e-prop against BPTT, in the reset convention it used.
        let eprop_row = format!("e-prop/BPTT cosine, {}", learn::EPROP_BPTT_RESET.label());
        row(&eprop_row, rep.eprop_bptt_cosine, 4);
        println!("  {:<34} {:>10}", "digest", rep.digest);
    }))
}

fn reward(cfg: &Config, j: bool, quiet: bool, folder: &RunFolder) -> Result<ExitCode, ExitCode> {
    if !j {
        println!(
            "neurochip verify: reward learning {} on the chip and on the f64 twin",
            cfg.name
        );
    }
    let res = super::episode_bar(cfg, quiet || j, |on_episode| {
        neurochip_emu::reward::verify(cfg, on_episode)
    });
    let (rep, _) = folder.check(res)?;
    let write = || folder.write(&rep, &Figures::default());
    Ok(folder.finish(j, &rep, write, |rep| {
        println!();
        println!("  {:<34} {:>10} {:>10}", "", "chip", "float");
        println!(
            "  {:<34} {:>9.1}% {:>9.1}%",
            format!("success (last {} episodes)", rep.chip.window),
            100.0 * rep.chip.success_rate,
            100.0 * rep.float_success_rate
        );
        println!(
            "  {:<34} {:>10.1}",
            "gap (points, chip - float)", rep.gap_points
        );
        println!("  {:<34} {:>10}", "digest", rep.chip.digest);
    }))
}
