//! Store-recall working-memory task, after Bellec et al. 2018, "Long
//! short-term memory and learning-to-learn in networks of spiking neurons"
//! (LSNN, NeurIPS), and its use with e-prop in Bellec et al. 2020 (Nat.
//! Commun. 11:3625, Supplementary). The exact protocol below is this crate's;
//! the durations and populations follow those papers, the randomisation of
//! store and delay is a documented choice.
//!
//! # Protocol (defaults in parentheses)
//! - `5 * channels_per_pop` channels (default 50) in five populations: store
//!   `0..cpp`, recall `cpp..2cpp`, value 0 `2cpp..3cpp`, value 1
//!   `3cpp..4cpp`, noise `4cpp..5cpp`.
//! - The sample is `n_periods` (default 10) periods of `period_ms` (default 200) each:
//!   period `i` covers steps `[i * P, (i + 1) * P)`, `P` in steps.
//! - Per sample: a stored bit `v` (fair coin), a delay `d` uniform in
//!   `min_delay..=max_delay` periods (default 1..=6), then a store period `s` uniform
//!   in `0..=n_periods - 1 - d`, and the recall period `r = s + d`.
//! - Store period: the store population and value population `v` fire at
//!   `rate_hz` (default 40).
//! - Recall period: the recall population fires at `rate_hz`; the value
//!   populations are silent. This period is the target-valid window
//!   ([`StoreRecallSample::in_recall`]); the target there is `v`
//!   ([`StoreRecallSample::label`]).
//! - Every other period (before, between and after): if `distractors` (default true),
//!   a fresh random bit `u_i` is shown on value population `u_i` at
//!   `rate_hz` without a store signal, so the network must store only on
//!   command; otherwise those periods are silent.
//! - The noise population fires at `bg_rate_hz` (default 10) for the whole sample.
//!
//! # Randomness
//! `v = bernoulli(seed, s, META | 1, 0, 2^31)`, `d = min_delay +
//! below(seed, s, META | 2, 0, max_delay - min_delay + 1)`, store period
//! `below(seed, s, META | 3, 0, n_periods - d)`, distractor of period `i`:
//! `bernoulli(seed, s, META | 4, i, 2^31)`; spikes `bernoulli(seed, s, t, c, p)`.

use crate::error::{at_least_one, int_in};
use crate::poisson::{check_dt, check_rate};
use crate::rng::{self, StepHasher, META};
use crate::{fill_populations, Spikes, TaskError};

/// Most channels per population accepted by [`StoreRecallConfig::check`].
pub const MAX_CHANNELS_PER_POP: usize = 1024;
const TAG_VALUE: u64 = 1;
const TAG_DELAY: u64 = 2;
const TAG_STORE: u64 = 3;
const TAG_DISTRACTOR: u64 = 4;
const HALF: u32 = 1 << 31;

/// Configuration of the store-recall task.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StoreRecallConfig {
    /// Number of periods in a sample, `2..` and `> max_delay` (default 10).
    pub n_periods: u32,
    /// Duration of one period, ms; at least one step (default 200).
    pub period_ms: u32,
    /// Shortest store-to-recall delay, in periods, `>= 1` (default 1).
    pub min_delay: u32,
    /// Longest store-to-recall delay, in periods, `min_delay..n_periods` (default 6).
    pub max_delay: u32,
    /// Rate of active store, recall and value populations, Hz (default 40).
    pub rate_hz: f32,
    /// Rate of the noise population, Hz (default 10).
    pub bg_rate_hz: f32,
    /// Channels per population, `1..=1024` (default 10).
    pub channels_per_pop: usize,
    /// Show random distractor values in periods without store or recall (default true).
    pub distractors: bool,
    /// Time step, ms, `(0, 1000]` (default 1).
    pub dt_ms: f32,
    /// Seed of the task (default 0).
    pub seed: u64,
}

impl Default for StoreRecallConfig {
    fn default() -> Self {
        StoreRecallConfig {
            n_periods: 10,
            period_ms: 200,
            min_delay: 1,
            max_delay: 6,
            rate_hz: 40.0,
            bg_rate_hz: 10.0,
            channels_per_pop: 10,
            distractors: true,
            dt_ms: 1.0,
            seed: 0,
        }
    }
}

