//! Pattern generation, after Bellec et al. 2020 (e-prop), Fig. 2: a network
//! driven by frozen Poisson noise learns to output fixed smooth signals.
//!
//! # Protocol (defaults in parentheses)
//! - Input: `n_inputs` (default 100) Poisson channels at `rate_hz` (default 10). The input is
//!   *frozen*: every epoch replays sample index [`FROZEN_SAMPLE`], so step `t`
//!   always has the same spikes: `bernoulli(seed, 0, t, c, p)` (the
//!   [`PoissonInput`] stream with sample 0).
//! - Targets: `n_outputs` (default 3) signals of `steps` (default 1000) steps of `dt_ms` (default 1).
//!   Output `k` is, before normalisation,
//!   `raw_k(t) = sum_j A_kj * sin(2 pi * ((t * dt) mod P_j) / P_j + phi_kj)`
//!   with periods `P = 1000, 500, 333, 200` ms ([`PERIODS_MS`]), amplitudes
//!   `A_kj` uniform in `[0.5, 2]` and phases `phi_kj` uniform in `[0, 2 pi)`,
//!   all drawn from the seed (`unit_f32(seed, 0, META | tag, 4k + j)`).
//! - Normalisation: [`PatternConfig::build`] scans every step once and records
//!   the peak `M_k = max_t |raw_k(t)|`; the target is `raw_k(t) / M_k`. Its
//!   range over the sample is therefore within `[-1, 1]` and touches `+1` or
//!   `-1` at least once; the sign and shape are kept (no offset is removed).
//!   Correctly rounded division keeps `|raw / M| <= 1` exactly.
//! - Sines are `libm::sinf` with plain `f32` arithmetic, so the targets are
//!   the same bits on every target.

use crate::error::int_in;
use crate::poisson::{check_dt, check_rate};
use crate::rng::{self, META};
use crate::{PoissonInput, Spikes, TaskError};

/// Most outputs (the chip's readout limit).
pub const MAX_OUTPUTS: usize = 16;
/// Most steps accepted by [`PatternConfig::check`] (the build scans them all).
pub const MAX_STEPS: u32 = 1_000_000;
/// Most input channels accepted by [`PatternConfig::check`].
pub const MAX_INPUTS: usize = 4096;
/// Periods of the four sinusoids, ms.
pub const PERIODS_MS: [f32; 4] = [1000.0, 500.0, 333.0, 200.0];
/// The sample index of the frozen input.
pub const FROZEN_SAMPLE: u64 = 0;
const TAG_AMP: u64 = 1;
const TAG_PHASE: u64 = 2;

/// Configuration of the pattern-generation task. `Default` gives the paper's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PatternConfig {
    /// Number of frozen Poisson input channels, `1..=4096` (default 100).
    pub n_inputs: usize,
    /// Input rate, Hz (default 10).
    pub rate_hz: f32,
    /// Number of target signals, `1..=16` (default 3).
    pub n_outputs: usize,
    /// Length of the pattern in steps, `1..=1_000_000` (default 1000).
    pub steps: u32,
    /// Time step, ms, `(0, 1000]` (default 1).
    pub dt_ms: f32,
    /// Seed of inputs, amplitudes and phases (default 0).
    pub seed: u64,
}

impl Default for PatternConfig {
    fn default() -> Self {
        PatternConfig {
            n_inputs: 100,
            rate_hz: 10.0,
            n_outputs: 3,
            steps: 1000,
            dt_ms: 1.0,
            seed: 0,
        }
    }
}

impl PatternConfig {
    /// Validates every field; see the field docs for the allowed ranges.
    pub fn check(&self) -> Result<(), TaskError> {
        let n_in = self.n_inputs as u64;
        int_in(
            "PatternConfig.n_inputs",
            n_in,
            1,
            MAX_INPUTS as u64,
            "1..=4096",
        )?;
        let n_out = self.n_outputs as u64;
        int_in(
            "PatternConfig.n_outputs",
            n_out,
            1,
            MAX_OUTPUTS as u64,
            "1..=16",
        )?;
        let steps = self.steps.into();
        int_in(
            "PatternConfig.steps",
            steps,
            1,
            MAX_STEPS.into(),
            "1..=1000000",
        )?;
        check_dt("PatternConfig.dt_ms", self.dt_ms)?;
        check_rate("PatternConfig.rate_hz", self.rate_hz, self.dt_ms)
    }

    /// Checks the configuration, draws amplitudes and phases and measures the
    /// peak of each target (O(steps * n_outputs) `sinf` calls, done once).
    pub fn build(&self) -> Result<Pattern, TaskError> {
        self.check()?;
        let mut p = Pattern {
            cfg: *self,
            amp: [[0.0; 4]; MAX_OUTPUTS],
            phase: [[0.0; 4]; MAX_OUTPUTS],
            peak: [0.0; MAX_OUTPUTS],
        };
        let n_out = self.n_outputs.min(MAX_OUTPUTS);
        for (k, (amps, phases)) in p.amp.iter_mut().zip(&mut p.phase).enumerate().take(n_out) {
            for (j, (a, ph)) in amps.iter_mut().zip(phases.iter_mut()).enumerate() {
                let id = (4 * k + j) as u64;
                *a = 0.5 + 1.5 * rng::unit_f32(self.seed, FROZEN_SAMPLE, META | TAG_AMP, id);
                *ph = core::f32::consts::TAU
                    * rng::unit_f32(self.seed, FROZEN_SAMPLE, META | TAG_PHASE, id);
            }
        }
        for k in 0..n_out {
            let peak = (0..self.steps).fold(0.0f32, |m, t| {
                let r = libm::fabsf(p.raw(t, k));
                if r > m {
                    r
                } else {
                    m
                }
            });
            if let Some(slot) = p.peak.get_mut(k) {
                *slot = peak;
            }
        }
        Ok(p)
    }
}

