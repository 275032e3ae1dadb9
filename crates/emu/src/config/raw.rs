//! The file as written: every key optional, unknown keys refused. Defaults and range
//! checks are applied afterwards (`check.rs`), so their errors are ours.

use super::{
    Apply, Encoding, Engine, Environment, Feedback, NeuronModel, Rounding, SpreadDist, TaskKind,
};

/// A section as written: a struct with one `Option` per key (`key: Type` declares
/// `pub key: Option<Type>`) that refuses unknown keys. Attributes before the name
/// (docs, `#[derive(Default)]`) go to the struct.
macro_rules! raw_section {
    ($(#[$meta:meta])* $name:ident { $($key:ident: $ty:ty,)* }) => {
        $(#[$meta])*
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        pub(super) struct $name {
            $(pub $key: Option<$ty>,)*
        }
    };
}
pub(super) use raw_section;

raw_section! {
    RawFile {
        name: String,
        seed: u64,
        chip: RawChip,
        formats: RawFormats,
        network: RawNetwork,
        task: RawTask,
        learning: RawLearning,
        train: RawTrain,
        reward: RawReward,
        solver: RawSolver,
        assembly: RawAssembly,
        audio: super::audio::RawAudio,
    }
}

raw_section! {
    #[derive(Default)]
    RawChip {
        max_inputs: u32,
        max_neurons: u32,
        max_outputs: u32,
    }
}

raw_section! {
    #[derive(Default)]
    RawFormats {
        membrane_bits: u32,
        membrane_frac: u32,
        weight_bits: u32,
        trace_bits: u32,
        trace_frac: u32,
        readout_bits: u32,
        readout_frac: u32,
        rounding: Rounding,
    }
}

raw_section! {
    RawNetwork {
        inputs: u32,
        neurons: u32,
        outputs: u32,
        model: NeuronModel,
        alif_fraction: f64,
        dt_ms: f64,
        tau_m_ms: f64,
        tau_a_ms: f64,
        tau_out_ms: f64,
        threshold: f64,
        beta: f64,
        refractory_steps: u32,
        connectivity: f64,
        input_connectivity: f64,
        excitatory_fraction: f64,
        w_in_scale: f64,
        w_rec_scale: f64,
        w_out_scale: f64,
        tau_m_spread: f64,
        tau_out_spread: f64,
        threshold_spread: f64,
        spread_dist: SpreadDist,
        release_in: f64,
        release_rec: f64,
        weights: String,
    }
}

raw_section! {
    RawTask {
        kind: TaskKind,
        samples: u32,
        steps: u32,
        rate_hz: f64,
        n_cues: u32,
        cue_ms: u32,
        gap_ms: u32,
        delay_ms: u32,
        recall_ms: u32,
        cue_rate_hz: f64,
        bg_rate_hz: f64,
        pattern_rate_hz: f64,
        pattern_ms: u32,
        max_rate_hz: f64,
        window: u32,
        data: String,
        arena: u32,
        place_rate_hz: f64,
        place_sigma: f64,
        action_steps: u32,
        max_moves: u32,
        periods: u32,
        period_ms: u32,
        min_delay: u32,
        max_delay: u32,
        distractors: bool,
        // kind = "audio" (`audio.rs`).
        folder: String,
        keywords: Vec<String>,
        silence_percent: f64,
        unknown_percent: f64,
        train_clips: u32,
        test_clips: u32,
        test_split: super::audio::TestSplit,
        window_ms: u32,
        image_input: super::audio::ImageInput,
        image_clips: u32,
        encoding: Encoding,
        test_fraction: f64,
        split_seed: u64,
    }
}

raw_section! {
    #[derive(Default)]
    RawLearning {
        engine: Engine,
        apply: Apply,
        batch: u32,
        eta: f64,
        eta_in: f64,
        eta_rec: f64,
        eta_out: f64,
        eta_bias: f64,
        elig_bits: u32,
        elig_frac: u32,
        psi_levels: u32,
        gamma: f64,
        feedback: Feedback,
        reg_strength: f64,
        reg_rate_hz: f64,
        learn_readout: bool,
        learn_hidden: bool,
        lr_spread: u32,
        rewire_fraction: f64,
        rewire_noise: f64,
        tau_classes: u32,
        exact: RawRates,
        light: RawRates,
    }
}

raw_section! {
    /// `[learning.exact]`, `[learning.light]`: one engine's rates and schedule.
    RawRates {
        eta: f64,
        eta_in: f64,
        eta_rec: f64,
        eta_out: f64,
        eta_bias: f64,
        halve_rates_every: u32,
    }
}

raw_section! {
    #[derive(Default)]
    RawTrain {
        epochs: u32,
        train_samples: u32,
        test_samples: u32,
        halve_rates_every: u32,
    }
}

raw_section! {
    #[derive(Default)]
    RawReward {
        environment: Environment,
        actions: u32,
        gamma: f64,
        value_weight: f64,
    }
}

raw_section! {
    /// `[solver]`: integers wider than the checked types, so an out-of-range value gets
    /// our message (with the allowed range) rather than serde's.
    #[derive(Default)]
    RawSolver {
        problem: String,
        seed: u64,
        steps: u64,
        colors: u64,
        inhibition: u64,
        refractory: u64,
        quiet_potential: i64,
        floor: i64,
        clue_bias: u64,
    }
}

raw_section! {
    #[derive(Default)]
    RawAssembly {
        neurons: u64,
        cap: u64,
        steps: u64,
        seed: u64,
        stimulus_seed: u64,
    }
}