impl StoreRecallConfig {
    /// Validates every field; see the field docs for the allowed ranges.
    pub fn check(&self) -> Result<(), TaskError> {
        check_dt("StoreRecallConfig.dt_ms", self.dt_ms)?;
        let p = rng::ms_to_steps(self.period_ms, self.dt_ms);
        at_least_one(
            "StoreRecallConfig.period_ms (in steps)",
            p.into(),
            ">= 1 step",
        )?;
        let max = u32::MAX.into();
        int_in(
            "StoreRecallConfig.min_delay",
            self.min_delay.into(),
            1,
            max,
            ">= 1",
        )?;
        int_in(
            "StoreRecallConfig.max_delay",
            self.max_delay.into(),
            self.min_delay.into(),
            max,
            ">= min_delay",
        )?;
        int_in(
            "StoreRecallConfig.n_periods",
            self.n_periods.into(),
            u64::from(self.max_delay) + 1,
            max,
            "> max_delay",
        )?;
        int_in(
            "StoreRecallConfig total steps (n_periods * period)",
            u64::from(self.n_periods) * u64::from(p),
            1,
            max,
            "<= 4294967295 steps",
        )?;
        check_rate("StoreRecallConfig.rate_hz", self.rate_hz, self.dt_ms)?;
        check_rate("StoreRecallConfig.bg_rate_hz", self.bg_rate_hz, self.dt_ms)?;
        int_in(
            "StoreRecallConfig.channels_per_pop",
            self.channels_per_pop as u64,
            1,
            MAX_CHANNELS_PER_POP as u64,
            "1..=1024",
        )
    }

    /// The sample with index `index`. Never panics; for a configuration that
    /// fails [`StoreRecallConfig::check`] the sample is defined but meaningless.
    pub fn sample(&self, index: u64) -> StoreRecallSample {
        let seed = self.seed;
        let period_steps = rng::ms_to_steps(self.period_ms, self.dt_ms);
        let span = self
            .max_delay
            .saturating_sub(self.min_delay)
            .saturating_add(1);
        let delay =
            self.min_delay
                .saturating_add(rng::below(seed, index, META | TAG_DELAY, 0, span));
        let room = self.n_periods.saturating_sub(delay);
        let store = rng::below(seed, index, META | TAG_STORE, 0, room);
        StoreRecallSample {
            seed,
            index,
            value: u8::from(rng::bernoulli(seed, index, META | TAG_VALUE, 0, HALF)),
            store_period: store,
            recall_period: store.saturating_add(delay),
            period_steps,
            steps: self.n_periods.saturating_mul(period_steps),
            channels_per_pop: self.channels_per_pop,
            distractors: self.distractors,
            p: rng::rate_q32(self.rate_hz, self.dt_ms),
            bg_p: rng::rate_q32(self.bg_rate_hz, self.dt_ms),
        }
    }
}

/// One trial of the store-recall task: a plain value, cheap to copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreRecallSample {
    seed: u64,
    index: u64,
    value: u8,
    store_period: u32,
    recall_period: u32,
    period_steps: u32,
    steps: u32,
    channels_per_pop: usize,
    distractors: bool,
    p: u32,
    bg_p: u32,
}

impl StoreRecallSample {
    /// The sample index this sample was drawn for.
    pub fn index(&self) -> u64 {
        self.index
    }

    /// Number of time steps (`n_periods * period`).
    pub fn steps(&self) -> u32 {
        self.steps
    }

    /// Number of input channels (`5 * channels_per_pop`).
    pub fn n_inputs(&self) -> usize {
        self.channels_per_pop.saturating_mul(5)
    }

    /// The stored bit, which is the target during recall.
    pub fn label(&self) -> u8 {
        self.value
    }

    /// Index of the store period.
    pub fn store_period(&self) -> u32 {
        self.store_period
    }

    /// Index of the recall period.
    pub fn recall_period(&self) -> u32 {
        self.recall_period
    }

    /// Steps per period.
    pub fn period_steps(&self) -> u32 {
        self.period_steps
    }

    /// Period index of step `t` (`None` past the end).
    pub fn period_at(&self, t: u32) -> Option<u32> {
        if t < self.steps {
            t.checked_div(self.period_steps)
        } else {
            None
        }
    }

    /// Whether step `t` is in the store period.
    pub fn in_store(&self, t: u32) -> bool {
        self.period_at(t) == Some(self.store_period)
    }

    /// Whether step `t` is in the recall period (where the target is valid).
    pub fn in_recall(&self, t: u32) -> bool {
        self.period_at(t) == Some(self.recall_period)
    }

