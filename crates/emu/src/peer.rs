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
use crate::config::{Apply, Config, Engine};
use crate::task::Pick;
use neurochip_core::Target;
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

/// What `neurochip bench --mode` times on the configuration's network.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// A forward step: learning circuits off.
    Forward,
    /// A training step of the exact engine (online): step, then learn with a class
    /// target at every step.
    Exact,
    /// The same with the light engine.
    Light,
}

crate::choice_from_str!(Mode, "mode", [
    "forward" => Mode::Forward,
    "exact" => Mode::Exact,
    "light" => Mode::Light,
]);

impl Mode {
    /// `cfg` set up for this mode.
    fn config(self, cfg: &Config) -> Config {
        let mut c = cfg.clone();
        c.set_engine(match self {
            Mode::Forward => Engine::Off,
            Mode::Exact => Engine::Exact,
            Mode::Light => Engine::Light,
        });
        c.learning.apply = Apply::Online;
        c
    }
}

/// What `neurochip bench` measured.
#[derive(Clone, Debug, Serialize)]
pub struct Timing {
    /// Configuration name.
    pub name: String,
    /// The mode timed (`None`: the configuration as it is, step only).
    pub mode: Option<Mode>,
    /// Architecture of the cycle model, or "none" for the functional path.
    pub arch: String,
    /// The host SIMD path the chip ran (`baseline`, `avx2` or `avx512`:
    /// [`crate::simd::current`], which `NEUROCHIP_ISA` forces).
    pub isa: &'static str,
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

impl Timing {
    /// The timing as the line `neurochip bench` prints.
    pub fn line(&self) -> String {
        format!(
            "{} ({}{}, {}): {} steps in {:.4} s: {:.3} us/step, {:.0} steps/s, {} spikes, digest {}",
            self.name,
            self.arch,
            self.mode
                .map_or(String::new(), |m| format!(", {m:?}").to_lowercase()),
            self.isa,
            self.steps,
            self.seconds,
            self.us_per_step,
            self.steps_per_second,
            self.spikes,
            self.digest
        )
    }
}

/// Time `steps` steps of the chip of `cfg` on sample 0 of its input (repeated if the
/// sample is shorter), through the cycle model of `arch` when given. With a `mode`, the
/// network is set up for it ([`Mode`]); a training mode learns at every step with
/// class `t mod outputs` as the target.
pub fn time_steps(
    cfg: &Config,
    arch: Option<&Arch>,
    steps: u64,
    mode: Option<Mode>,
) -> Result<Timing, BuildError> {
    let configured = mode.map(|m| m.config(cfg));
    let cfg = configured.as_ref().unwrap_or(cfg);
    let learns = matches!(mode, Some(Mode::Exact | Mode::Light));
    let (_, mut chip) = build::chip(cfg)?;
    let n_out = chip.config().n_out().max(1) as u64;
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
            if learns {
                let k = (t % n_out) as usize;
                neurochip_core::Datapath::learn(&mut dp, &mut mem, Target::Class(k)).map_err(
                    |e| BuildError {
                        file: cfg.origin.clone(),
                        field: "learning".into(),
                        message: e.to_string(),
                    },
                )?;
            }
        }
    }
    let seconds = t0.elapsed().as_secs_f64();
    Ok(Timing {
        name: cfg.name.clone(),
        mode,
        arch: arch.map_or("none".into(), |a| a.name.clone()),
        isa: crate::simd::current().name(),
        steps,
        seconds,
        us_per_step: seconds * 1e6 / steps.max(1) as f64,
        steps_per_second: steps as f64 / seconds.max(f64::MIN_POSITIVE),
        spikes,
        digest: format!("{:016x}", chip.digest()),
    })
}
