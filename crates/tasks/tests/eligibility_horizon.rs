//! The run loop's eligibility gate: a sample's `first_target` is the first step
//! whose `want` is a target, for every generator that overrides it; and `run_sample`
//! gates a model's eligibility off for a whole inference sample, and in a training
//! sample until `horizon` steps before that step.

use bitvec::prelude::*;
use neurochip_tasks::digits::RateEncoder;
use neurochip_tasks::model::{Goal, Model};
use neurochip_tasks::runner::{run_sample, Learn, Want};
use neurochip_tasks::sample::{AnySample, DigitSample, Sample};
use neurochip_tasks::{CueConfig, SpikeSource, Spikes};
use proptest::prelude::*;

/// The first step with a target, asked of `want` step by step.
fn by_want(s: &impl Sample) -> u32 {
    (0..s.steps())
        .find(|&t| s.want(t, &mut []) != Want::None)
        .unwrap_or(s.steps())
}

proptest! {
    #[test]
    fn first_target_is_the_first_wanted_step(
        delay_ms in 0u32..400, recall_ms in 0u32..200, n_cues in 0u32..9,
        steps in 1u32..400, window in 0u32..500, index: u64, seed: u64,
    ) {
        let cue = CueConfig { n_cues, delay_ms, recall_ms, seed, ..CueConfig::default() };
        let s = AnySample::Cue(cue.sample(index));
        prop_assert_eq!(s.first_target(), by_want(&s));
        let enc = RateEncoder { steps, max_rate_hz: 100.0, dt_ms: 1.0, seed };
        let d = AnySample::Digit(DigitSample { enc: &enc, image: [3; 64], label: 1, index, window });
        prop_assert_eq!(d.first_target(), by_want(&d));
    }
}

/// A model that records the steps at which its eligibility gate moved.
#[derive(Default)]
struct Recorder {
    horizon: Option<u32>,
    t: u32,
    gates: Vec<(u32, bool)>,
}

impl Model for Recorder {
    type Value = i32;
    type Error = ();
    fn begin_sample(&mut self) {
        self.t = 0;
    }
    fn step(&mut self, _x: &Spikes) -> Result<(), ()> {
        self.t += 1;
        Ok(())
    }
    fn learn(&mut self, _goal: Goal<'_>) -> Result<(), ()> {
        Ok(())
    }
    fn end_sample(&mut self, _apply: bool) -> Result<(), ()> {
        Ok(())
    }
    fn readout(&self) -> &[i32] {
        &[]
    }
    fn readout_real(&self, _out: &mut [f64]) {}
    fn spikes(&self) -> u32 {
        0
    }
    fn neurons(&self) -> usize {
        0
    }
    fn eligibility_horizon(&self) -> Option<u32> {
        self.horizon
    }
    fn gate_eligibility(&mut self, on: bool) {
        self.gates.push((self.t, on));
    }
}

#[test]
fn the_gate_opens_a_horizon_before_the_first_target() {
    let enc = RateEncoder {
        steps: 100,
        max_rate_hz: 50.0,
        dt_ms: 1.0,
        seed: 7,
    };
    let digit = AnySample::Digit(DigitSample {
        enc: &enc,
        image: [5; 64],
        label: 2,
        index: 0,
        window: 30,
    });
    let x = bitvec![u32, Lsb0; 0; digit.n_inputs()];
    let gates = |horizon, learn| {
        let mut m = Recorder {
            horizon,
            ..Recorder::default()
        };
        run_sample(
            &mut m,
            &digit,
            learn,
            &mut x.clone(),
            &mut [],
            |_, _, _, _| {},
        )
        .unwrap();
        m.gates
    };
    // First target at step 70: closed before step 0, open before step 70 - 20.
    assert_eq!(gates(Some(20), Learn::Apply), [(0, false), (50, true)]);
    assert_eq!(gates(Some(69), Learn::Accumulate), [(0, false), (1, true)]);
    // A horizon that reaches the start, or no horizon: never gated.
    for h in [Some(70), Some(500), None] {
        assert_eq!(gates(h, Learn::Apply), [], "{h:?}");
    }
    // No learning: gated off for the whole sample, whatever the horizon.
    for h in [Some(20), None] {
        assert_eq!(gates(h, Learn::Off), [(0, false)], "{h:?}");
    }
}
