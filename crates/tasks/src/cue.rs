//! Cue accumulation (evidence accumulation), after Bellec et al. 2020,
//! "A solution to the learning dilemma for recurrent networks of spiking
//! neurons", Nat. Commun. 11:3625, Fig. 3 and Methods.
//!
//! # Protocol (defaults in parentheses)
//! - `4 * channels_per_pop` input channels (default 40) in four populations:
//!   left cues `0..cpp`, right cues `cpp..2cpp`, recall `2cpp..3cpp`,
//!   background noise `3cpp..4cpp`.
//! - `n_cues` cue slots (default 7), each `cue_ms` of cue (default 100) followed by `gap_ms`
//!   of silence (default 50). Cue `k` occupies steps `[k*slot, k*slot + cue)` with
//!   `slot = cue + gap` (in steps). Each cue is independently left or right
//!   with probability 1/2; while it lasts, its population fires at
//!   `cue_rate_hz` (default 40).
//! - Then `delay_ms` of delay (default 1050), then the recall window of `recall_ms`
//!   (default 150), during which the recall population fires at `cue_rate_hz`.
//!   The recall window is the target-valid window ([`CueSample::in_recall`]).
//! - The background population fires at `bg_rate_hz` (default 10) for the whole sample.
//! - Total: `n_cues * (cue + gap) + delay + recall` = 2250 ms by default; with
//!   `dt_ms` = 1 ms, 2250 steps. Durations are converted to steps by
//!   [`rng::ms_to_steps`] (rounded).
//! - Label: the majority side, 0 = left, 1 = right (`n_cues` is odd, so no ties).
//!
//! # Randomness
//! Side of cue `k` of sample `s`: `bernoulli(seed, s, META | 1, k, 2^31)`.
//! Spike of channel `c` at step `t`: `bernoulli(seed, s, t, c, p)` with `p` the
//! rate of that channel's population at `t` (0 draws nothing).

use crate::error::{at_least_one, int_in};
use crate::poisson::{check_dt, check_rate};
use crate::rng::{self, StepHasher, META};
use crate::{fill_populations, Spikes, TaskError};

/// Most cues a sample can hold (the sides are bits of a `u64`).
pub const MAX_CUES: u32 = 63;
/// Most channels per population accepted by [`CueConfig::check`].
pub const MAX_CHANNELS_PER_POP: usize = 1024;
/// Stream tag of the cue sides (see [`rng`]'s stream notes).
const TAG_SIDE: u64 = 1;

/// Configuration of the cue-accumulation task. `Default` gives the paper's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CueConfig {
    /// Number of cues, odd, `1..=63` (default 7).
    pub n_cues: u32,
    /// Duration of one cue, ms (default 100); at least one step.
    pub cue_ms: u32,
    /// Silence after each cue, ms (default 50); may be 0.
    pub gap_ms: u32,
    /// Delay between the end of the last cue slot and the recall window, ms (default 1050); may be 0.
    pub delay_ms: u32,
    /// Duration of the recall window, ms (default 150); at least one step.
    pub recall_ms: u32,
    /// Rate of the active cue population and of the recall population, Hz (default 40).
    pub cue_rate_hz: f32,
    /// Rate of the background population, Hz (default 10).
    pub bg_rate_hz: f32,
    /// Channels per population, `1..=1024` (default 10).
    pub channels_per_pop: usize,
    /// Time step, ms, `(0, 1000]` (default 1).
    pub dt_ms: f32,
    /// Seed of the task (default 0).
    pub seed: u64,
}

impl Default for CueConfig {
    fn default() -> Self {
        CueConfig {
            n_cues: 7,
            cue_ms: 100,
            gap_ms: 50,
            delay_ms: 1050,
            recall_ms: 150,
            cue_rate_hz: 40.0,
            bg_rate_hz: 10.0,
            channels_per_pop: 10,
            dt_ms: 1.0,
            seed: 0,
        }
    }
}

