//! `neurochip run --arch`: the chip stepped through the cycle-level model of an
//! architecture, on the same run loop as the functional chip (so the same digest),
//! with cycles, SRAM, operations and energy reported.

use crate::cycle::CycleReport;
use crate::{Arch, CycleChip, CycleModel, HostChip};
use bitvec::prelude::*;
use neurochip_tasks::model::OnChip;
use serde::Serialize;

use crate::build::{self, BuildError};
use crate::config::{Config, Engine};
use crate::learn;
use crate::task::Task;
use crate::train::ChipModel;

/// What `neurochip run --arch` reports.
#[derive(Clone, Debug, Serialize)]
pub struct ArchRun {
    /// Configuration name.
    pub name: String,
    /// Trace digest of the chip stepped through the cycle model.
    pub digest: String,
    /// Final test accuracy, for training configurations.
    pub test_accuracy: Option<f64>,
    /// Rewarded fraction of the last learning episodes, for reward configurations.
    pub success_rate: Option<f64>,
    /// The cycle model's figures.
    pub cycles: CycleReport,
}

fn fit_error(cfg: &Config, arch: &Arch, e: impl std::fmt::Display) -> BuildError {
    BuildError {
        file: cfg.origin.clone(),
        field: format!("--arch {}", arch.name),
        message: e.to_string(),
    }
}

/// The cycle model of `chip` on `arch`, or why the network does not fit.
pub fn model(cfg: &Config, arch: &Arch, chip: &mut HostChip) -> Result<CycleModel, BuildError> {
    let c = *chip.config();
    let dt = cfg.network.dt_ms / 1000.0;
    CycleModel::new(arch, &c, &chip.mem(), dt).map_err(|e| fit_error(cfg, arch, e))
}

/// Run (or train, when learning is on) the chip of `cfg` through the cycle model of
/// `arch`. Inference runs stop after `max_steps` steps when given.
pub fn run_arch(
    cfg: &Config,
    arch: &Arch,
    max_steps: Option<u64>,
    quiet: bool,
) -> Result<ArchRun, BuildError> {
    let (_, mut chip) = build::chip(cfg)?;
    let task = build::task(cfg)?;
    let cm = model(cfg, arch, &mut chip)?;
    if cfg.reward.is_some() {
        return reward_arch(cfg, arch, chip, cm);
    }
    if cfg.learning.engine != Engine::Off {
        return train_arch(cfg, chip, &task, cm, quiet);
    }
    let mut cm = cm;
    let mut x = bitvec![u32, Lsb0; 0; task.n_inputs()];
    {
        let (c, mut mem) = chip.parts();
        let mut dp = CycleChip {
            chip: c,
            models: std::slice::from_mut(&mut cm),
        };
        let mut m = OnChip::new(&mut dp, &mut mem, &mut []);
        crate::sim::inference(
            &mut m,
            &task,
            crate::sim::Span::all(crate::sim::inference_samples(cfg, &task), max_steps),
            &mut x,
            |_| {},
        )
        .map_err(|e| fit_error(cfg, arch, e))?;
    }
    cm.finish();
    Ok(ArchRun {
        name: cfg.name.clone(),
        digest: format!("{:016x}", chip.digest()),
        test_accuracy: None,
        success_rate: None,
        cycles: cm.report(),
    })
}

/// Reward learning through the cycle model: the plan of the configuration's image,
/// stepped through [`CycleChip`] (the actor–critic's agent steps are priced too).
fn reward_arch(
    cfg: &Config,
    arch: &Arch,
    chip: HostChip,
    cm: CycleModel,
) -> Result<ArchRun, BuildError> {
    let (rep, mut reports) =
        reward_models(cfg, chip, vec![cm]).map_err(|e| fit_error(cfg, arch, e.message))?;
    Ok(ArchRun {
        name: cfg.name.clone(),
        digest: rep.digest,
        test_accuracy: None,
        success_rate: Some(rep.success_rate),
        cycles: reports.swap_remove(0),
    })
}

/// Train `chip` by the reward plan of `cfg`, stepped through `models` (all count the
/// same steps; the chip computes the same bits with or without them): the report,
/// with the chip's digest, and one cycle report per model, in order.
pub fn reward_models(
    cfg: &Config,
    mut chip: HostChip,
    mut models: Vec<CycleModel>,
) -> Result<(crate::reward::RewardReport, Vec<CycleReport>), BuildError> {
    let app = crate::reward::app(cfg, true)?;
    let (c, mut mem) = chip.parts();
    let mut dp = CycleChip {
        chip: c,
        models: &mut models,
    };
    let mut rep = crate::reward::run_app(cfg, &app, &mut dp, &mut mem, &|| None, |_, _| {})?;
    rep.digest = format!("{:016x}", chip.digest());
    let reports = models
        .iter_mut()
        .map(|m| {
            m.finish();
            m.report()
        })
        .collect();
    Ok((rep, reports))
}

fn train_arch(
    cfg: &Config,
    chip: HostChip,
    task: &Task,
    cm: CycleModel,
    quiet: bool,
) -> Result<ArchRun, BuildError> {
    let t = train_models(cfg, chip, task, vec![cm], quiet);
    let mut reports = t.reports;
    Ok(ArchRun {
        name: cfg.name.clone(),
        digest: t.digest,
        test_accuracy: Some(t.score.accuracy),
        success_rate: None,
        cycles: reports.swap_remove(0),
    })
}

/// What training through cycle models gives.
pub struct Trained {
    /// Final test score.
    pub score: crate::train::Score,
    /// Trace digest.
    pub digest: String,
    /// Chip memory per structure.
    pub footprint: crate::Footprint,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// One report per model, in order.
    pub reports: Vec<CycleReport>,
}

