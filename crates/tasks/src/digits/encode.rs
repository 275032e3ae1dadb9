//! Spike encoders for 8x8 digit images (no_std, no alloc).
//!
//! # Rate coding ([`RateEncoder`])
//! Channel `i` is pixel `i`. At step `t < steps` it fires with probability
//! `p_i = p_max * min(v_i, 16) / 16`, where `p_max = max_rate_hz * dt_ms / 1000`
//! as a `u32` fraction of 2^32 and the scaling is integer (`p_max * v / 16`,
//! truncated). Draw: `bernoulli(seed, sample, t, i, p_i)`. `sample` names the
//! presentation: pass the data-set index for the same spikes every epoch, or
//! `epoch * n + index` for fresh noise each epoch.
//!
//! # Latency coding ([`LatencyEncoder`])
//! Deterministic, one spike per channel at most. An intensity `v` (clamped to
//! `0..=16`) above `threshold` fires once, at step
//! `floor((16 - v) * (steps - 1) / (15 - threshold))` (0 when
//! `threshold == 15`): the brightest pixel (16) at step 0, the dimmest one
//! above threshold (`threshold + 1`) at step `steps - 1`; pixels at or below
//! the threshold never fire. With `on_off`, there are 128 channels: `0..64`
//! code each pixel's intensity `v` ("on"), `64..128` code its inverse
//! `16 - v` ("off") with the same rule, so dark background pixels fire early
//! on their off channel.

use crate::error::{at_least_one, int_in};
use crate::poisson::{check_dt, check_rate};
use crate::rng::{self, StepHasher};
use crate::{fill, Spikes, TaskError};

use super::{Image, MAX_PIXEL, N_PIXELS};

/// Poisson rate coding: brighter pixels fire more often.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateEncoder {
    /// Presentation length in steps, `>= 1` (default 100).
    pub steps: u32,
    /// Rate of a full-intensity pixel (16), Hz (default 200).
    pub max_rate_hz: f32,
    /// Time step, ms, `(0, 1000]` (default 1).
    pub dt_ms: f32,
    /// Seed of the spike stream (default 0).
    pub seed: u64,
}

impl Default for RateEncoder {
    fn default() -> Self {
        RateEncoder {
            steps: 100,
            max_rate_hz: 200.0,
            dt_ms: 1.0,
            seed: 0,
        }
    }
}

impl RateEncoder {
    /// Validates every field; see the field docs for the allowed ranges.
    pub fn check(&self) -> Result<(), TaskError> {
        at_least_one("RateEncoder.steps", self.steps.into(), ">= 1")?;
        check_dt("RateEncoder.dt_ms", self.dt_ms)?;
        check_rate("RateEncoder.max_rate_hz", self.max_rate_hz, self.dt_ms)
    }

    /// Number of input channels (64).
    pub fn n_inputs(&self) -> usize {
        N_PIXELS
    }

    /// Per-step probability of pixel value `v` as a fraction of 2^32.
    pub fn p_q32(&self, v: u8) -> u32 {
        let p_max = u64::from(rng::rate_q32(self.max_rate_hz, self.dt_ms));
        let v = u64::from(v.min(MAX_PIXEL));
        // p_max * v / 16 <= p_max < 2^32.
        u32::try_from(p_max * v / u64::from(MAX_PIXEL)).unwrap_or(u32::MAX)
    }

    /// Writes the spikes of step `t` of presentation `sample` of `image`.
    pub fn spikes(&self, image: &Image, sample: u64, t: u32, out: &mut Spikes) {
        let n = if t < self.steps { N_PIXELS } else { 0 };
        let h = StepHasher::new(self.seed, sample, u64::from(t));
        fill(out, n, |c| {
            let p = image.get(c).map_or(0, |&v| self.p_q32(v));
            p != 0 && h.bernoulli(c as u64, p)
        });
    }
}

/// Time-to-first-spike coding: brighter pixels fire earlier, once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LatencyEncoder {
    /// Presentation length in steps, `>= 1` (default 100).
    pub steps: u32,
    /// Intensities `<= threshold` do not fire, `0..=15` (default 0).
    pub threshold: u8,
    /// Two channels per pixel (on, then off at `64 + i`) (default false).
    pub on_off: bool,
}

