//! The model side of the run loop: one interface that the fixed-point chip, the chip
//! stepped through the cycle model and the float twin all offer, so the run loop
//! ([`crate::runner`]) drives each of them through the same calls in the same order.
//!
//! A sample is `begin_sample`, then per step `step` and (when learning) `learn` with
//! the step's target, then `end_sample`, which applies the accumulated updates at the
//! end of a batch. [`Model::readout`] observes the readout after a step.
//!
//! [`OnChip`] is the chip (any [`Datapath`]: the chip alone or stepped through cycle
//! models) with its memories; the float twin implements the trait in `neurochip-emu`.

use neurochip_core::softmax::Q15;
use neurochip_core::{Datapath, Loss, Memory, StepError, StepOutput, Target};

use crate::Spikes;

/// What a model learns from at one step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Goal<'a> {
    /// Outside the target window: no learning signal.
    None,
    /// Classification: the correct class.
    Class(usize),
    /// Regression: the wanted readout values, real units.
    Values(&'a [f64]),
    /// The output errors given directly, one per readout, real units (as the
    /// actor–critic gives `pi - onehot(a)` and `-c_V`); the chip holds them in its
    /// loss's error format (Q0.15 for classification, the readout format for
    /// regression).
    Error(&'a [f64]),
}

/// A readout value a model reports, and how a classification window sums it.
pub trait Readout: Copy {
    /// The sum over a window.
    type Sum: Copy + Default + PartialOrd;
    /// `sum + v`.
    fn accumulate(sum: Self::Sum, v: Self) -> Self::Sum;
}

impl Readout for i32 {
    type Sum = i64;
    fn accumulate(sum: i64, v: i32) -> i64 {
        sum.wrapping_add(i64::from(v))
    }
}

impl Readout for f64 {
    type Sum = f64;
    fn accumulate(sum: f64, v: f64) -> f64 {
        sum + v
    }
}

/// A model the run loop can drive: the chip, the chip in the cycle model, or the float
/// twin.
pub trait Model {
    /// One readout value: raw readout-format integers on the chip, reals in the twin.
    type Value: Readout;
    /// What a step can fail with.
    type Error;
    /// Reset the dynamic state for a new sample.
    fn begin_sample(&mut self);
    /// One time step with input spikes `x`.
    fn step(&mut self, x: &Spikes) -> Result<(), Self::Error>;
    /// Feed the learning circuits this step's target.
    fn learn(&mut self, goal: Goal<'_>) -> Result<(), Self::Error>;
    /// End the sample; `apply` applies the accumulated updates (end of a batch).
    fn end_sample(&mut self, apply: bool) -> Result<(), Self::Error>;
    /// The readout after the last step.
    fn readout(&self) -> &[Self::Value];
    /// The readout after the last step in real units, into `out`.
    fn readout_real(&self, out: &mut [f64]);
    /// Recurrent spikes at the last step.
    fn spikes(&self) -> u32;
    /// Recurrent neurons.
    fn neurons(&self) -> usize;
    /// Steps of eligibility that a learning step needs
    /// ([`neurochip_core::ChipConfig::eligibility_horizon`]); `None` (the default):
    /// all of the sample's.
    fn eligibility_horizon(&self) -> Option<u32> {
        None
    }
    /// Set or clear the eligibility update within a sample: the run loop clears it
    /// for an inference sample, and for a training sample until
    /// [`Model::eligibility_horizon`] steps before its first target
    /// ([`Model::end_sample`] sets it again). The default ignores it.
    fn gate_eligibility(&mut self, _on: bool) {}
}

/// The chip as a [`Model`]: a datapath (the chip, or the chip stepped through cycle
/// models) and its memories. `scratch` holds a regression target quantised to the
/// readout format (one entry per readout; may be empty for tasks without one).
pub struct OnChip<'c, 'm, D: Datapath + ?Sized> {
    /// The datapath.
    pub chip: &'c mut D,
    /// Its memories.
    pub mem: &'c mut Memory<'m>,
    /// What the last step reported.
    pub last: StepOutput,
    scratch: &'c mut [i32],
}

impl<'c, 'm, D: Datapath + ?Sized> OnChip<'c, 'm, D> {
    /// The chip `chip` with memories `mem`.
    pub fn new(chip: &'c mut D, mem: &'c mut Memory<'m>, scratch: &'c mut [i32]) -> Self {
        Self {
            chip,
            mem,
            last: StepOutput {
                spikes: 0,
                synops: 0,
            },
            scratch,
        }
    }
}

/// `q` rounded to the nearest integer, ties away from zero (as `f64::round`, without
/// `std`), saturated at the `i64` range; NaN gives 0.
fn round_half_away(q: f64) -> i64 {
    const LIMIT: f64 = 9.223_372_036_854_775e18;
    if q >= LIMIT {
        return i64::MAX;
    }
    if q <= -LIMIT {
        return i64::MIN;
    }
    if q.is_nan() {
        return 0;
    }
    // Exact: a double's integer part and its fraction are both doubles.
    let t = q as i64;
    let f = q - t as f64;
    if f >= 0.5 {
        t.saturating_add(1)
    } else if f <= -0.5 {
        t.saturating_sub(1)
    } else {
        t
    }
}

impl<D: Datapath + ?Sized> Model for OnChip<'_, '_, D> {
    type Value = i32;
    type Error = StepError;

    fn begin_sample(&mut self) {
        // The run loop gates the eligibility (`gate_eligibility`); end_sample sets it
        // again.
        self.chip.begin_sample(self.mem);
    }

    fn step(&mut self, x: &Spikes) -> Result<(), StepError> {
        self.last = self.chip.step(self.mem, x)?;
        Ok(())
    }

    fn learn(&mut self, goal: Goal<'_>) -> Result<(), StepError> {
        let target = match goal {
            Goal::None => Target::None,
            Goal::Class(c) => Target::Class(c),
            Goal::Values(v) => {
                let ro = self.chip.config().formats().readout;
                let lsb = ro.lsb();
                for (q, &v) in self.scratch.iter_mut().zip(v) {
                    *q = ro.saturate(round_half_away(v / lsb));
                }
                Target::Values(self.scratch)
            }
            Goal::Error(e) => {
                let cfg = self.chip.config();
                let lsb = cfg.formats().readout.lsb();
                let q15 = cfg.learning().loss == Loss::Classification;
                for (q, &e) in self.scratch.iter_mut().zip(e) {
                    *q = if q15 {
                        Q15::saturating_from_num(e).to_bits()
                    } else {
                        round_half_away(e / lsb).clamp(i64::from(i32::MIN), i64::from(i32::MAX))
                            as i32
                    };
                }
                Target::Error(self.scratch)
            }
        };
        self.chip.learn(self.mem, target)?;
        Ok(())
    }

    fn end_sample(&mut self, apply: bool) -> Result<(), StepError> {
        let r = if apply {
            self.chip.end_sample(self.mem)
        } else {
            Ok(())
        };
        self.chip.set_eligibility_enabled(true);
        r
    }

    fn readout(&self) -> &[i32] {
        &self.mem.y[..]
    }

    fn eligibility_horizon(&self) -> Option<u32> {
        self.chip.config().eligibility_horizon()
    }

    fn gate_eligibility(&mut self, on: bool) {
        self.chip.set_eligibility_enabled(on);
    }

    fn readout_real(&self, out: &mut [f64]) {
        let lsb = self.chip.config().formats().readout.lsb();
        for (o, &y) in out.iter_mut().zip(self.mem.y.iter()) {
            *o = f64::from(y) * lsb;
        }
    }

    fn spikes(&self) -> u32 {
        self.mem.z.count_ones() as u32
    }

    fn neurons(&self) -> usize {
        self.mem.layout.n_rec
    }
}

#[cfg(test)]
mod tests {
    use super::round_half_away;

    #[test]
    fn rounding_matches_std() {
        let xs = [
            0.0,
            -0.0,
            0.5,
            -0.5,
            1.5,
            2.5,
            -2.5,
            0.499_999_999_999_999_94,
            -1e-300,
            1e18,
            -3.7,
            12345.5,
            9.3e18,
            -9.3e18,
            f64::NAN,
            f64::INFINITY,
        ];
        for x in xs {
            let want = if x.is_nan() { 0 } else { x.round() as i64 };
            assert_eq!(round_half_away(x), want, "{x}");
        }
    }
}
