//! Counter-based randomness: every random event is a hash of its coordinates.
//!
//! A spike of channel `c` at step `t` of sample `s` is
//! `bernoulli(seed, s, t, c, p_q32)`: no generator state, so any step can be
//! regenerated in any order, on any target, with the same bits. Only integer
//! arithmetic decides events (64-bit wrapping multiplies, shifts, xors), so
//! x86-64 and thumbv7em agree exactly.
//!
//! The mixer is the SplitMix64 finaliser (Steele, Lea, Flood 2014; the
//! constants are those of Stafford's "Mix13"). [`hash`] chains it over
//! `(seed, a, b, c)`; each coordinate is multiplied by its own odd constant
//! first, so the coordinates are not interchangeable.
//!
//! # Streams
//! Spike draws use `b = t` (a `u32` step), so `b < 2^32`. Draws that are not
//! spikes (which side a cue is on, which period stores a bit) use
//! `b = META | tag` with the top bit set, so they can never coincide with a
//! spike draw of the same seed and sample.

/// Top bit of the `b` coordinate: marks per-sample draws that are not spikes.
pub const META: u64 = 1 << 63;

/// Golden-ratio increment of SplitMix64.
const GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;
/// Odd lane multipliers (distinct, so `hash(s, a, b, c) != hash(s, b, a, c)`).
const LANE_A: u64 = 0xD1B5_4A32_D192_ED03;
const LANE_B: u64 = 0xAEF1_7502_108E_F2D9;
const LANE_C: u64 = 0xF135_7AEA_2E62_A9C5;

