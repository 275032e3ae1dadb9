//! The allowed range of every integer field of a chip configuration, in one table: the
//! core's builder ([`crate::ConfigBuilder::build`]) checks against it, the host's
//! TOML schema (`neurochip_emu::config`) takes its rules from it, and
//! `docs/fixed-point.md` is checked against it by a test. Keys are the TOML paths.
//!
//! The plan's counts (`[train]`, `task.samples`, `task.steps`, `learning.batch`) are
//! here too: the schema reads them, and the semantic check of an image
//! ([`crate::semantic`], `neurochip_tasks::app::AppSpec::check`) holds the plan an
//! image carries to the same limits. [`EPOCHS_DONE`] bounds the epoch counter of a
//! snapshot, which no configuration sets.

use crate::config::HARD_MAX_UNITS;

/// A whole-number field: its TOML key and its inclusive bounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Range {
    /// The key, as a configuration file writes it.
    pub key: &'static str,
    /// Smallest allowed value.
    pub lo: i64,
    /// Largest allowed value.
    pub hi: i64,
}

impl Range {
    /// Whether `v` is allowed.
    pub const fn admits(&self, v: i64) -> bool {
        v >= self.lo && v <= self.hi
    }
}

const fn r(key: &'static str, lo: i64, hi: i64) -> Range {
    Range { key, lo, hi }
}

const HARD: i64 = HARD_MAX_UNITS as i64;

/// `[chip] max_inputs`.
pub const MAX_INPUTS: Range = r("chip.max_inputs", 1, HARD);
/// `[chip] max_neurons`.
pub const MAX_NEURONS: Range = r("chip.max_neurons", 1, HARD);
/// `[chip] max_outputs`.
pub const MAX_OUTPUTS: Range = r("chip.max_outputs", 1, HARD);
/// `[network] inputs` (and at most `chip.max_inputs`).
pub const INPUTS: Range = r("network.inputs", 1, HARD);
/// `[network] neurons` (and at most `chip.max_neurons`).
pub const NEURONS: Range = r("network.neurons", 1, HARD);
/// `[network] outputs` (and at most `chip.max_outputs`).
pub const OUTPUTS: Range = r("network.outputs", 1, HARD);
/// Membrane width, signed.
pub const MEMBRANE_BITS: Range = r("formats.membrane_bits", 8, 24);
/// Weight width, signed.
pub const WEIGHT_BITS: Range = r("formats.weight_bits", 2, 16);
/// Presynaptic trace width, unsigned.
pub const TRACE_BITS: Range = r("formats.trace_bits", 6, 16);
/// Readout width, signed.
pub const READOUT_BITS: Range = r("formats.readout_bits", 8, 31);
/// Refractory period, steps.
pub const REFRACTORY: Range = r("network.refractory_steps", 0, 255);
/// Eligibility width, signed.
pub const ELIG_BITS: Range = r("learning.elig_bits", 8, 31);
/// Levels of the light engine's pseudo-derivative.
pub const PSI_LEVELS: Range = r("learning.psi_levels", 2, 16);
/// Spread of the per-synapse learning-rate shifts.
pub const LR_SPREAD: Range = r("learning.lr_spread", 0, 16);
/// A learning-rate shift (`shift_in`, `shift_rec`, `shift_out`, `shift_bias`,
/// `reg_shift`), set by the quantiser from the learning rates.
pub const LEARN_SHIFT: Range = r("learning.shift_*", 0, 62);
/// A synaptic weight shift (`input`, `recurrent`, `output`), set by the quantiser.
pub const WEIGHT_SHIFT: Range = r("shifts.*", -24, 24);

/// `[train] epochs`: epochs of one run (a resumed run counts its own).
pub const EPOCHS: Range = r("train.epochs", 0, 100_000);
/// `[train] halve_rates_every`: epochs between halvings of every learning rate (0:
/// the rates stay).
pub const HALVE_EVERY: Range = r("train.halve_rates_every", 0, 100_000);
/// `[train] train_samples`: training samples per epoch.
pub const TRAIN_SAMPLES: Range = r("train.train_samples", 1, 100_000_000);
/// `[train] test_samples`: test samples after each epoch (0: no test).
pub const TEST_SAMPLES: Range = r("train.test_samples", 0, 100_000_000);
/// `[task] samples`: inference samples of a run that does not learn. An image's
/// plan may hold 0 here when it trains, tests or runs reward episodes instead.
pub const SAMPLES: Range = r("task.samples", 1, 1_000_000);
/// `[task] steps`: steps of a Poisson sample, and a digit's presentation.
pub const TASK_STEPS: Range = r("task.steps", 1, 10_000_000);
/// `[learning] batch`: training samples per weight update (per-sample mode).
pub const BATCH: Range = r("learning.batch", 1, 1_000_000);

/// `learning.tau_classes`: decay classes of each kind the learning circuits hold
/// (`crate::classes`).
pub const TAU_CLASSES: Range = r("learning.tau_classes", 1, 8);

/// Every range above.
pub const ALL: &[Range] = &[
    MAX_INPUTS,
    MAX_NEURONS,
    MAX_OUTPUTS,
    INPUTS,
    NEURONS,
    OUTPUTS,
    MEMBRANE_BITS,
    WEIGHT_BITS,
    TRACE_BITS,
    READOUT_BITS,
    REFRACTORY,
    ELIG_BITS,
    PSI_LEVELS,
    LR_SPREAD,
    LEARN_SHIFT,
    WEIGHT_SHIFT,
    EPOCHS,
    HALVE_EVERY,
    TRAIN_SAMPLES,
    TEST_SAMPLES,
    SAMPLES,
    TASK_STEPS,
    BATCH,
    TAU_CLASSES,
];

/// The epoch counter of a snapshot (the epochs done that `--resume` continues from):
/// at most `u32::MAX - EPOCHS.hi`, so a resumed run of up to [`EPOCHS`]`.hi` more
/// epochs cannot wrap it. Not a configuration key, so not in [`ALL`].
pub const EPOCHS_DONE: Range = r(
    "snapshot.epochs_done",
    0,
    (u32::MAX as i64).wrapping_sub(EPOCHS.hi),
);
