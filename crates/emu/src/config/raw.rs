//! The file as written: every key optional, unknown keys refused. Defaults and range
//! checks are applied afterwards (`check.rs`), so their errors are ours.

use serde::Deserialize;

use super::{
    Apply, Encoding, Engine, Environment, Feedback, NeuronModel, Rounding, SpreadDist, TaskKind,
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFile {
    pub name: Option<String>,
    pub seed: Option<u64>,
    pub chip: Option<RawChip>,
    pub formats: Option<RawFormats>,
    pub network: Option<RawNetwork>,
    pub task: Option<RawTask>,
    pub learning: Option<RawLearning>,
    pub train: Option<RawTrain>,
    pub reward: Option<RawReward>,
    pub solver: Option<RawSolver>,
    pub assembly: Option<RawAssembly>,
    pub audio: Option<super::audio::RawAudio>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawChip {
    pub max_inputs: Option<u32>,
    pub max_neurons: Option<u32>,
    pub max_outputs: Option<u32>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFormats {
    pub membrane_bits: Option<u32>,
    pub membrane_frac: Option<u32>,
    pub weight_bits: Option<u32>,
    pub trace_bits: Option<u32>,
    pub trace_frac: Option<u32>,
    pub readout_bits: Option<u32>,
    pub readout_frac: Option<u32>,
    pub rounding: Option<Rounding>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawNetwork {
    pub inputs: Option<u32>,
    pub neurons: Option<u32>,
    pub outputs: Option<u32>,
    pub model: Option<NeuronModel>,
    pub alif_fraction: Option<f64>,
    pub dt_ms: Option<f64>,
    pub tau_m_ms: Option<f64>,
    pub tau_a_ms: Option<f64>,
    pub tau_out_ms: Option<f64>,
    pub threshold: Option<f64>,
    pub beta: Option<f64>,
    pub refractory_steps: Option<u32>,
    pub connectivity: Option<f64>,
    pub input_connectivity: Option<f64>,
    pub excitatory_fraction: Option<f64>,
    pub w_in_scale: Option<f64>,
    pub w_rec_scale: Option<f64>,
    pub w_out_scale: Option<f64>,
    pub tau_m_spread: Option<f64>,
    pub tau_out_spread: Option<f64>,
    pub threshold_spread: Option<f64>,
    pub spread_dist: Option<SpreadDist>,
    pub release_in: Option<f64>,
    pub release_rec: Option<f64>,
    pub weights: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTask {
    pub kind: Option<TaskKind>,
    pub samples: Option<u32>,
    pub steps: Option<u32>,
    pub rate_hz: Option<f64>,
    pub n_cues: Option<u32>,
    pub cue_ms: Option<u32>,
    pub gap_ms: Option<u32>,
    pub delay_ms: Option<u32>,
    pub recall_ms: Option<u32>,
    pub cue_rate_hz: Option<f64>,
    pub bg_rate_hz: Option<f64>,
    pub pattern_rate_hz: Option<f64>,
    pub pattern_ms: Option<u32>,
    pub max_rate_hz: Option<f64>,
    pub window: Option<u32>,
    pub data: Option<String>,
    pub arena: Option<u32>,
    pub place_rate_hz: Option<f64>,
    pub place_sigma: Option<f64>,
    pub action_steps: Option<u32>,
    pub max_moves: Option<u32>,
    // kind = "audio" (`audio.rs`).
    pub folder: Option<String>,
    pub keywords: Option<Vec<String>>,
    pub silence_percent: Option<f64>,
    pub unknown_percent: Option<f64>,
    pub train_clips: Option<u32>,
    pub test_clips: Option<u32>,
    pub test_split: Option<super::audio::TestSplit>,
    pub window_ms: Option<u32>,
    pub image_input: Option<super::audio::ImageInput>,
    pub image_clips: Option<u32>,
    pub encoding: Option<Encoding>,
    pub test_fraction: Option<f64>,
    pub split_seed: Option<u64>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLearning {
    pub engine: Option<Engine>,
    pub apply: Option<Apply>,
    pub batch: Option<u32>,
    pub eta: Option<f64>,
    pub eta_in: Option<f64>,
    pub eta_rec: Option<f64>,
    pub eta_out: Option<f64>,
    pub eta_bias: Option<f64>,
    pub elig_bits: Option<u32>,
    pub elig_frac: Option<u32>,
    pub psi_levels: Option<u32>,
    pub gamma: Option<f64>,
    pub feedback: Option<Feedback>,
    pub reg_strength: Option<f64>,
    pub reg_rate_hz: Option<f64>,
    pub learn_readout: Option<bool>,
    pub learn_hidden: Option<bool>,
    pub lr_spread: Option<u32>,
    pub rewire_fraction: Option<f64>,
    pub rewire_noise: Option<f64>,
    pub tau_classes: Option<u32>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTrain {
    pub epochs: Option<u32>,
    pub train_samples: Option<u32>,
    pub test_samples: Option<u32>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawReward {
    pub environment: Option<Environment>,
    pub actions: Option<u32>,
    pub gamma: Option<f64>,
    pub value_weight: Option<f64>,
}

/// `[solver]`: integers wider than the checked types, so an out-of-range value gets
/// our message (with the allowed range) rather than serde's.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSolver {
    pub problem: Option<String>,
    pub seed: Option<u64>,
    pub steps: Option<u64>,
    pub colors: Option<u64>,
    pub inhibition: Option<u64>,
    pub refractory: Option<u64>,
    pub quiet_potential: Option<i64>,
    pub floor: Option<i64>,
    pub clue_bias: Option<u64>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAssembly {
    pub neurons: Option<u64>,
    pub cap: Option<u64>,
    pub steps: Option<u64>,
    pub seed: Option<u64>,
    pub stimulus_seed: Option<u64>,
}
