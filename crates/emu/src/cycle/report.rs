//! What a run through the cycle model comes to: the counts of [`Stats`] turned into a
//! [`CycleReport`] (cycles, real-time clock, SRAM, NeuroBench's operation counts and
//! energy) for an architecture and a time step.

use super::*;

/// An architecture, the time step and the SRAM a network takes on it: what turns a
/// run's [`Stats`] into a [`CycleReport`].
pub(crate) struct Fit<'a> {
    pub(crate) arch: &'a Arch,
    pub(crate) dt_s: f64,
    pub(crate) sram: &'a [BankUse],
}

impl Fit<'_> {
    /// The report of `s`, for a network of `neurons` neurons (activation sparsity)
    /// with `connected` of `dense` possible synapses.
    pub(crate) fn report(
        &self,
        s: &Stats,
        neurons: usize,
        connected: u64,
        dense: u64,
    ) -> CycleReport {
        let steps = s.steps.max(1) as f64;
        let mean = s.cycles.total() / steps;
        let mhz = |c: f64| c / self.dt_s / 1e6;
        let on_die = || self.sram.iter().filter(|b| !b.external);
        let sram_used: u64 = on_die().map(|b| b.used_bytes).sum();
        let sram_cap: u64 = on_die().map(|b| b.capacity_bytes).sum();
        let external_bytes: u64 = self
            .sram
            .iter()
            .filter(|b| b.external)
            .map(|b| b.used_bytes)
            .sum();
        CycleReport {
            arch: self.arch.name.clone(),
            description: self.arch.description.clone(),
            fits: true,
            steps: s.steps,
            cycles_per_step: mean,
            cycles_per_step_by_stage: s.cycles.per(steps),
            max_cycles_per_step: s.max_step_cycles,
            realtime_clock_mhz: mhz(mean),
            realtime_clock_mhz_worst: mhz(s.max_step_cycles),
            nominal_clock_mhz: self.arch.chip.clock_mhz,
            realtime_at_nominal: mhz(s.max_step_cycles) <= self.arch.chip.clock_mhz,
            stall_cycles_per_step: s.stalls / steps,
            queue_peak: s.queue_peak,
            sram: self.sram.to_vec(),
            sram_used_bytes: sram_used,
            sram_capacity_bytes: sram_cap,
            external_bytes,
            external_words_per_step: s.external_words / steps,
            synaptic_operations: SynOps {
                effective_acs: s.effective_sops as f64 / steps,
                dense: s.dense_sops as f64 / steps,
                release_failures: s.release_failures as f64 / steps,
            },
            membrane_updates: s.membrane_updates as f64 / steps,
            activation_sparsity: 1.0 - s.readout_events as f64 / (steps * neurons.max(1) as f64),
            connection_sparsity: 1.0 - connected as f64 / dense.max(1) as f64,
            energy_per_step_pj: s.energy.total() / steps,
            energy_split_per_step_pj: EnergySplit {
                synapses: s.energy.synapses / steps,
                neurons: s.energy.neurons / steps,
                readouts: s.energy.readouts / steps,
                learning: s.energy.learning / steps,
                static_: s.energy.static_ / steps,
            },
            energy_per_inference_nj: (s.infer_samples > 0)
                .then(|| s.infer_energy_pj / s.infer_samples as f64 / 1e3),
            energy_per_training_sample_nj: (s.train_samples > 0)
                .then(|| s.train_energy_pj / s.train_samples as f64 / 1e3),
            power_realtime_uw: s.energy.total() / steps / self.dt_s * 1e-6,
            learn_steps: s.learn_steps,
        }
    }
}

/// NeuroBench's synaptic operations, per step.
#[derive(Clone, Debug, Serialize)]
pub struct SynOps {
    /// `Effective_ACs`: events times connected targets (spiking networks accumulate),
    /// less the synapses whose release failed.
    #[serde(rename = "Effective_ACs")]
    pub effective_acs: f64,
    /// `Dense`: every synapse, every step.
    #[serde(rename = "Dense")]
    pub dense: f64,
    /// Synaptic events whose release comparator said no (not in `Effective_ACs`;
    /// zero without stochastic release).
    pub release_failures: f64,
}

/// What `neurochip run --arch` reports (also in the JSON).
#[derive(Clone, Debug, Serialize)]
pub struct CycleReport {
    /// Architecture.
    pub arch: String,
    /// Its description.
    pub description: String,
    /// Whether the network fits (reports exist only for networks that fit).
    pub fits: bool,
    /// Steps simulated.
    pub steps: u64,
    /// Mean cycles per step.
    pub cycles_per_step: f64,
    /// Mean cycles per step in each stage.
    pub cycles_per_step_by_stage: Stages,
    /// Cycles of the busiest step.
    pub max_cycles_per_step: f64,
    /// Clock for real time at the configured `dt`, mean step, MHz.
    pub realtime_clock_mhz: f64,
    /// Clock for real time at the busiest step, MHz.
    pub realtime_clock_mhz_worst: f64,
    /// The architecture's nominal clock, MHz.
    pub nominal_clock_mhz: f64,
    /// Whether the nominal clock keeps up with the busiest step.
    pub realtime_at_nominal: bool,
    /// Router stall cycles per step.
    pub stall_cycles_per_step: f64,
    /// Most events waiting in a queue.
    pub queue_peak: u32,
    /// SRAM use per bank.
    pub sram: Vec<BankUse>,
    /// SRAM used, bytes.
    pub sram_used_bytes: u64,
    /// SRAM capacity, bytes.
    pub sram_capacity_bytes: u64,
    /// Bytes held in external banks, beside the chip (0: everything is on the die).
    pub external_bytes: u64,
    /// Words moved to or from external banks per step.
    pub external_words_per_step: f64,
    /// NeuroBench `SynapticOperations`, per step.
    pub synaptic_operations: SynOps,
    /// NeuroBench `MembraneUpdates`, per step.
    pub membrane_updates: f64,
    /// NeuroBench `ActivationSparsity` of the recurrent neurons.
    pub activation_sparsity: f64,
    /// NeuroBench `ConnectionSparsity`.
    pub connection_sparsity: f64,
    /// Energy per step, pJ.
    pub energy_per_step_pj: f64,
    /// Energy per step by part, pJ.
    pub energy_split_per_step_pj: EnergySplit,
    /// Energy per inference (a sample without learning), nJ.
    pub energy_per_inference_nj: Option<f64>,
    /// Energy per training sample, nJ.
    pub energy_per_training_sample_nj: Option<f64>,
    /// Mean power when running in real time, µW.
    pub power_realtime_uw: f64,
    /// Steps with a learning update.
    pub learn_steps: u64,
}
