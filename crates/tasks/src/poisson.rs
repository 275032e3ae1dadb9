//! Independent Poisson input channels, discretised as one Bernoulli draw per
//! channel and step.
//!
//! Channel `c` spikes at step `t` of sample `s` with probability
//! `p = rate_hz * dt_ms / 1000`, converted once per call to a `u32` fraction
//! of 2^32 ([`rng::rate_q32`]); the draw is `rng::bernoulli(seed, s, t, c, p)`.
//! The expected rate is therefore `rate_hz` up to the truncation of `p` to 32
//! bits (below 2^-32 per step).

use crate::error::{float_in, float_pos};
use crate::rng::{self, StepHasher};
use crate::{fill, Spikes, TaskError};

/// `n` independent Poisson channels at `rate_hz`, stepped every `dt_ms`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PoissonInput {
    /// Number of channels.
    pub n: usize,
    /// Firing rate of every channel, in Hz.
    pub rate_hz: f32,
    /// Time step, in ms.
    pub dt_ms: f32,
    /// Seed of the spike stream.
    pub seed: u64,
}

impl Default for PoissonInput {
    /// 100 channels at 10 Hz, 1 ms steps, seed 0.
    fn default() -> Self {
        PoissonInput {
            n: 100,
            rate_hz: 10.0,
            dt_ms: 1.0,
            seed: 0,
        }
    }
}

impl PoissonInput {
    /// Checks `dt_ms` in `(0, 1000]` and `0 <= rate_hz * dt_ms / 1000 <= 1`.
    pub fn check(&self) -> Result<(), TaskError> {
        check_dt("PoissonInput.dt_ms", self.dt_ms)?;
        check_rate("PoissonInput.rate_hz", self.rate_hz, self.dt_ms)
    }

    /// Number of channels written by [`PoissonInput::spikes`].
    pub fn n_inputs(&self) -> usize {
        self.n
    }

    /// Per-step spike probability as a fraction of 2^32.
    pub fn p_q32(&self) -> u32 {
        rng::rate_q32(self.rate_hz, self.dt_ms)
    }

    /// Writes the spikes of step `t` of sample `sample` into `out`.
    pub fn spikes(&self, sample: u64, t: u32, out: &mut Spikes) {
        let p = self.p_q32();
        let h = StepHasher::new(self.seed, sample, u64::from(t));
        // `fill` asks for the channels in order, once each. (A draw of rate 0 is
        // false: `(w >> 32) < 0` never holds.)
        let mut draws = h.bernoullis(0, p);
        fill(out, self.n, |_| draws.next().unwrap_or(false));
    }
}

/// Checks a time step: finite, in `(0, 1000]` ms.
pub(crate) fn check_dt(field: &'static str, dt_ms: f32) -> Result<(), TaskError> {
    float_pos(field, dt_ms, 1000.0, "finite, 0 < dt_ms <= 1000")
}

/// Checks a rate: finite, `>= 0`, and at most one spike per step on average.
pub(crate) fn check_rate(field: &'static str, rate_hz: f32, dt_ms: f32) -> Result<(), TaskError> {
    float_in(
        field,
        rate_hz,
        0.0,
        1000.0 / dt_ms,
        "finite, 0 <= rate_hz <= 1000 / dt_ms (at most one spike per step)",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitvec::prelude::*;

    #[test]
    fn default_rate_matches() {
        let p = PoissonInput::default();
        let mut out = bitvec![u32, Lsb0; 0; 100];
        let steps = 5_000u32;
        let mut total = 0usize;
        for t in 0..steps {
            p.spikes(0, t, &mut out);
            total += out.count_ones();
        }
        let expected = 100.0 * f64::from(steps) * 0.01;
        let sd = (expected * 0.99).sqrt();
        assert!((total as f64 - expected).abs() < 5.0 * sd, "{total}");
    }

    #[test]
    fn buffer_convention() {
        let p = PoissonInput {
            n: 10,
            rate_hz: 1000.0,
            ..PoissonInput::default()
        };
        let mut long = bitvec![u32, Lsb0; 1; 40];
        p.spikes(0, 0, &mut long);
        assert_eq!(long.count_ones(), 10);
        assert!(long[10..].not_any());
        let mut short = bitvec![u32, Lsb0; 0; 3];
        p.spikes(0, 0, &mut short);
        assert!(short.all());
    }

    #[test]
    fn matches_counter_formula() {
        let p = PoissonInput {
            rate_hz: 200.0,
            seed: 9,
            ..PoissonInput::default()
        };
        let mut out = bitvec![u32, Lsb0; 0; 100];
        p.spikes(3, 17, &mut out);
        for (c, bit) in out.iter().enumerate() {
            assert_eq!(*bit, rng::bernoulli(9, 3, 17, c as u64, p.p_q32()));
        }
    }

    #[test]
    fn check_rejects() {
        let bad = PoissonInput {
            rate_hz: 2000.0,
            ..PoissonInput::default()
        };
        let e = bad.check().unwrap_err();
        assert!(e.to_string().contains("PoissonInput.rate_hz = 2000"), "{e}");
        let bad = PoissonInput {
            dt_ms: 0.0,
            ..PoissonInput::default()
        };
        assert!(bad.check().unwrap_err().to_string().contains("dt_ms"));
        let bad = PoissonInput {
            rate_hz: f32::NAN,
            ..PoissonInput::default()
        };
        assert!(bad.check().is_err());
    }
}
