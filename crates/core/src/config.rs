//! The checked chip configuration.
//!
//! A [`ConfigBuilder`] collects sizes, formats and shifts; [`ConfigBuilder::build`]
//! checks every value once and returns a [`ChipConfig`] whose accessors cannot fail.
//! Everything that designers sweep (bit widths, shifts, rounding) is a value here,
//! not a compile-time constant.

use crate::classes::{self, Classes, MAX_CLASSES};
use crate::format::{Format, DECAY_FRAC};
use crate::learning::{Engine, Learning};
use crate::memory::Layout;
use crate::release::{Release, ALWAYS};
use crate::rewire::{Rewire, OFF};
use crate::round::Rounding;

/// Largest size any chip dimension may be configured to (the address width).
pub const HARD_MAX_UNITS: u16 = 4096;

/// Physical limits of the chip a network is mapped onto.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ChipLimits {
    /// Input channels the chip accepts.
    pub max_inputs: u16,
    /// Recurrent neurons the chip holds.
    pub max_neurons: u16,
    /// Readout neurons the chip holds.
    pub max_outputs: u16,
}

impl Default for ChipLimits {
    /// The ReckOn-class default chip: 256 inputs, 256 neurons, 16 readouts.
    fn default() -> Self {
        Self {
            max_inputs: 256,
            max_neurons: 256,
            max_outputs: 16,
        }
    }
}

/// Formats of the sweepable datapath quantities.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Formats {
    /// Membrane potential and everything added to it (threshold, scaled weights),
    /// signed, 8–24 bits, saturating.
    pub membrane: Format,
    /// Synaptic weights, signed, 2–16 bits, integer (the per-layer [`Shifts`] place
    /// them in the membrane or readout format), saturating.
    pub weight: Format,
    /// Presynaptic (eligibility) traces, unsigned, 6–16 bits, saturating.
    pub trace: Format,
    /// Readout neuron output, signed, 8–31 bits, saturating.
    pub readout: Format,
}

impl Formats {
    /// ReckOn-class defaults, the one source of them for the core's builder and the
    /// host's configuration files: 16-bit membrane with 10 fractional bits, 8-bit
    /// weights, 12-bit traces with 6 fractional bits, 16-bit readout with 8 fractional
    /// bits.
    pub const DEFAULT: Self = Self {
        membrane: Format::raw(16, 16 - Self::MEMBRANE_INT as u8, true),
        weight: Format::raw(8, 0, true),
        trace: Format::raw(12, 12 - Self::TRACE_INT as u8, false),
        readout: Format::raw(16, 16 - Self::READOUT_INT as u8, true),
    };
    /// Integer bits (sign included) of the default membrane format: a membrane width
    /// given without its fraction keeps them.
    pub const MEMBRANE_INT: u32 = 6;
    /// Integer bits of the default trace format (traces of slow decays reach tens of
    /// spikes): a trace width given without its fraction keeps them.
    pub const TRACE_INT: u32 = 6;
    /// Integer bits (sign included) of the default readout format.
    pub const READOUT_INT: u32 = 8;
}

impl Default for Formats {
    /// [`Formats::DEFAULT`].
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Per-layer weight shifts: a weight `w` (integer) adds `w * 2^shift` LSBs of the
/// target format (membrane for input and recurrent, readout for output). Negative
/// shifts divide the accumulated sum once, rounding to nearest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Shifts {
    /// Input to recurrent weights.
    pub input: i8,
    /// Recurrent weights.
    pub recurrent: i8,
    /// Recurrent to readout weights.
    pub output: i8,
}

/// A configuration value outside what the chip allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A number outside its allowed range.
    #[error("{field} = {value} is out of range (allowed {min}..={max})")]
    OutOfRange {
        /// The field, as written in a configuration file.
        field: &'static str,
        /// The value given.
        value: i64,
        /// Smallest allowed value.
        min: i64,
        /// Largest allowed value.
        max: i64,
    },
    /// The network needs more of a resource than the chip has.
    #[error("{field} = {needed} does not fit the chip (it holds at most {limit})")]
    TooLarge {
        /// What overflows (e.g. `network.neurons`).
        field: &'static str,
        /// What the network needs.
        needed: u32,
        /// What the chip offers.
        limit: u32,
    },
}