/// SplitMix64 finaliser: a bijective 64-bit avalanche mix.
#[inline]
pub const fn mix64(x: u64) -> u64 {
    let mut z = x;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Hash of four coordinates. `hash(seed, s, t, c)` is the random word of
/// channel `c` at step `t` of sample `s`.
#[inline]
pub const fn hash(seed: u64, a: u64, b: u64, c: u64) -> u64 {
    StepHasher::new(seed, a, b).word(c)
}

/// [`hash`] with the first three coordinates fixed: hashes a whole spike
/// vector of one step with one mix per channel. `StepHasher::new(s, a, b).word(c)`
/// equals `hash(s, a, b, c)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepHasher(u64);

impl StepHasher {
    /// Fixes `(seed, a, b)`.
    #[inline]
    pub const fn new(seed: u64, a: u64, b: u64) -> Self {
        let h = mix64(seed.wrapping_add(GAMMA));
        let h = mix64(h ^ a.wrapping_mul(LANE_A));
        StepHasher(mix64(h ^ b.wrapping_mul(LANE_B)))
    }

    /// The random word for coordinate `c`.
    #[inline]
    pub const fn word(&self, c: u64) -> u64 {
        mix64(self.0 ^ c.wrapping_mul(LANE_C).wrapping_add(GAMMA))
    }

    /// A Bernoulli draw for coordinate `c` with probability `p_q32 / 2^32`.
    #[inline]
    pub const fn bernoulli(&self, c: u64, p_q32: u32) -> bool {
        word_bernoulli(self.word(c), p_q32)
    }

    /// [`StepHasher::bernoulli`] for the coordinates `from, from + 1, ...` in turn:
    /// the same draws, each coordinate's product with the lane constant one
    /// addition after the last (on a 32-bit core a 64-bit multiply is three).
    #[inline]
    pub fn bernoullis(&self, from: u64, p_q32: u32) -> impl Iterator<Item = bool> {
        let h = self.0;
        let mut key = from.wrapping_mul(LANE_C).wrapping_add(GAMMA);
        core::iter::repeat_with(move || {
            let w = mix64(h ^ key);
            key = key.wrapping_add(LANE_C);
            word_bernoulli(w, p_q32)
        })
    }
}

#[inline]
const fn word_bernoulli(w: u64, p_q32: u32) -> bool {
    ((w >> 32) as u32) < p_q32
}

/// True with probability `p_q32 / 2^32` (so `0` never fires and `u32::MAX`
/// misses once in 2^32 draws).
#[inline]
pub const fn bernoulli(seed: u64, a: u64, b: u64, c: u64, p_q32: u32) -> bool {
    word_bernoulli(hash(seed, a, b, c), p_q32)
}

/// Uniform `f32` in `[0, 1)` with 24 random bits (exactly representable).
#[inline]
pub fn unit_f32(seed: u64, a: u64, b: u64, c: u64) -> f32 {
    // 2^-24 as an exact f32 constant.
    const SCALE: f32 = 1.0 / 16_777_216.0;
    ((hash(seed, a, b, c) >> 40) as u32) as f32 * SCALE
}

/// Uniform integer in `0..n` (multiply-high on 32 random bits; bias below
/// `n / 2^32`). Returns 0 when `n == 0`.
#[inline]
pub const fn below(seed: u64, a: u64, b: u64, c: u64, n: u32) -> u32 {
    (((hash(seed, a, b, c) >> 32) * n as u64) >> 32) as u32
}

/// Converts a probability to a `u32` fraction of 2^32 (truncating).
/// NaN and values `<= 0` give 0; values `>= 1` give `u32::MAX`.
#[inline]
pub fn prob_q32(p: f32) -> u32 {
    if p.is_nan() || p <= 0.0 {
        0
    } else if p >= 1.0 {
        u32::MAX
    } else {
        // p < 1 so p * 2^32 <= 2^32 - 2^8: fits (the cast also saturates).
        (p * 4_294_967_296.0) as u32
    }
}

/// Per-step firing probability of a Poisson rate as a `u32` fraction:
/// `prob_q32(rate_hz * dt_ms / 1000)`.
#[inline]
pub fn rate_q32(rate_hz: f32, dt_ms: f32) -> u32 {
    prob_q32(rate_hz * dt_ms / 1000.0)
}

/// Number of whole steps in `ms` milliseconds: `round(ms / dt_ms)` (half away
/// from zero, via `libm::roundf`). Saturates; 0 for a non-positive or NaN `dt_ms`.
#[inline]
pub fn ms_to_steps(ms: u32, dt_ms: f32) -> u32 {
    if dt_ms.is_nan() || dt_ms <= 0.0 {
        return 0;
    }
    // `as` from f32 saturates and maps NaN to 0.
    libm::roundf(ms as f32 / dt_ms) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mix64_known_values() {
        // SplitMix64 seeded with 0: first output is mix64(GAMMA).
        assert_eq!(mix64(GAMMA), 0xE220_A839_7B1D_CDAF);
        assert_eq!(mix64(0), 0);
    }

    #[test]
    fn hash_is_pinned() {
        // Pinned so that any change to the stream is a deliberate one: the
        // firmware and golden traces depend on these bits.
        // Values from an independent Python implementation of this file.
        assert_eq!(hash(1, 2, 3, 4), 0x48AA_EA84_AB51_F3A7);
        assert_eq!(hash(0, 0, 0, 0), 0x7EA8_D38D_0FB2_D617);
        assert_ne!(hash(1, 2, 3, 4), hash(1, 3, 2, 4));
        assert_ne!(hash(1, 2, 3, 4), hash(2, 2, 3, 4));
        assert_eq!(StepHasher::new(7, 8, 9).word(10), hash(7, 8, 9, 10));
    }

    #[test]
    fn bernoullis_are_the_draws_in_turn() {
        let h = StepHasher::new(7, 8, 9);
        for (from, p) in [
            (0u64, 1u32 << 31),
            (37, 123_456_789),
            (u64::MAX - 5, 3 << 30),
        ] {
            let want: Vec<bool> = (0..40)
                .map(|k| h.bernoulli(from.wrapping_add(k), p))
                .collect();
            assert_eq!(h.bernoullis(from, p).take(40).collect::<Vec<_>>(), want);
        }
    }

    #[test]
    fn bernoulli_extremes() {
        for c in 0..1000 {
            assert!(!bernoulli(5, 0, 0, c, 0));
        }
        let hits = (0..1000)
            .filter(|&c| bernoulli(5, 0, 0, c, u32::MAX))
            .count();
        assert_eq!(hits, 1000);
    }

    #[test]
    fn bernoulli_rate() {
        let p = prob_q32(0.25);
        let n = 100_000u64;
        let hits = (0..n).filter(|&c| bernoulli(11, 1, 2, c, p)).count() as f64;
        let sd = (n as f64 * 0.25 * 0.75).sqrt();
        assert!((hits - 25_000.0).abs() < 5.0 * sd, "hits {hits}");
    }

    #[test]
    fn unit_and_below_ranges() {
        for c in 0..10_000 {
            let u = unit_f32(3, 4, 5, c);
            assert!((0.0..1.0).contains(&u));
            assert!(below(3, 4, 5, c, 7) < 7);
        }
        assert_eq!(below(3, 4, 5, 6, 0), 0);
    }

    #[test]
    fn prob_conversion() {
        assert_eq!(prob_q32(0.0), 0);
        assert_eq!(prob_q32(-1.0), 0);
        assert_eq!(prob_q32(f32::NAN), 0);
        assert_eq!(prob_q32(1.0), u32::MAX);
        assert_eq!(prob_q32(0.5), 1 << 31);
        assert_eq!(rate_q32(40.0, 1.0), prob_q32(0.04));
        assert_eq!(ms_to_steps(100, 1.0), 100);
        assert_eq!(ms_to_steps(100, 0.5), 200);
        assert_eq!(ms_to_steps(150, 0.0), 0);
        assert_eq!(ms_to_steps(u32::MAX, 1e-6), u32::MAX);
    }
}
