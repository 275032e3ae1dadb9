//! Pair-based STDP with fixed-point pre- and postsynaptic traces.
//!
//! The learning circuit for excitatory synapses (Song, Miller & Abbott 2000, in the
//! trace form of Morrison, Diesmann & Gerstner 2008). Every neuron that can be
//! presynaptic keeps a trace `x` and every neuron that can be postsynaptic a trace `y`:
//!
//! ```text
//! x[t] = a_pre  * x[t-1] + inc * s_pre[t]      (unsigned 16 bits, saturating)
//! y[t] = a_post * y[t-1] + inc * s_post[t]
//! post spike at t:  w += round(a_plus  * x_pre  * 2^-shift)   (pre before post: LTP)
//! pre  spike at t:  w -= round(a_minus * y_post * 2^-shift)   (post before pre: LTD)
//! w clamped to [0, w_max], once per step on the net change
//! ```
//!
//! | quantity | format | overflow |
//! |---|---|---|
//! | trace `x`, `y` ([`Trace`]) | unsigned 16 bits, integer units (`inc` per spike) | saturates at `u16::MAX` |
//! | decays `a_pre`, `a_post` | Q1.15 ([`crate::format::Decay`] bits) | constant |
//! | gains `a_plus`, `a_minus` | unsigned 16-bit integers | constant |
//! | product `gain * trace` | 32 bits, cannot overflow | then shifted by `shift` with the rounding mode |
//! | weight `w` | `i16` in `[0, w_max]`; a negative word marks an absent synapse | saturates at both bounds |
//!
//! The weights of an excitatory synapse never change sign: the update is clamped to
//! `[0, w_max]`, and an absent synapse (any negative word, [`ABSENT`] by convention)
//! is never read as a weight nor written. Rounding is the chip's ([`Rounding`]):
//! stochastic rounding draws its dither from the chip PRNG, so small gains still move
//! weights in expectation.

use crate::format::Limit;
use crate::prng::Prng;
use crate::round::Rounding;

/// A pre- or postsynaptic STDP trace: unsigned 16 bits, saturating.
pub type Trace = u16;

/// An excitatory weight word: `0..=w_max` for a synapse, negative for none.
pub type Weight = i16;

/// The word that marks an absent synapse.
pub const ABSENT: Weight = -1;

/// Parameters of the STDP circuit (constants of a configuration).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StdpParams {
    /// Decay per step of presynaptic traces, Q1.15 (`exp(-dt/tau_plus)`).
    pub a_pre: u16,
    /// Decay per step of postsynaptic traces, Q1.15 (`exp(-dt/tau_minus)`).
    pub a_post: u16,
    /// Added (saturating) to a trace on a spike.
    pub inc: u16,
    /// Potentiation gain.
    pub a_plus: u16,
    /// Depression gain.
    pub a_minus: u16,
    /// Right shift applied to `gain * trace` (`0..=31`; larger values are clamped).
    pub shift: u8,
    /// Upper weight bound (`w_max >= 0`; negative values act as 0).
    pub w_max: Weight,
    /// Rounding of the weight step.
    pub rounding: Rounding,
}

impl Default for StdpParams {
    /// `tau = 20` steps for both traces, `inc = 1024`, one LSB of weight per
    /// `a_plus * x` of `2^16`, `w_max = 127`, stochastic rounding.
    fn default() -> Self {
        Self {
            a_pre: 31_170,  // exp(-1/20) in Q1.15
            a_post: 31_170, // exp(-1/20) in Q1.15
            inc: 1024,
            a_plus: 256,
            a_minus: 128,
            shift: 16,
            w_max: 127,
            rounding: Rounding::Stochastic,
        }
    }
}

impl StdpParams {
    /// The weight step `round(gain * trace * 2^-shift)`, never negative.
    #[inline]
    pub fn step(&self, gain: u16, trace: Trace, prng: &mut Prng) -> i32 {
        let p = i64::from(gain).saturating_mul(i64::from(trace));
        if p == 0 {
            return 0;
        }
        let d = match self.shift {
            0 => p,
            s => self.rounding.shift(p, u32::from(s.min(31)), prng),
        };
        // p < 2^32, so d < 2^32: clamp into i32 without loss for any practical gain.
        d.clamp(0, i64::from(i32::MAX)) as i32
    }