/// The validated configuration of one chip. Obtain it from [`ConfigBuilder::build`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ChipConfig {
    n_in: u16,
    n_rec: u16,
    n_out: u16,
    limits: ChipLimits,
    formats: Formats,
    shifts: Shifts,
    refractory: u8,
    leak_rounding: Rounding,
    seed: u64,
    alif: bool,
    learning: Learning,
    release: Release,
    rewire: Rewire,
    classes: Classes,
}

impl ChipConfig {
    /// Input channels.
    pub const fn n_in(&self) -> usize {
        self.n_in as usize
    }
    /// Recurrent neurons.
    pub const fn n_rec(&self) -> usize {
        self.n_rec as usize
    }
    /// Readout neurons.
    pub const fn n_out(&self) -> usize {
        self.n_out as usize
    }
    /// The chip's limits.
    pub const fn limits(&self) -> ChipLimits {
        self.limits
    }
    /// Datapath formats.
    pub const fn formats(&self) -> Formats {
        self.formats
    }
    /// Per-layer weight shifts.
    pub const fn shifts(&self) -> Shifts {
        self.shifts
    }
    /// Refractory period in steps: after a spike a neuron cannot spike for this many
    /// steps.
    pub const fn refractory(&self) -> u8 {
        self.refractory
    }
    /// Rounding of the membrane, adaptation and readout decays.
    pub const fn leak_rounding(&self) -> Rounding {
        self.leak_rounding
    }
    /// Seed of the chip PRNG.
    pub const fn seed(&self) -> u64 {
        self.seed
    }
    /// Whether the network has adaptive (ALIF) neurons: only then does the neuron
    /// pass read `beta`.
    pub const fn alif(&self) -> bool {
        self.alif
    }
    /// The learning circuits.
    pub const fn learning(&self) -> &Learning {
        &self.learning
    }
    /// Release probabilities of the synapse classes ([`crate::release`]).
    pub const fn release(&self) -> Release {
        self.release
    }
    /// Rewiring budgets ([`crate::rewire`]).
    pub const fn rewire(&self) -> Rewire {
        self.rewire
    }
    /// Decay classes of the learning circuits ([`crate::classes`]).
    pub const fn classes(&self) -> Classes {
        self.classes
    }
    /// The decay of each membrane-decay class (Q1.15 raw), class 0's being
    /// `learning.trace_decay`; entries past the class count are 0.
    pub fn trace_decays(&self) -> [u16; MAX_CLASSES] {
        let c = &self.classes;
        classes::decays(self.learning.trace_decay, &c.alpha, c.trace)
    }
    /// The decay of each readout-decay class (Q1.15 raw), class 0's being
    /// `learning.elig_decay`; entries past the class count are 0.
    pub fn readout_decays(&self) -> [u16; MAX_CLASSES] {
        let c = &self.classes;
        classes::decays(self.learning.elig_decay, &c.kappa, c.readout)
    }
    /// The eligibility horizon: how many steps before a learning step the learning
    /// circuits must run for that step to learn what it would with the whole sample
    /// behind it. The run loop (`neurochip_tasks::runner::run_sample`) clears the
    /// eligibility enable ([`crate::Chip::set_eligibility_enabled`]) of a training
    /// sample until this many steps before its first target (`docs/eprop.md`,
    /// "Eligibility horizon").
    ///
    /// - The light engine on LIF neurons: 0. A learning step reads only this step's
    ///   pseudo-derivatives and the traces, which update with the enable cleared.
    /// - The exact engine on LIF neurons: the steps after which the filtered
    ///   eligibility `ebar` has forgotten where it started. A difference `d` between
    ///   two `ebar` that then see the same `e` shrinks as `kappa^n d`, plus at most one
    ///   LSB of rounding a step; after `n` steps with `kappa^n 2^(bits - 1) < 1` (the
    ///   slowest readout-decay class, the eligibility format's largest value), what
    ///   is left is the rounding's own band, below `1 + 1 / (1 - kappa)` LSB.
    ///
    /// `None` where the bound does not hold or nothing learns before the window:
    /// adaptive neurons (their `eps` decays with `rho`, over seconds), a `kappa` of
    /// one, a horizon past [`MAX_HORIZON`] steps, reservoir mode, learning off.
    pub fn eligibility_horizon(&self) -> Option<u32> {
        let l = &self.learning;
        if self.alif || !l.learn_hidden {
            return None;
        }
        match l.engine {
            Engine::Off => None,
            Engine::Light => Some(0),
            Engine::Exact => {
                let kappa = self.readout_decays().into_iter().max().unwrap_or(0);
                horizon(kappa, l.elig.bits())
            }
        }
    }
    /// Sizes of every memory region this configuration needs.
    pub const fn layout(&self) -> Layout {
        Layout::new(self.n_in as usize, self.n_rec as usize, self.n_out as usize)
            .with_learning(
                self.learning.engine,
                self.learning.apply,
                self.learning.feedback,
                self.alif,
            )
            .with_classes(self.classes.trace as usize, self.classes.readout as usize)
    }
    /// Return a builder holding this configuration, to change a field and check again.
    pub const fn to_builder(&self) -> ConfigBuilder {
        ConfigBuilder { cfg: *self }
    }