impl Default for LatencyEncoder {
    fn default() -> Self {
        LatencyEncoder {
            steps: 100,
            threshold: 0,
            on_off: false,
        }
    }
}

impl LatencyEncoder {
    /// Validates every field; see the field docs for the allowed ranges.
    pub fn check(&self) -> Result<(), TaskError> {
        at_least_one("LatencyEncoder.steps", self.steps.into(), ">= 1")?;
        int_in(
            "LatencyEncoder.threshold",
            self.threshold.into(),
            0,
            15,
            "0..=15",
        )
    }

    /// Number of input channels: 64, or 128 with `on_off`.
    pub fn n_inputs(&self) -> usize {
        if self.on_off {
            2 * N_PIXELS
        } else {
            N_PIXELS
        }
    }

    /// The step at which intensity `v` fires, `None` if it never does.
    pub fn spike_time(&self, v: u8) -> Option<u32> {
        let v = v.min(MAX_PIXEL);
        if v <= self.threshold || self.steps == 0 {
            return None;
        }
        let late = u64::from(MAX_PIXEL - v) * u64::from(self.steps - 1);
        let span = u64::from(MAX_PIXEL - 1).saturating_sub(self.threshold.into());
        let t = late.checked_div(span).unwrap_or(0);
        Some(u32::try_from(t).unwrap_or(u32::MAX).min(self.steps - 1))
    }

    /// Writes the spikes of step `t` of `image` into `out`.
    pub fn spikes(&self, image: &Image, t: u32, out: &mut Spikes) {
        fill(out, self.n_inputs(), |c| {
            let intensity = match c.checked_sub(N_PIXELS) {
                None => image.get(c).copied(),
                Some(i) => image.get(i).map(|&v| MAX_PIXEL - v.min(MAX_PIXEL)),
            };
            intensity.and_then(|v| self.spike_time(v)) == Some(t)
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitvec::prelude::*;

    fn ramp() -> Image {
        core::array::from_fn(|i| (i % 17) as u8)
    }

    #[test]
    fn rate_scales_with_intensity() {
        let e = RateEncoder::default();
        e.check().unwrap();
        assert_eq!(e.p_q32(0), 0);
        assert_eq!(e.p_q32(16), rng::rate_q32(200.0, 1.0));
        assert_eq!(e.p_q32(200), e.p_q32(16));
        assert_eq!(e.p_q32(8), e.p_q32(16) / 2);
        let img = ramp();
        let mut out = bitvec![u32, Lsb0; 0; 64];
        let mut counts = [0u32; 64];
        for s in 0..20 {
            for t in 0..100 {
                e.spikes(&img, s, t, &mut out);
                for i in out.iter_ones() {
                    counts[i] += 1;
                }
            }
        }
        // 2000 steps: pixel 16 expects 400 spikes, pixel 0 none.
        assert_eq!(counts[0], 0);
        assert!((300..500).contains(&counts[16]), "{}", counts[16]);
        assert!(counts[16] > counts[4]);
        e.spikes(&img, 0, 100, &mut out);
        assert!(out.not_any());
    }

    #[test]
    fn latency_times() {
        let e = LatencyEncoder::default();
        e.check().unwrap();
        assert_eq!(e.spike_time(16), Some(0));
        assert_eq!(e.spike_time(1), Some(99));
        assert_eq!(e.spike_time(0), None);
        let e = LatencyEncoder { threshold: 15, ..e };
        assert_eq!(e.spike_time(16), Some(0));
        assert_eq!(e.spike_time(15), None);
        assert!(LatencyEncoder { threshold: 16, ..e }.check().is_err());
    }

    #[test]
    fn latency_spikes_once_per_channel() {
        let e = LatencyEncoder {
            on_off: true,
            threshold: 2,
            ..LatencyEncoder::default()
        };
        let img = ramp();
        let mut out = bitvec![u32, Lsb0; 0; 128];
        let mut counts = [0u32; 128];
        for t in 0..120 {
            e.spikes(&img, t, &mut out);
            for i in out.iter_ones() {
                counts[i] += 1;
            }
        }
        for (i, &v) in img.iter().enumerate() {
            assert_eq!(counts[i], u32::from(v > 2), "on {i}");
            assert_eq!(counts[64 + i], u32::from(16 - v > 2), "off {i}");
        }
    }
}
