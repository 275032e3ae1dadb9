//! A user's data as samples (no_std, no alloc): spike events binned to steps (the
//! layout of the Spiking Heidelberg Digits), and dense feature vectors, rate or
//! latency coded. The host reads the files (`neurochip_emu::dataset`) and hands out
//! slices of them; these types only turn a slice into spikes step by step.
//!
//! # Events ([`EventSample`])
//! A sample is a list of `(step, unit)` events sorted by step; at step `t` the units
//! of its events at `t` spike (several events of one unit at one step are one
//! spike). Its class is the target over the last `window` steps.
//!
//! # Features ([`FeatureEncoder`], [`FeatureSample`])
//! A sample is one value per channel, scaled to `0..=65535` (`LEVELS`) by the host.
//! Rate coding: channel `c` fires at step `t < steps` with probability
//! `p_max * v_c / 65535` (`p_max = max_rate_hz * dt_ms / 1000` as a fraction of
//! 2^32, integer scaling, truncated), drawn with `bernoulli(seed, sample, t, c)`.
//! Latency coding: a value `v > 0` fires once, at step
//! `floor((65535 - v) * (steps - 1) / 65534)` (the largest value at step 0, the
//! smallest above zero at step `steps - 1`); zero never fires.

use crate::rng::{self, StepHasher};
use crate::{fill, SpikeSource, Spikes};

/// The largest scaled feature value.
pub const LEVELS: u16 = u16::MAX;

/// One sample of spike events.
#[derive(Clone, Copy, Debug)]
pub struct EventSample<'a> {
    /// Step of each event, non-decreasing.
    pub steps_of: &'a [u32],
    /// Unit (input channel) of each event.
    pub units: &'a [u16],
    /// Input channels.
    pub n_inputs: usize,
    /// Steps in the sample.
    pub steps: u32,
    /// Class.
    pub label: u16,
    /// Steps at the end with a valid target.
    pub window: u32,
}

impl SpikeSource for EventSample<'_> {
    fn n_inputs(&self) -> usize {
        self.n_inputs
    }

    fn steps(&self) -> u32 {
        self.steps
    }

    fn spikes(&self, t: u32, out: &mut Spikes) {
        out.fill(false);
        let lo = self.steps_of.partition_point(|&s| s < t);
        let hi = self.steps_of.partition_point(|&s| s <= t);
        for &u in self.units.get(lo..hi).unwrap_or(&[]) {
            if let Some(mut slot) = out.get_mut(usize::from(u)) {
                *slot = usize::from(u) < self.n_inputs;
            }
        }
    }
}

/// How a feature vector becomes spikes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FeatureEncoder {
    /// Channels (features).
    pub n: usize,
    /// Steps per sample.
    pub steps: u32,
    /// Latency coding (else rate coding).
    pub latency: bool,
    /// Rate coding: the rate of the largest value, Hz.
    pub max_rate_hz: f32,
    /// Step, ms.
    pub dt_ms: f32,
    /// Seed of the rate code's draws.
    pub seed: u64,
}

impl FeatureEncoder {
    /// The spike step of a latency-coded value (`None`: it never fires).
    pub fn spike_time(&self, v: u16) -> Option<u32> {
        if v == 0 || self.steps == 0 {
            return None;
        }
        let late = u64::from(LEVELS - v) * u64::from(self.steps - 1);
        u32::try_from(late / u64::from(LEVELS - 1)).ok()
    }

    /// The firing probability of a rate-coded value, a fraction of 2^32.
    pub fn p_q32(&self, v: u16) -> u32 {
        let p_max = u64::from(rng::rate_q32(self.max_rate_hz, self.dt_ms));
        // p_max * v / 65535 <= p_max < 2^32.
        u32::try_from(p_max * u64::from(v) / u64::from(LEVELS)).unwrap_or(u32::MAX)
    }
}

/// One feature vector, coded by its encoder.
#[derive(Clone, Copy, Debug)]
pub struct FeatureSample<'a> {
    /// The encoder.
    pub enc: &'a FeatureEncoder,
    /// Scaled values, one per channel.
    pub values: &'a [u16],
    /// Seed index of the presentation (the rate code's draws).
    pub index: u64,
    /// Class.
    pub label: u16,
    /// Steps at the end with a valid target.
    pub window: u32,
}

impl SpikeSource for FeatureSample<'_> {
    fn n_inputs(&self) -> usize {
        self.enc.n
    }

    fn steps(&self) -> u32 {
        self.enc.steps
    }

    fn spikes(&self, t: u32, out: &mut Spikes) {
        let n = if t < self.enc.steps { self.enc.n } else { 0 };
        let value = |c: usize| self.values.get(c).copied().unwrap_or(0);
        if self.enc.latency {
            fill(out, n, |c| self.enc.spike_time(value(c)) == Some(t));
        } else {
            let h = StepHasher::new(self.enc.seed, self.index, u64::from(t));
            fill(out, n, |c| {
                let p = self.enc.p_q32(value(c));
                p != 0 && h.bernoulli(c as u64, p)
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitvec::prelude::*;

    #[test]
    fn events_spike_at_their_steps() {
        let s = EventSample {
            steps_of: &[0, 0, 3, 3, 3, 9],
            units: &[1, 4, 2, 2, 0, 5],
            n_inputs: 5,
            steps: 10,
            label: 1,
            window: 2,
        };
        let mut out = bitvec![u32, Lsb0; 1; 6];
        s.spikes(0, &mut out);
        assert_eq!(out.iter_ones().collect::<Vec<_>>(), [1, 4]);
        s.spikes(3, &mut out);
        assert_eq!(out.iter_ones().collect::<Vec<_>>(), [0, 2]);
        s.spikes(5, &mut out);
        assert_eq!(out.count_ones(), 0);
        // Unit 5 is past the inputs: dropped.
        s.spikes(9, &mut out);
        assert_eq!(out.count_ones(), 0);
    }

    #[test]
    fn latency_codes_the_largest_value_first() {
        let enc = FeatureEncoder {
            n: 3,
            steps: 11,
            latency: true,
            max_rate_hz: 0.0,
            dt_ms: 1.0,
            seed: 0,
        };
        assert_eq!(enc.spike_time(LEVELS), Some(0));
        assert_eq!(enc.spike_time(1), Some(10));
        assert_eq!(enc.spike_time(0), None);
        let s = FeatureSample {
            enc: &enc,
            values: &[LEVELS, 0, 1],
            index: 0,
            label: 0,
            window: 1,
        };
        let mut out = bitvec![u32, Lsb0; 0; 3];
        let total: usize = (0..11)
            .map(|t| {
                s.spikes(t, &mut out);
                out.count_ones()
            })
            .sum();
        assert_eq!(total, 2);
    }

    #[test]
    fn rate_code_fires_in_proportion() {
        let enc = FeatureEncoder {
            n: 2,
            steps: 4000,
            latency: false,
            max_rate_hz: 200.0,
            dt_ms: 1.0,
            seed: 7,
        };
        let s = FeatureSample {
            enc: &enc,
            values: &[LEVELS, LEVELS / 4],
            index: 3,
            label: 0,
            window: 1,
        };
        let mut out = bitvec![u32, Lsb0; 0; 2];
        let mut n = [0u32; 2];
        for t in 0..4000 {
            s.spikes(t, &mut out);
            for c in out.iter_ones() {
                n[c] += 1;
            }
        }
        assert!((700..900).contains(&n[0]), "{n:?}");
        assert!((150..250).contains(&n[1]), "{n:?}");
    }
}