impl CueConfig {
    /// Validates every field; see the field docs for the allowed ranges.
    pub fn check(&self) -> Result<(), TaskError> {
        let n = u64::from(self.n_cues);
        if n % 2 == 0 {
            return Err(TaskError::Int {
                field: "CueConfig.n_cues",
                value: n,
                allowed: "odd, 1..=63",
            });
        }
        int_in("CueConfig.n_cues", n, 1, u64::from(MAX_CUES), "odd, 1..=63")?;
        check_dt("CueConfig.dt_ms", self.dt_ms)?;
        let dt = self.dt_ms;
        let cue = rng::ms_to_steps(self.cue_ms, dt);
        at_least_one("CueConfig.cue_ms (in steps)", cue.into(), ">= 1 step")?;
        let recall = rng::ms_to_steps(self.recall_ms, dt);
        at_least_one("CueConfig.recall_ms (in steps)", recall.into(), ">= 1 step")?;
        check_rate("CueConfig.cue_rate_hz", self.cue_rate_hz, dt)?;
        check_rate("CueConfig.bg_rate_hz", self.bg_rate_hz, dt)?;
        int_in(
            "CueConfig.channels_per_pop",
            self.channels_per_pop as u64,
            1,
            MAX_CHANNELS_PER_POP as u64,
            "1..=1024",
        )?;
        let slot = u64::from(cue) + u64::from(rng::ms_to_steps(self.gap_ms, dt));
        let total = n * slot + u64::from(rng::ms_to_steps(self.delay_ms, dt)) + u64::from(recall);
        int_in(
            "CueConfig total steps (n_cues * (cue + gap) + delay + recall)",
            total,
            1,
            u32::MAX.into(),
            "<= 4294967295 steps",
        )
    }

    /// The sample with index `index`. Never panics; for a configuration that
    /// fails [`CueConfig::check`] the sample is well defined but meaningless.
    pub fn sample(&self, index: u64) -> CueSample {
        let dt = self.dt_ms;
        let n_cues = self.n_cues.min(MAX_CUES);
        let cue_steps = rng::ms_to_steps(self.cue_ms, dt);
        let slot_steps = cue_steps.saturating_add(rng::ms_to_steps(self.gap_ms, dt));
        let recall_start = n_cues
            .saturating_mul(slot_steps)
            .saturating_add(rng::ms_to_steps(self.delay_ms, dt));
        let steps = recall_start.saturating_add(rng::ms_to_steps(self.recall_ms, dt));
        let h = StepHasher::new(self.seed, index, META | TAG_SIDE);
        let sides = (0..n_cues).fold(0u64, |acc, k| {
            acc | (u64::from(h.bernoulli(k.into(), 1 << 31)) << k)
        });
        CueSample {
            seed: self.seed,
            index,
            sides,
            n_cues,
            cue_steps,
            slot_steps,
            recall_start,
            steps,
            channels_per_pop: self.channels_per_pop,
            cue_p: rng::rate_q32(self.cue_rate_hz, dt),
            bg_p: rng::rate_q32(self.bg_rate_hz, dt),
        }
    }
}

/// One trial of the cue-accumulation task: a plain value, cheap to copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CueSample {
    seed: u64,
    index: u64,
    /// Bit `k` is the side of cue `k` (1 = right).
    sides: u64,
    n_cues: u32,
    cue_steps: u32,
    slot_steps: u32,
    recall_start: u32,
    steps: u32,
    channels_per_pop: usize,
    cue_p: u32,
    bg_p: u32,
}

impl CueSample {
    /// The sample index this sample was drawn for.
    pub fn index(&self) -> u64 {
        self.index
    }

    /// Number of time steps.
    pub fn steps(&self) -> u32 {
        self.steps
    }

    /// Number of cues.
    pub fn n_cues(&self) -> u32 {
        self.n_cues
    }

    /// Number of input channels (`4 * channels_per_pop`).
    pub fn n_inputs(&self) -> usize {
        self.channels_per_pop.saturating_mul(4)
    }

    /// Side of cue `k` (0 left, 1 right), `None` if `k >= n_cues`.
    pub fn side(&self, k: u32) -> Option<u8> {
        (k < self.n_cues).then(|| ((self.sides >> k) & 1) as u8)
    }

    /// Number of right cues.
    pub fn n_right(&self) -> u32 {
        self.sides.count_ones()
    }

    /// The majority side: 0 left, 1 right.
    pub fn label(&self) -> u8 {
        u8::from(2 * self.n_right() > self.n_cues)
    }

    /// Side of the cue shown at step `t`, `None` in gaps, delay and recall.
    pub fn cue_at(&self, t: u32) -> Option<u8> {
        let k = t.checked_div(self.slot_steps)?;
        let within = t.checked_rem(self.slot_steps)?;
        if within < self.cue_steps {
            self.side(k)
        } else {
            None
        }
    }

    /// First step of the recall window.
    pub fn recall_start(&self) -> u32 {
        self.recall_start
    }

    /// Whether step `t` is in the recall window (where the target is valid).
    pub fn in_recall(&self, t: u32) -> bool {
        t >= self.recall_start && t < self.steps
    }

    /// Writes the spikes of step `t` into `out` (all zero for `t >= steps()`).
    pub fn spikes(&self, t: u32, out: &mut Spikes) {
        let n = if t < self.steps { self.n_inputs() } else { 0 };
        let cue = self.cue_at(t);
        let on = |active: bool| if active { self.cue_p } else { 0 };
        let rates = [
            on(cue == Some(0)),
            on(cue == Some(1)),
            on(self.in_recall(t)),
            self.bg_p,
        ];
        let h = StepHasher::new(self.seed, self.index, u64::from(t));
        fill_populations(out, n, self.channels_per_pop, &rates, &h);
    }
}