    /// The upper weight bound as a non-negative value.
    #[inline]
    pub fn w_max(&self) -> i32 {
        i32::from(self.w_max.max(0))
    }

    /// One read-modify-write of a synapse in a step: `w += step(a_plus, x_pre)` if
    /// the postsynaptic neuron spiked, `w -= step(a_minus, y_post)` if the
    /// presynaptic one did, the net change clamped once to `[0, w_max]`. An absent
    /// synapse (negative word) is left as it is.
    #[inline]
    pub fn update(
        &self,
        w: &mut Weight,
        post: bool,
        x_pre: Trace,
        pre: bool,
        y_post: Trace,
        prng: &mut Prng,
    ) {
        if *w < 0 || !(post || pre) {
            return;
        }
        let ltp = if post {
            self.step(self.a_plus, x_pre, prng)
        } else {
            0
        };
        let ltd = if pre {
            self.step(self.a_minus, y_post, prng)
        } else {
            0
        };
        let net = ltp.saturating_sub(ltd);
        *w = clamp_weight(i32::from(*w).saturating_add(net), self.w_max());
    }

    /// Potentiate one synapse (a postsynaptic spike alone): `w += step(a_plus, x_pre)`.
    #[inline]
    pub fn potentiate(&self, w: &mut Weight, x_pre: Trace, prng: &mut Prng) {
        self.update(w, true, x_pre, false, 0, prng);
    }

    /// Depress one synapse (a presynaptic spike alone): `w -= step(a_minus, y_post)`.
    #[inline]
    pub fn depress(&self, w: &mut Weight, y_post: Trace, prng: &mut Prng) {
        self.update(w, false, 0, true, y_post, prng);
    }

    /// Advance a slice of traces by one step: decay each by `a`, then add `inc` where
    /// the neuron spiked. `spikes` shorter than `traces` counts as no spike.
    pub fn advance(&self, traces: &mut [Trace], a: u16, spikes: &[bool], prng: &mut Prng) {
        let mut s = spikes.iter();
        for x in traces.iter_mut() {
            let spiked = s.next().copied().unwrap_or(false);
            *x = advance_one(*x, a, self.inc, spiked, self.rounding, prng);
        }
    }
}

/// One trace step: `x * a` (rounded), plus `inc` on a spike, saturating at `u16::MAX`.
#[inline]
pub fn advance_one(
    x: Trace,
    a: u16,
    inc: u16,
    spiked: bool,
    r: Rounding,
    prng: &mut Prng,
) -> Trace {
    let d = if x == 0 {
        0
    } else {
        r.decay(i64::from(x), a, prng)
    };
    let d = d.clamp(0, i64::from(u16::MAX)) as u16;
    if spiked {
        d.saturating_add(inc)
    } else {
        d
    }
}

/// Clamp into `[0, w_max]` (`w_max` already non-negative and at most `i16::MAX`).
#[inline]
fn clamp_weight(w: i32, w_max: i32) -> Weight {
    w.limit(0, w_max.min(i32::from(i16::MAX))) as Weight
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causal_pair_potentiates_and_acausal_depresses() {
        let p = StdpParams {
            rounding: Rounding::Nearest,
            ..StdpParams::default()
        };
        let mut prng = Prng::new(1);
        let mut w: Weight = 50;
        p.potentiate(&mut w, 4096, &mut prng);
        assert_eq!(w, 50 + 16); // 256 * 4096 / 65536
        p.depress(&mut w, 4096, &mut prng);
        assert_eq!(w, 66 - 8);
    }

    #[test]
    fn absent_synapse_untouched() {
        let p = StdpParams::default();
        let mut prng = Prng::new(1);
        let mut w = ABSENT;
        p.potentiate(&mut w, u16::MAX, &mut prng);
        p.depress(&mut w, u16::MAX, &mut prng);
        assert_eq!(w, ABSENT);
    }

    #[test]
    fn trace_decays_and_saturates() {
        let p = StdpParams::default();
        let mut prng = Prng::new(1);
        let x = advance_one(u16::MAX, 1 << 15, 1000, true, Rounding::Nearest, &mut prng);
        assert_eq!(x, u16::MAX);
        let x = advance_one(1000, 1 << 14, 0, false, Rounding::Nearest, &mut prng);
        assert_eq!(x, 500);
        let mut t = [0u16, 10];
        p.advance(&mut t, 1 << 14, &[true], &mut prng);
        assert_eq!(t[0], 1024);
    }
}
