//! Configuration of the on-chip learning circuits.
//!
//! Two engines are offered, and their costs are an output of the tool:
//!
//! * [`Engine::Exact`]: e-prop as in Bellec et al. 2020: presynaptic traces, and per
//!   synapse a filtered eligibility trace `ebar` (and for ALIF neurons an adaptation
//!   eligibility `eps_a`), a pseudo-derivative per neuron, weight updates
//!   `-eta * L_j * ebar_ji` with stochastic rounding.
//! * [`Engine::Light`]: ReckOn-style: presynaptic traces only, `psi` quantised to a
//!   few levels, and stochastic +-1 LSB weight steps with probability proportional to
//!   `|L_j * trace_i * psi_j|`; no per-synapse learning state.
//!
//! Learning rates are right shifts: a weight changes by `(L * e) >> shift` weight
//! LSBs, the shift being computed on the host from a float learning rate and the
//! formats (`neurochip_emu::quant`).

use crate::format::Format;
#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};

/// Which learning engine the chip carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Engine {
    /// No learning circuits (inference only).
    #[default]
    Off,
    /// Exact e-prop with per-synapse eligibility traces.
    Exact,
    /// ReckOn-style light engine: per-presynaptic traces, stochastic +-1 LSB steps.
    Light,
}

/// When weight updates are applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Apply {
    /// Every step, as soon as they are computed.
    #[default]
    Online,
    /// Accumulated over a sample (per-synapse accumulators) and applied at its end.
    Sample,
    /// Input and recurrent weights every step, as [`Apply::Online`]; readout weights
    /// and biases accumulated over the sample and applied at its end, as
    /// [`Apply::Sample`] (accumulators for the `n x o` readout synapses only).
    Readout,
}

impl Apply {
    /// Whether the input and recurrent updates are held to the end of a sample.
    pub const fn hidden_per_sample(self) -> bool {
        matches!(self, Apply::Sample)
    }

    /// Whether the readout weight and bias updates are held to the end of a sample.
    pub const fn readout_per_sample(self) -> bool {
        matches!(self, Apply::Sample | Apply::Readout)
    }
}

/// Feedback weights `B` that broadcast the output error to the neurons.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Feedback {
    /// `B = W_out^T`, the live readout weights.
    #[default]
    Symmetric,
    /// A fixed random matrix held in its own memory.
    Random,
}

/// What the readout is trained to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Loss {
    /// Softmax cross-entropy over the readouts: error `pi_k - onehot_k`, with a
    /// fixed-point softmax (`crate::softmax`).
    #[default]
    Classification,
    /// Mean squared error: error `y_k - y*_k` in the readout format.
    Regression,
}

/// Learning-circuit configuration (part of [`crate::ChipConfig`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Learning {
    /// Engine.
    pub engine: Engine,
    /// Online or per-sample application.
    pub apply: Apply,
    /// Feedback weights.
    pub feedback: Feedback,
    /// Loss.
    pub loss: Loss,
    /// Decay of the presynaptic traces `zbar`, `xbar` (Q1.15 raw): the network's
    /// membrane decay `alpha` (exact for homogeneous `tau_m`).
    pub trace_decay: u16,
    /// Decay `kappa` of the filtered eligibility `ebar` and of the readout's
    /// presynaptic trace (Q1.15 raw): the readout decay.
    pub elig_decay: u16,
    /// Format of `e`, `ebar`, `eps_a` (signed, stored in `i32`).
    pub elig: Format,
    /// Right shift from `L * ebar` (raw) to input weight LSBs.
    pub shift_in: u8,
    /// Right shift from `L * ebar` to recurrent weight LSBs.
    pub shift_rec: u8,
    /// Right shift from `err * zbar_kappa` to readout weight LSBs.
    pub shift_out: u8,
    /// Right shift from `err` to readout bias LSBs.
    pub shift_bias: u8,
    /// Light engine: levels of the quantised pseudo-derivative (2..=16).
    pub psi_levels: u8,
    /// Rate regularisation: `L_j += (rbar_j - target) >> reg_shift` (0 = off).
    pub reg_shift: u8,
    /// Rate regularisation target, as the steady-state `rbar` (Q16.16 raw).
    pub reg_target: u32,
    /// Decay of the rate estimate `rbar` (Q1.15 raw).
    pub rate_decay: u16,
    /// Keep recurrent weights of excitatory neurons >= 0 and of inhibitory ones <= 0.
    pub dale: bool,
    /// Whether the readout weights and biases learn.
    pub learn_readout: bool,
    /// Whether the input and recurrent weights learn (false: reservoir mode).
    pub learn_hidden: bool,
    /// Per-synapse learning-rate spread `k` (0..=16): every weight's update shift is
    /// its layer's shift plus an offset in `0..=k` ([`rate_offset`], a hash of the chip
    /// seed, the layer and the synapse index), so synapse rates spread over
    /// `eta * 2^-k ..= eta` with no per-synapse memory. 0: one rate per layer.
    pub lr_spread: u8,
}

/// Layer codes of [`rate_offset`]: the hash's own ([`crate::hash::layer`]).
pub use crate::hash::layer;

/// The learning-rate shift offset of synapse `index` (row-major, as stored) of
/// `layer` ([`layer`]): uniform on `0..=spread`, from a 32-bit integer hash (murmur3's
/// finaliser) of the chip seed, the layer and the index. 0 when `spread` is 0. The
/// float reference applies the same per-synapse rates (`eta * 2^-offset`).
#[inline]
pub fn rate_offset(seed: u64, layer: u32, index: usize, spread: u8) -> u32 {
    if spread == 0 {
        return 0;
    }
    crate::hash::synapse(seed, layer, index, 0x85EB_CA6B)
        .checked_rem(u32::from(spread).saturating_add(1))
        .unwrap_or(0)
}

impl Learning {
    /// Learning off; every other field at its documented default.
    pub const DEFAULT: Self = Self {
        engine: Engine::Off,
        apply: Apply::Online,
        feedback: Feedback::Symmetric,
        loss: Loss::Classification,
        trace_decay: 31_170, // exp(-1/20) in Q1.15
        elig_decay: 31_170,
        elig: Format::raw(24, 12, true),
        shift_in: 16,
        shift_rec: 16,
        shift_out: 16,
        shift_bias: 16,
        psi_levels: 4,
        reg_shift: 0,
        reg_target: 0,
        rate_decay: 32_735,
        dale: false,
        learn_readout: true,
        learn_hidden: true,
        lr_spread: 0,
    };
}

impl Default for Learning {
    fn default() -> Self {
        Self::DEFAULT
    }
}
