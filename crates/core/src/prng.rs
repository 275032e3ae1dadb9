//! The on-chip pseudo-random number generator.
//!
//! A 32-bit xorshift generator (Marsaglia 2003, shifts 13, 17, 5): three shifts and
//! three XORs per draw, the kind of circuit a chip spends a few dozen gates on. Its
//! state is part of the chip state, seeded from the configuration, saved in
//! snapshots, and folded into nothing else: the same seed gives the same sequence on
//! every target. Period `2^32 - 1`; state zero is never reached from a non-zero seed,
//! and a zero seed is replaced by a fixed non-zero constant.

/// The chip PRNG (xorshift32).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Prng {
    state: u32,
}

/// Substitute for a zero seed (xorshift's one fixed point).
const ZERO_SEED: u32 = 0x9E37_79B9;

impl Prng {
    /// A generator from a 64-bit seed (the two halves are folded together).
    pub const fn new(seed: u64) -> Self {
        let s = crate::hash::fold_seed(seed);
        Self {
            state: if s == 0 { ZERO_SEED } else { s },
        }
    }

    /// Restore a saved state; zero is replaced as in [`Prng::new`].
    pub const fn from_state(state: u32) -> Self {
        Self {
            state: if state == 0 { ZERO_SEED } else { state },
        }
    }

    /// The raw state, for snapshots.
    pub const fn state(&self) -> u32 {
        self.state
    }

    /// Next 32 random bits.
    #[inline]
    pub fn next_u32(&mut self) -> u32 {
        let mut x = self.state;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.state = x;
        x
    }

    /// Next `k` random bits in the low bits of the result (`k <= 32`).
    #[inline]
    pub fn bits(&mut self, k: u32) -> u32 {
        match k {
            0 => 0,
            32.. => self.next_u32(),
            _ => self.next_u32() >> 32u32.wrapping_sub(k),
        }
    }

    /// `true` with probability `p / 2^16`: the comparator used for stochastic
    /// release and stochastic weight steps.
    #[inline]
    pub fn chance_q16(&mut self, p: u16) -> bool {
        (self.next_u32() >> 16) < u32::from(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_sequence() {
        // xorshift32 from state 1: the first outputs of Marsaglia's generator.
        let mut p = Prng::from_state(1);
        assert_eq!(p.next_u32(), 270_369);
        assert_eq!(p.next_u32(), 67_634_689);
    }

    #[test]
    fn zero_seed_is_replaced() {
        let mut p = Prng::new(0);
        assert_ne!(p.next_u32(), 0);
    }

    #[test]
    fn bits_in_range() {
        let mut p = Prng::new(7);
        for k in 0..=32 {
            let b = p.bits(k);
            if k < 32 {
                assert!(u64::from(b) < (1u64 << k));
            }
        }
    }
}