/// A built pattern-generation task: frozen inputs and normalised targets.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pattern {
    cfg: PatternConfig,
    amp: [[f32; 4]; MAX_OUTPUTS],
    phase: [[f32; 4]; MAX_OUTPUTS],
    peak: [f32; MAX_OUTPUTS],
}

impl Pattern {
    /// The configuration this pattern was built from.
    pub fn config(&self) -> &PatternConfig {
        &self.cfg
    }

    /// Number of steps.
    pub fn steps(&self) -> u32 {
        self.cfg.steps
    }

    /// Number of input channels.
    pub fn n_inputs(&self) -> usize {
        self.cfg.n_inputs
    }

    /// Number of target signals.
    pub fn n_outputs(&self) -> usize {
        self.cfg.n_outputs
    }

    /// Amplitude and phase (radians) of sinusoid `j` of output `k`.
    pub fn component(&self, k: usize, j: usize) -> Option<(f32, f32)> {
        let a = *self.amp.get(k)?.get(j)?;
        let p = *self.phase.get(k)?.get(j)?;
        (k < self.cfg.n_outputs).then_some((a, p))
    }

    fn raw(&self, t: u32, k: usize) -> f32 {
        let (Some(amps), Some(phases)) = (self.amp.get(k), self.phase.get(k)) else {
            return 0.0;
        };
        let time_ms = t as f32 * self.cfg.dt_ms;
        let mut sum = 0.0f32;
        for ((a, ph), period) in amps.iter().zip(phases).zip(PERIODS_MS) {
            let x = libm::fmodf(time_ms, period) / period;
            sum += a * libm::sinf(core::f32::consts::TAU * x + ph);
        }
        sum
    }

    /// Target `k` at step `t`, in `[-1, 1]`; 0 for `t >= steps()` or
    /// `k >= n_outputs()`.
    pub fn target(&self, t: u32, k: usize) -> f32 {
        let peak = self.peak.get(k).copied().unwrap_or(0.0);
        if t >= self.cfg.steps || k >= self.cfg.n_outputs || peak.is_nan() || peak <= 0.0 {
            return 0.0;
        }
        self.raw(t, k) / peak
    }

    /// [`Pattern::target`] as a signed fixed-point number with `frac_bits`
    /// fractional bits (capped at 30), rounded to nearest, ties away from zero.
    pub fn target_q(&self, t: u32, k: usize, frac_bits: u32) -> i32 {
        let one = (1u32 << frac_bits.min(30)) as f32;
        libm::roundf(self.target(t, k) * one) as i32
    }

    /// The frozen input spikes of step `t` (all zero for `t >= steps()`).
    pub fn spikes(&self, t: u32, out: &mut Spikes) {
        let input = PoissonInput {
            n: if t < self.cfg.steps {
                self.cfg.n_inputs
            } else {
                0
            },
            rate_hz: self.cfg.rate_hz,
            dt_ms: self.cfg.dt_ms,
            seed: self.cfg.seed,
        };
        input.spikes(FROZEN_SAMPLE, t, out);
    }
}

crate::source::spike_source_by_inherent!(Pattern);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_normalised() {
        let p = PatternConfig::default().build().unwrap();
        for k in 0..3 {
            let mut peak = 0.0f32;
            for t in 0..1000 {
                let y = p.target(t, k);
                assert!((-1.0..=1.0).contains(&y));
                peak = peak.max(y.abs());
            }
            assert_eq!(peak, 1.0);
        }
        assert_eq!(p.target(1000, 0), 0.0);
        assert_eq!(p.target(0, 3), 0.0);
    }

    #[test]
    fn amplitudes_and_phases_in_range() {
        let p = PatternConfig::default().build().unwrap();
        for k in 0..3 {
            for j in 0..4 {
                let (a, ph) = p.component(k, j).unwrap();
                assert!((0.5..=2.0).contains(&a));
                assert!(
                    (0.0..core::f32::consts::TAU).contains(&ph) || ph == core::f32::consts::TAU
                );
            }
        }
        assert!(p.component(3, 0).is_none());
    }

    #[test]
    fn quantised_target() {
        let p = PatternConfig::default().build().unwrap();
        for t in (0..1000).step_by(37) {
            let y = p.target(t, 1);
            let q = p.target_q(t, 1, 12);
            assert!((q as f32 / 4096.0 - y).abs() <= 0.5 / 4096.0 + 1e-7);
            assert!(q.abs() <= 4096);
        }
        assert_eq!(p.target_q(0, 0, 99), p.target_q(0, 0, 30));
    }

    #[test]
    fn check_rejects() {
        let base = PatternConfig::default();
        for bad in [
            PatternConfig {
                n_outputs: 0,
                ..base
            },
            PatternConfig {
                n_outputs: 17,
                ..base
            },
            PatternConfig { steps: 0, ..base },
            PatternConfig {
                n_inputs: 0,
                ..base
            },
        ] {
            assert!(bad.build().is_err());
        }
        let e = PatternConfig {
            n_outputs: 17,
            ..base
        }
        .check()
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "PatternConfig.n_outputs = 17 is not allowed; allowed: 1..=16"
        );
    }
}