    /// The value shown on the value populations at step `t`, if any: the
    /// stored bit in the store period, a distractor in other periods (when
    /// enabled), nothing during recall or past the end.
    pub fn value_at(&self, t: u32) -> Option<u8> {
        let i = self.period_at(t)?;
        if i == self.store_period {
            Some(self.value)
        } else if i == self.recall_period || !self.distractors {
            None
        } else {
            let bit = rng::bernoulli(self.seed, self.index, META | TAG_DISTRACTOR, i.into(), HALF);
            Some(u8::from(bit))
        }
    }

    /// Writes the spikes of step `t` into `out` (all zero for `t >= steps()`).
    pub fn spikes(&self, t: u32, out: &mut Spikes) {
        let n = if t < self.steps { self.n_inputs() } else { 0 };
        let value = self.value_at(t);
        let on = |active: bool| if active { self.p } else { 0 };
        let rates = [
            on(self.in_store(t)),
            on(self.in_recall(t)),
            on(value == Some(0)),
            on(value == Some(1)),
            self.bg_p,
        ];
        let h = StepHasher::new(self.seed, self.index, u64::from(t));
        fill_populations(out, n, self.channels_per_pop, &rates, &h);
    }
}

crate::source::spike_source_by_inherent!(StoreRecallSample);

#[cfg(test)]
mod tests {
    use super::*;
    use bitvec::prelude::*;

    #[test]
    fn defaults_and_schedule() {
        let c = StoreRecallConfig::default();
        for i in 0..500 {
            let s = c.sample(i);
            assert_eq!(s.steps(), 2000);
            assert_eq!(s.n_inputs(), 50);
            let d = s.recall_period() - s.store_period();
            assert!((1..=6).contains(&d));
            assert!(s.recall_period() < 10);
            let start = s.recall_period() * 200;
            assert!(s.in_recall(start) && s.in_recall(start + 199));
            assert!(!s.in_recall(start + 200) && (start == 0 || !s.in_recall(start - 1)));
            assert_eq!(s.value_at(s.store_period() * 200), Some(s.label()));
            assert_eq!(s.value_at(start), None);
        }
    }

    #[test]
    fn populations_follow_schedule() {
        let c = StoreRecallConfig {
            rate_hz: 1000.0,
            bg_rate_hz: 0.0,
            ..StoreRecallConfig::default()
        };
        let s = c.sample(3);
        let mut out = bitvec![u32, Lsb0; 0; 50];
        for t in (0..2000).step_by(50) {
            s.spikes(t, &mut out);
            assert_eq!(out[0..10].all(), s.in_store(t));
            assert_eq!(out[10..20].all(), s.in_recall(t));
            let v = s.value_at(t);
            assert_eq!(out[20..30].all(), v == Some(0));
            assert_eq!(out[30..40].all(), v == Some(1));
            assert!(out[40..50].not_any());
        }
    }

    #[test]
    fn labels_and_delays_spread() {
        let c = StoreRecallConfig::default();
        let ones: u32 = (0..1000).map(|i| u32::from(c.sample(i).label())).sum();
        assert!((400..600).contains(&ones), "{ones}");
        let mut seen = [false; 7];
        for i in 0..1000 {
            let s = c.sample(i);
            seen[(s.recall_period() - s.store_period()) as usize] = true;
        }
        assert_eq!(seen, [false, true, true, true, true, true, true]);
    }

    #[test]
    fn no_distractors() {
        let c = StoreRecallConfig {
            distractors: false,
            ..StoreRecallConfig::default()
        };
        let s = c.sample(0);
        let other = (0..10).find(|&i| i != s.store_period() && i != s.recall_period());
        assert_eq!(s.value_at(other.unwrap() * 200), None);
    }

    #[test]
    fn check_rejects() {
        let base = StoreRecallConfig::default();
        let e = StoreRecallConfig {
            n_periods: 6,
            ..base
        }
        .check()
        .unwrap_err();
        assert!(e.to_string().contains("n_periods = 6"), "{e}");
        for bad in [
            StoreRecallConfig {
                min_delay: 0,
                ..base
            },
            StoreRecallConfig {
                max_delay: 0,
                ..base
            },
            StoreRecallConfig {
                period_ms: 0,
                ..base
            },
            StoreRecallConfig {
                channels_per_pop: 0,
                ..base
            },
        ] {
            assert!(bad.check().is_err(), "{bad:?}");
        }
        let unchecked = StoreRecallConfig {
            n_periods: 0,
            min_delay: 9,
            max_delay: 2,
            dt_ms: -1.0,
            ..base
        };
        let s = unchecked.sample(1);
        let mut out = bitvec![u32, Lsb0; 0; 5];
        s.spikes(0, &mut out);
    }
}
