//! Working beside other simulators: the float network a configuration builds, as JSON
//! (`neurochip network`), and the host's speed on a configuration's input
//! (`neurochip bench`), so a peer such as Brian2 can run the same network and be timed
//! in the same run (bench/peers/).

use std::time::Instant;

use crate::{dequantize, Arch, CycleChip, CycleModel};
use bitvec::prelude::*;
use serde::Serialize;

use crate::arch_run;
use crate::build::{self, BuildError};
use crate::config::Config;
use crate::task::Pick;
use neurochip_tasks::SpikeSource;

/// The chip's network, dequantised (what the chip computes with), as JSON: sizes,
/// per-neuron decays and thresholds, refractory steps, and the weight matrices row per
/// presynaptic unit (`w[pre * n_post + post]`, masked synapses zero).
pub fn network_json(cfg: &Config) -> Result<serde_json::Value, BuildError> {
    let (_, mut chip) = build::chip(cfg)?;
    let net = dequantize(&mut chip);
    Ok(serde_json::json!({
        "name": cfg.name,
        "n_in": net.n_in,
        "n_rec": net.n_rec,
        "n_out": net.n_out,
        "dt_ms": cfg.network.dt_ms,
        "input_rate_hz": cfg.task.rate_hz,
        "steps": cfg.task.steps,
        "alpha": net.alpha,
        "thr": net.thr,
        "kappa": net.kappa,
        "refractory_steps": net.refractory,
        "w_in": net.w_in,
        "w_rec": net.w_rec,
        "w_out": net.w_out,
    }))
}

/// What `neurochip bench` measured.
#[derive(Clone, Debug, Serialize)]
pub struct Timing {
    /// Configuration name.
    pub name: String,
    /// Architecture of the cycle model, or "none" for the functional path.
    pub arch: String,
    /// Steps timed.
    pub steps: u64,
    /// Wall-clock seconds of the step loop (input generation included).
    pub seconds: f64,
    /// Microseconds per step.
    pub us_per_step: f64,
    /// Steps per second.
    pub steps_per_second: f64,
    /// Recurrent spikes.
    pub spikes: u64,
    /// Trace digest.
    pub digest: String,
}

/// Time `steps` steps of the chip of `cfg` on sample 0 of its input (repeated if the
/// sample is shorter), through the cycle model of `arch` when given.
pub fn time_steps(cfg: &Config, arch: Option<&Arch>, steps: u64) -> Result<Timing, BuildError> {
    let (_, mut chip) = build::chip(cfg)?;
    let task = build::task(cfg)?;
    let mut models: Vec<CycleModel> = match arch {
        Some(a) => vec![arch_run::model(cfg, a, &mut chip)?],
        None => Vec::new(),
    };
    let mut x = bitvec![u32, Lsb0; 0; task.n_inputs()];
    let sample = task.sample(Pick::Run(0));
    let len = u64::from(sample.steps().max(1));
    let mut spikes = 0u64;
    let t0 = Instant::now();
    {
        let (c, mut mem) = chip.parts();
        let mut dp = CycleChip {
            chip: c,
            models: &mut models,
        };
        for t in 0..steps {
            sample.spikes((t % len) as u32, &mut x);
            let o =
                neurochip_core::Datapath::step(&mut dp, &mut mem, &x).map_err(|e| BuildError {
                    file: cfg.origin.clone(),
                    field: "task".into(),
                    message: e.to_string(),
                })?;
            spikes += u64::from(o.spikes);
        }
    }
    let seconds = t0.elapsed().as_secs_f64();
    Ok(Timing {
        name: cfg.name.clone(),
        arch: arch.map_or("none".into(), |a| a.name.clone()),
        steps,
        seconds,
        us_per_step: seconds * 1e6 / steps.max(1) as f64,
        steps_per_second: steps as f64 / seconds.max(f64::MIN_POSITIVE),
        spikes,
        digest: format!("{:016x}", chip.digest()),
    })
}