/// Train `chip` on `task` with the plan of `cfg`, stepped through `models` (all count
/// the same steps; the chip computes the same bits with or without them).
pub fn train_models(
    cfg: &Config,
    chip: HostChip,
    task: &Task,
    models: Vec<CycleModel>,
    quiet: bool,
) -> Trained {
    let plan = learn::plan(cfg);
    let mut model = ChipModel::new(chip, task.n_inputs());
    model.cycles = models;
    let t0 = std::time::Instant::now();
    let epochs = learn::train_model(&mut model, task, &plan, quiet, "chip", |_| {});
    let score = learn::final_test(&epochs, &mut model, task, &plan);
    let reports = model
        .cycles
        .iter_mut()
        .map(|m| {
            m.finish();
            m.report()
        })
        .collect();
    Trained {
        score,
        digest: format!("{:016x}", model.chip.digest()),
        footprint: crate::footprint(model.chip.config()),
        seconds: t0.elapsed().as_secs_f64(),
        reports,
    }
}

/// The report as the table `neurochip run --arch` prints.
pub fn table(r: &ArchRun) -> String {
    use std::fmt::Write;
    let c = &r.cycles;
    let s = &c.cycles_per_step_by_stage;
    let mut o = String::new();
    let _ = writeln!(o, "neurochip run: {} on architecture `{}`", r.name, c.arch);
    let _ = writeln!(o, "  {}", c.description);
    let _ = writeln!(o, "  steps                      {:>12}", c.steps);
    if let Some(a) = r.test_accuracy {
        let _ = writeln!(o, "  test accuracy              {:>11.1}%", 100.0 * a);
    }
    if let Some(a) = r.success_rate {
        let _ = writeln!(o, "  success (last episodes)    {:>11.1}%", 100.0 * a);
    }
    let _ = writeln!(
        o,
        "\n  cycles per step (mean)     {:>12.1}   (busiest step {:.0})",
        c.cycles_per_step, c.max_cycles_per_step
    );
    for (name, v) in [
        ("overhead", s.overhead),
        ("input events", s.input),
        ("recurrent events", s.recurrent),
        ("neuron updates", s.neuron),
        ("readout", s.readout),
        ("learning engine", s.learning),
    ] {
        let _ = writeln!(o, "    {:<24} {:>12.1}", name, v);
    }
    let _ = writeln!(
        o,
        "  router stalls per step     {:>12.2}   (queue peak {})",
        c.stall_cycles_per_step, c.queue_peak
    );
    let _ =
        writeln!(
        o,
        "  real-time clock            {:>12.3} MHz (busiest step {:.3} MHz; nominal {} MHz: {})",
        c.realtime_clock_mhz,
        c.realtime_clock_mhz_worst,
        c.nominal_clock_mhz,
        if c.realtime_at_nominal { "keeps up" } else { "too slow" }
    );
    let _ = writeln!(
        o,
        "\n  SRAM on the die            {:>12} of {} bytes",
        c.sram_used_bytes, c.sram_capacity_bytes
    );
    for b in &c.sram {
        let what = b.structure_list(", ");
        let pct = 100.0 * b.used_bytes as f64 / b.capacity_bytes.max(1) as f64;
        let _ = writeln!(
            o,
            "    {:<12} {:>4}-bit {:>9} / {:>9} B {:>5.1}%  {}{}",
            b.bank,
            b.word_bits,
            b.used_bytes,
            b.capacity_bytes,
            pct,
            what,
            if b.external {
                "  (external, off the die)"
            } else {
                ""
            }
        );
    }
    if c.external_bytes > 0 {
        let _ = writeln!(
            o,
            "  external memory            {:>12} bytes, {:.1} words moved per step",
            c.external_bytes, c.external_words_per_step
        );
    }
    let _ = writeln!(o, "\n  NeuroBench (per step)");
    let _ = writeln!(
        o,
        "    {:<34} {:>12.1}",
        "SynapticOperations Effective_ACs", c.synaptic_operations.effective_acs
    );
    let _ = writeln!(
        o,
        "    {:<34} {:>12.1}",
        "SynapticOperations Dense", c.synaptic_operations.dense
    );
    if c.synaptic_operations.release_failures > 0.0 {
        let _ = writeln!(
            o,
            "    {:<34} {:>12.1}",
            "(failed releases, not counted)", c.synaptic_operations.release_failures
        );
    }
    let _ = writeln!(
        o,
        "    {:<34} {:>12.1}",
        "MembraneUpdates", c.membrane_updates
    );
    let _ = writeln!(
        o,
        "    {:<34} {:>12.4}",
        "ActivationSparsity", c.activation_sparsity
    );
    let _ = writeln!(
        o,
        "    {:<34} {:>12.4}",
        "ConnectionSparsity", c.connection_sparsity
    );
    let e = &c.energy_split_per_step_pj;
    let _ = writeln!(
        o,
        "\n  energy per step            {:>12.1} pJ (synapses {:.1}, neurons {:.1}, readout {:.1}, learning {:.1}, static {:.1})",
        c.energy_per_step_pj, e.synapses, e.neurons, e.readouts, e.learning, e.static_
    );
    if let Some(nj) = c.energy_per_inference_nj {
        let _ = writeln!(o, "  energy per inference       {:>12.2} nJ", nj);
    }
    if let Some(nj) = c.energy_per_training_sample_nj {
        let _ = writeln!(o, "  energy per training sample {:>12.2} nJ", nj);
    }
    let _ = writeln!(
        o,
        "  power in real time         {:>12.3} uW",
        c.power_realtime_uw
    );
    let _ = writeln!(o, "  digest                     {}", r.digest);
    o
}