crate::source::spike_source_by_inherent!(CueSample);

#[cfg(test)]
mod tests {
    use super::*;
    use bitvec::prelude::*;

    #[test]
    fn defaults() {
        let c = CueConfig::default();
        let s = c.sample(0);
        assert_eq!(s.steps(), 2250);
        assert_eq!(s.n_inputs(), 40);
        assert_eq!(s.recall_start(), 2100);
        assert!(s.in_recall(2100) && s.in_recall(2249));
        assert!(!s.in_recall(2099) && !s.in_recall(2250));
        assert_eq!(s.side(7), None);
    }

    #[test]
    fn label_is_majority() {
        let c = CueConfig::default();
        for i in 0..200 {
            let s = c.sample(i);
            let right = (0..7).filter(|&k| s.side(k) == Some(1)).count();
            assert_eq!(s.label(), u8::from(right >= 4));
        }
    }

    #[test]
    fn both_labels_and_sides_balanced() {
        let c = CueConfig::default();
        let right: u32 = (0..1000).map(|i| c.sample(i).n_right()).sum();
        // 7000 fair coin flips: mean 3500, sd ~42.
        assert!((3300..3700).contains(&right), "{right}");
    }

    #[test]
    fn cue_windows_and_populations() {
        let c = CueConfig {
            cue_rate_hz: 1000.0,
            bg_rate_hz: 0.0,
            ..CueConfig::default()
        };
        let s = c.sample(5);
        let mut out = bitvec![u32, Lsb0; 0; 40];
        for k in 0..7u32 {
            let side = s.side(k).unwrap();
            s.spikes(k * 150 + 10, &mut out);
            let lo = usize::from(side) * 10;
            assert!(out[lo..lo + 10].all(), "cue {k}");
            assert_eq!(out.count_ones(), 10);
            s.spikes(k * 150 + 120, &mut out); // gap
            assert!(out.not_any());
        }
        s.spikes(1500, &mut out); // delay
        assert!(out.not_any());
        s.spikes(2200, &mut out); // recall
        assert!(out[20..30].all());
        assert_eq!(out.count_ones(), 10);
        s.spikes(2250, &mut out); // past the end
        assert!(out.not_any());
    }

    #[test]
    fn background_rate() {
        let s = CueConfig::default().sample(1);
        let mut out = bitvec![u32, Lsb0; 0; 40];
        let mut n = 0;
        for t in 0..s.steps() {
            s.spikes(t, &mut out);
            n += out[30..40].count_ones();
        }
        // 10 channels * 2.25 s * 10 Hz = 225 expected, sd 15.
        assert!((150..300).contains(&n), "{n}");
    }

    #[test]
    fn seeds_differ_and_repeat() {
        let a = CueConfig::default();
        let b = CueConfig { seed: 1, ..a };
        let sides = |c: &CueConfig| (0..64).map(|i| c.sample(i).sides).collect::<Vec<_>>();
        assert_eq!(sides(&a), sides(&a));
        assert_ne!(sides(&a), sides(&b));
    }

    #[test]
    fn check_errors_name_field() {
        let even = CueConfig {
            n_cues: 6,
            ..CueConfig::default()
        };
        let e = even.check().unwrap_err().to_string();
        assert!(
            e.contains("CueConfig.n_cues = 6") && e.contains("odd"),
            "{e}"
        );
        let zero = CueConfig {
            cue_ms: 0,
            ..CueConfig::default()
        };
        assert!(zero.check().unwrap_err().to_string().contains("cue_ms"));
        let zero = CueConfig {
            recall_ms: 0,
            ..CueConfig::default()
        };
        assert!(zero.check().unwrap_err().to_string().contains("recall_ms"));
        let huge = CueConfig {
            n_cues: 63,
            cue_ms: u32::MAX,
            ..CueConfig::default()
        };
        assert!(huge
            .check()
            .unwrap_err()
            .to_string()
            .contains("total steps"));
        let pop = CueConfig {
            channels_per_pop: 0,
            ..CueConfig::default()
        };
        assert!(pop.check().is_err());
    }

    #[test]
    fn unchecked_configs_do_not_panic() {
        let c = CueConfig {
            n_cues: 1000,
            cue_ms: 0,
            gap_ms: 0,
            channels_per_pop: 0,
            dt_ms: f32::NAN,
            ..CueConfig::default()
        };
        let s = c.sample(u64::MAX);
        let mut out = bitvec![u32, Lsb0; 0; 8];
        s.spikes(0, &mut out);
        let _ = (s.label(), s.cue_at(5), s.in_recall(0));
    }
}
