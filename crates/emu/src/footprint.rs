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

/// The footprint of a chip configuration. Rewired layers
/// (`neurochip_core::rewire`) are counted in the compressed layout of
/// [`crate::cycle::Compressed`]: weight and postsynaptic index per active synapse, a
/// pointer per row, learning state per active synapse.
pub fn footprint(cfg: &ChipConfig) -> Footprint {
    let f = cfg.formats();
    let (ni, n, o) = (cfg.n_in(), cfg.n_rec(), cfg.n_out());
    let wb = f.weight.bits() as usize;
    let mb = f.membrane.bits() as usize;
    let c = crate::cycle::Compressed::of(cfg);
    // Hidden synapses stored (active ones of a rewired layer), and their weight bits.
    let (s_in, s_rec) = (
        c.b_in.map_or(ni * n, |b| b as usize),
        c.b_rec.map_or(n * n, |b| b as usize),
    );
    let w_bits = |b: Option<u64>, rows: usize, dense: usize| match b {
        Some(b) => c.bits(b, rows as u64, n as u64, wb as u64) as usize,
        None => dense * wb,
    };
    let syn = s_in + s_rec + n * o;
    let weights = bytes(w_bits(c.b_in, ni, ni * n) + w_bits(c.b_rec, n, n * n) + n * o * wb);
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
    // Traces: xbar, zbar (one bank per membrane-decay class C), zk (+ bias trace, one
    // bank per readout-decay class K); psi (16), psi gain (32), rate (32), learning
    // signal (32, one per readout class with the exact engine) per neuron; error (32)
    // per readout; a class index of ceil(log2 C) bits per neuron and ceil(log2 K) per
    // readout (`neurochip_core::classes`).
    let layout = cfg.layout();
    let (tc, kc) = (layout.trace_classes, layout.readout_classes);
    let signals = if l.engine == Engine::Exact { kc } else { 1 };
    let index_bits = |c: usize| (usize::BITS - (c - 1).leading_zeros()) as usize;
    let per_neuron = bytes(
        (tc * (ni + n) + kc * (n + 1)) * tb
            + n * (16 + 32 + 32 + 32 * signals)
            + o * 32
            + n * index_bits(tc)
            + o * index_bits(kc),
    );
    let hidden_syn = s_in + s_rec;
    let mut per_syn_bits = 0usize;
    if l.engine == Engine::Exact {
        // One filtered eligibility per readout-decay class.
        per_syn_bits += kc * hidden_syn * eb;
    }
    if cfg.alif() && l.engine != Engine::Off {
        // The ALIF eligibility eps, on either engine.
        per_syn_bits += hidden_syn * eb;
    }
    match l.apply {
        Apply::Online => {}
        Apply::Sample => per_syn_bits += syn * 32 + o * 32,
        Apply::Readout => per_syn_bits += (n * o + o) * 32,
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