    /// This configuration with every learning-rate shift (`shift_in`, `shift_rec`,
    /// `shift_out`, `shift_bias`) increased by `k`, at most to the top of
    /// [`crate::ranges::LEARN_SHIFT`]: the rates the chip learns with at rate step `k`
    /// ([`crate::Chip::set_rate_step`]).
    pub fn with_rate_step(&self, k: u8) -> Self {
        let top = crate::ranges::LEARN_SHIFT.hi.clamp(0, 255) as u8;
        let mut cfg = *self;
        let l = &mut cfg.learning;
        for s in [
            &mut l.shift_in,
            &mut l.shift_rec,
            &mut l.shift_out,
            &mut l.shift_bias,
        ] {
            *s = s.saturating_add(k).min(top);
        }
        cfg
    }
}

/// Collects a configuration; [`ConfigBuilder::build`] checks it.
#[derive(Clone, Copy, Debug)]
pub struct ConfigBuilder {
    cfg: ChipConfig,
}

/// Builder methods that each set one field of the configuration, `name: Type;` with
/// its doc: `fn name(self, value: Type) -> Self` sets `cfg.name`.
macro_rules! setters {
    ($($(#[$doc:meta])* $name:ident: $t:ty;)*) => {
        $(
            $(#[$doc])*
            pub fn $name(mut self, value: $t) -> Self {
                self.cfg.$name = value;
                self
            }
        )*
    };
}

impl ConfigBuilder {
    /// A configuration for `n_in` inputs, `n_rec` recurrent neurons and `n_out`
    /// readouts, with the default chip, formats, zero shifts, no refractoriness,
    /// nearest rounding and seed 1.
    pub fn new(n_in: usize, n_rec: usize, n_out: usize) -> Self {
        let clamp = |n: usize| u16::try_from(n).unwrap_or(u16::MAX);
        Self {
            cfg: ChipConfig {
                n_in: clamp(n_in),
                n_rec: clamp(n_rec),
                n_out: clamp(n_out),
                limits: ChipLimits::default(),
                formats: Formats::default(),
                shifts: Shifts::default(),
                refractory: 0,
                leak_rounding: Rounding::Nearest,
                seed: 1,
                alif: false,
                learning: Learning::DEFAULT,
                release: Release::ALWAYS,
                rewire: Rewire::OFF,
                classes: Classes::ONE,
            },
        }
    }

    setters! {
        /// Set the chip limits.
        limits: ChipLimits;
        /// Set the formats.
        formats: Formats;
        /// Set the per-layer shifts.
        shifts: Shifts;
        /// Set the refractory period in steps.
        refractory: u8;
        /// Set the rounding of decays.
        leak_rounding: Rounding;
        /// Declare adaptive (ALIF) neurons (allocates their eligibility memories).
        /// Without it every neuron is LIF: the neuron pass does not read `beta`, and
        /// the semantic check refuses a nonzero one.
        alif: bool;
        /// Set the learning circuits.
        learning: Learning;
        /// Set the release probabilities ([`crate::release`]).
        release: Release;
        /// Set the rewiring budgets ([`crate::rewire`]).
        rewire: Rewire;
        /// Set the decay classes of the learning circuits ([`crate::classes`]).
        classes: Classes;
        /// Set the PRNG seed.
        seed: u64;
    }

    /// Check every field and return the configuration.
    pub fn build(self) -> Result<ChipConfig, ConfigError> {
        let c = self.cfg;
        use crate::ranges::{self as r, Range};
        let check = |q: Range, field: &'static str, v: i64| range(field, v, q.lo, q.hi);
        check(r::MAX_INPUTS, r::MAX_INPUTS.key, c.limits.max_inputs.into())?;
        check(
            r::MAX_NEURONS,
            r::MAX_NEURONS.key,
            c.limits.max_neurons.into(),
        )?;
        check(
            r::MAX_OUTPUTS,
            r::MAX_OUTPUTS.key,
            c.limits.max_outputs.into(),
        )?;
        check(r::INPUTS, r::INPUTS.key, c.n_in.into())?;
        check(r::NEURONS, r::NEURONS.key, c.n_rec.into())?;
        check(r::OUTPUTS, r::OUTPUTS.key, c.n_out.into())?;
        fits("network.inputs", c.n_in, c.limits.max_inputs)?;
        fits("network.neurons", c.n_rec, c.limits.max_neurons)?;
        fits("network.outputs", c.n_out, c.limits.max_outputs)?;
        let f = c.formats;
        check_format(r::MEMBRANE_BITS, f.membrane, true)?;
        check_format(r::WEIGHT_BITS, f.weight, true)?;
        check_format(r::TRACE_BITS, f.trace, false)?;
        check_format(r::READOUT_BITS, f.readout, true)?;
        frac_leaves_two_bits("formats.membrane_frac", f.membrane)?;
        range(
            "formats.trace_frac",
            f.trace.frac().into(),
            0,
            f.trace.bits().into(),
        )?;
        frac_leaves_two_bits("formats.readout_frac", f.readout)?;
        range("formats.weight_frac", f.weight.frac().into(), 0, 0)?;
        let ws = r::WEIGHT_SHIFT;
        check(ws, "shifts.input", c.shifts.input.into())?;
        check(ws, "shifts.recurrent", c.shifts.recurrent.into())?;
        check(ws, "shifts.output", c.shifts.output.into())?;
        check(r::REFRACTORY, r::REFRACTORY.key, c.refractory.into())?;
        let l = &c.learning;
        check_format(r::ELIG_BITS, l.elig, true)?;
        frac_leaves_two_bits("learning.elig_frac", l.elig)?;
        let ls = r::LEARN_SHIFT;
        check(ls, "learning.shift_in", l.shift_in.into())?;
        check(ls, "learning.shift_rec", l.shift_rec.into())?;
        check(ls, "learning.shift_out", l.shift_out.into())?;
        check(ls, "learning.shift_bias", l.shift_bias.into())?;
        check(r::PSI_LEVELS, r::PSI_LEVELS.key, l.psi_levels.into())?;
        check(ls, "learning.reg_shift", l.reg_shift.into())?;
        check(r::LR_SPREAD, r::LR_SPREAD.key, l.lr_spread.into())?;
        // Decay factors are exp(-dt/tau) in [0, 1]: Q1.15 raw 0..=32768.
        let one = i64::from(crate::semantic::DECAY_ONE);
        range("learning.trace_decay", l.trace_decay.into(), 0, one)?;
        range("learning.elig_decay", l.elig_decay.into(), 0, one)?;
        range("learning.rate_decay", l.rate_decay.into(), 0, one)?;
        let k = &c.classes;
        let most = MAX_CLASSES as i64;
        range("learning.trace_classes", k.trace.into(), 1, most)?;
        range("learning.readout_classes", k.readout.into(), 1, most)?;
        // Every class decay in [0, 1]; the entries past the class count are 0, so a
        // chip has one encoding.
        for (i, &d) in k.alpha.iter().enumerate() {
            let hi = if i.saturating_add(1) < usize::from(k.trace) {
                one
            } else {
                0
            };
            range("learning.trace_class_decay", d.into(), 0, hi)?;
        }
        for (i, &d) in k.kappa.iter().enumerate() {
            let hi = if i.saturating_add(1) < usize::from(k.readout) {
                one
            } else {
                0
            };
            range("learning.readout_class_decay", d.into(), 0, hi)?;
        }
        let a = i64::from(ALWAYS);
        range("network.release_in", c.release.p_in.into(), 0, a)?;
        range("network.release_rec", c.release.p_rec.into(), 0, a)?;
        let (s_in, s_rec, _) = c.layout().synapses();
        let n = i64::from(c.n_rec);
        if c.rewire.budget_in != OFF {
            range(
                "learning.rewire_budget_in",
                c.rewire.budget_in.into(),
                0,
                s_in as i64,
            )?;
        }
        if c.rewire.budget_rec != OFF {
            let cap = (s_rec as i64).saturating_sub(n);
            range(
                "learning.rewire_budget_rec",
                c.rewire.budget_rec.into(),
                0,
                cap,
            )?;
        }
        Ok(c)
    }
}

/// The fractional bits of the signed format `f`: at most `bits - 2`, so that the sign
/// and at least one integer bit remain.
fn frac_leaves_two_bits(field: &'static str, f: Format) -> Result<(), ConfigError> {
    range(
        field,
        f.frac().into(),
        0,
        i64::from(f.bits()).saturating_sub(2),
    )
}

fn range(field: &'static str, value: i64, min: i64, max: i64) -> Result<(), ConfigError> {
    if value < min || value > max {
        Err(ConfigError::OutOfRange {
            field,
            value,
            min,
            max,
        })
    } else {
        Ok(())
    }
}

fn fits(field: &'static str, needed: u16, limit: u16) -> Result<(), ConfigError> {
    if needed > limit {
        Err(ConfigError::TooLarge {
            field,
            needed: needed.into(),
            limit: limit.into(),
        })
    } else {
        Ok(())
    }
}

fn check_format(q: crate::ranges::Range, f: Format, signed: bool) -> Result<(), ConfigError> {
    range(q.key, f.bits().into(), q.lo, q.hi)?;
    if f.is_signed() != signed {
        // Signedness is fixed per quantity; report it as a range error on the bits.
        return Err(ConfigError::OutOfRange {
            field: q.key,
            value: f.bits().into(),
            min: q.lo,
            max: q.hi,
        });
    }
    Ok(())
}

/// The longest eligibility horizon ([`ChipConfig::eligibility_horizon`]), in steps.
pub const MAX_HORIZON: u32 = 1 << 16;

/// Steps `n` until `kappa^n 2^(bits - 1)` (a Q1.15 decay, an eligibility of `bits`
/// signed bits at its largest) falls below one LSB, rounding every product up;
/// `None` past [`MAX_HORIZON`].
fn horizon(kappa: u16, bits: u32) -> Option<u32> {
    const FRAC: u32 = 32;
    let k = u64::from(kappa);
    if k >= 1 << DECAY_FRAC {
        return None;
    }
    // The value with 32 fractional bits: below 2^62 for bits <= 31. Every product
    // fits (below 2^62 and 2^30): the wrapping operations never wrap.
    let mut x = 1u64.wrapping_shl(bits.clamp(1, 31).wrapping_add(FRAC - 1));
    let mask = (1u64 << DECAY_FRAC) - 1;
    let mut n = 0u32;
    while x >= 1 << FRAC {
        if n >= MAX_HORIZON {
            return None;
        }
        let low = (x & mask).wrapping_mul(k).div_ceil(1 << DECAY_FRAC);
        x = (x >> DECAY_FRAC).wrapping_mul(k).wrapping_add(low);
        n = n.wrapping_add(1);
    }
    Some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_build() {
        let c = ConfigBuilder::new(40, 100, 2).build().unwrap();
        assert_eq!(c.n_rec(), 100);
        assert_eq!(c.formats().membrane.bits(), 16);
    }

    #[test]
    fn too_large_is_named() {
        let e = ConfigBuilder::new(40, 300, 2).build().unwrap_err();
        assert_eq!(
            e.to_string(),
            "network.neurons = 300 does not fit the chip (it holds at most 256)"
        );
    }

    #[test]
    fn widths_checked() {
        let f = Formats {
            weight: Format::signed(17, 0).unwrap(),
            ..Formats::default()
        };
        let e = ConfigBuilder::new(1, 1, 1).formats(f).build().unwrap_err();
        assert!(e.to_string().starts_with("formats.weight_bits = 17"));
    }
}
