//! Bytes of chip memory per structure, counted at the configured widths (what an SRAM
//! would hold), not at the host's storage words.

use neurochip_core::learning::{Apply, Engine};
use neurochip_core::ChipConfig;
use serde::Serialize;

/// Bytes per memory structure.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Footprint {
    /// Synaptic weights (input, recurrent, readout), at `weight_bits`, plus
    /// connectivity bits for sparse matrices.
    pub weights: usize,
    /// Neuron state and parameters (membrane, threshold, decays, adaptation,
    /// refractory counter, readout state).
    pub neurons: usize,
    /// Learning state: presynaptic traces, pseudo-derivatives, learning signals and,
    /// for the exact engine, per-synapse eligibility (and adaptation eligibility for
    /// ALIF networks); update accumulators in per-sample mode; random feedback.
    pub learning: usize,
    /// Learning state that grows with synapses (per-synapse words).
    pub learning_per_synapse: usize,
}

fn bytes(bits: usize) -> usize {
    bits.div_ceil(8)
}

/// The footprint of a chip configuration.
pub fn footprint(cfg: &ChipConfig) -> Footprint {
    let f = cfg.formats();
    let (ni, n, o) = (cfg.n_in(), cfg.n_rec(), cfg.n_out());
    let syn = ni * n + n * n + n * o;
    let wb = f.weight.bits() as usize;
    let mb = f.membrane.bits() as usize;
    let weights = bytes(syn * wb);
    // v, thr, beta (membrane), alpha, rho (16), b (32), refractory (8) per neuron;
    // y, bias (readout), kappa (16) per readout.
    let rb = f.readout.bits() as usize;
    let neurons = bytes(n * (3 * mb + 2 * 16 + 32 + 8) + o * (2 * rb + 16));
    let l = cfg.learning();
    if l.engine == Engine::Off {
        return Footprint {
            weights,
            neurons,
            ..Footprint::default()
        };
    }
    let tb = f.trace.bits() as usize;
    let eb = l.elig.bits() as usize;
    // Traces: xbar, zbar, zk (+ bias trace); psi (16), psi gain (32), rate (32),
    // learning signal (32) per neuron; error (32) per readout.
    let per_neuron = bytes((ni + 2 * n + 1) * tb + n * (16 + 32 + 32 + 32) + o * 32);
    let hidden_syn = ni * n + n * n;
    let mut per_syn_bits = 0usize;
    if l.engine == Engine::Exact {
        per_syn_bits += hidden_syn * eb;
        if cfg.alif() {
            per_syn_bits += hidden_syn * eb;
        }
    }
    if l.apply == Apply::Sample {
        per_syn_bits += syn * 32 + o * 32;
    }
    let fb = if l.feedback == neurochip_core::learning::Feedback::Random {
        bytes(n * o * wb)
    } else {
        0
    };
    let per_syn = bytes(per_syn_bits);
    Footprint {
        weights,
        neurons,
        learning: per_neuron + per_syn + fb,
        learning_per_synapse: per_syn,
    }
}
