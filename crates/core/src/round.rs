//! Rounding modes and the decay multiplier.
//!
//! Every product that loses bits names its rounding. The chip offers three:
//!
//! | mode | rule on `x * 2^-k` | bias | cost |
//! |---|---|---|---|
//! | [`Rounding::Truncate`] | `x >> k` (toward -inf) | -0.5 LSB | none |
//! | [`Rounding::Nearest`] | `(x + 2^(k-1)) >> k` (ties up) | ~0 | one adder |
//! | [`Rounding::Stochastic`] | `(x + r) >> k`, `r` uniform in `[0, 2^k)` from the PRNG | 0 in expectation | one PRNG draw |
//!
//! Stochastic rounding keeps slow decays (tau of seconds, `a` close to 1) from
//! stalling: with nearest rounding a small membrane times `a` rounds back to itself.

use crate::format::DECAY_FRAC;
use crate::prng::Prng;
#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};

/// How a product is brought back to its format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Rounding {
    /// Drop the low bits (floor).
    Truncate,
    /// Round to nearest, ties toward +infinity.
    #[default]
    Nearest,
    /// Add uniform random low bits from the chip PRNG, then drop them.
    Stochastic,
}

impl Rounding {
    /// Code used in images and snapshots.
    pub const fn code(self) -> u8 {
        match self {
            Rounding::Truncate => 0,
            Rounding::Nearest => 1,
            Rounding::Stochastic => 2,
        }
    }

    /// Inverse of [`Rounding::code`].
    pub const fn from_code(c: u8) -> Option<Self> {
        match c {
            0 => Some(Rounding::Truncate),
            1 => Some(Rounding::Nearest),
            2 => Some(Rounding::Stochastic),
            _ => None,
        }
    }

    /// Drop `k` low bits of `x` (`k` in `1..=62`) with this rounding: `x` plus
    /// [`Rounding::addend`], shifted right.
    #[inline]
    pub fn shift(self, x: i64, k: u32, prng: &mut Prng) -> i64 {
        let k = k.clamp(1, 62);
        x.saturating_add(self.addend(k, prng)) >> k
    }

    /// What this rounding adds before dropping `k` low bits (`k` in `1..=62`): nothing
    /// (truncate), half an LSB (nearest), or uniform bits below `2^k` drawn from the
    /// PRNG (stochastic; for `k > 32` the dither is only 32 bits wide, shifted up:
    /// still unbiased to 2^-32).
    #[inline]
    pub fn addend(self, k: u32, prng: &mut Prng) -> i64 {
        self.fixed_addend(k).unwrap_or_else(|| {
            let k = k.clamp(1, 62);
            let mask = (1u64 << k.min(32)).wrapping_sub(1);
            let r = (u64::from(prng.next_u32()) & mask) as i64;
            r << k.saturating_sub(32)
        })
    }

    /// [`Rounding::addend`] when it draws nothing (truncate, nearest); `None` for
    /// stochastic rounding.
    #[inline]
    pub const fn fixed_addend(self, k: u32) -> Option<i64> {
        let k = if k < 1 {
            1
        } else if k > 62 {
            62
        } else {
            k
        };
        match self {
            Rounding::Truncate => Some(0),
            Rounding::Nearest => Some(1i64 << k.wrapping_sub(1)),
            Rounding::Stochastic => None,
        }
    }

    /// `x * a` for a Q1.15 decay factor `a`, rounded back to the units of `x`.
    #[inline]
    pub fn decay(self, x: i64, a: u16, prng: &mut Prng) -> i64 {
        // Saturating for any x; for the chip's operands (|x| < 2^47: membranes of at
        // most 24 bits, adaptation variables of 32) the product cannot overflow.
        self.shift(x.saturating_mul(i64::from(a)), DECAY_FRAC, prng)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes() {
        let mut p = Prng::new(1);
        assert_eq!(Rounding::Truncate.shift(-3, 1, &mut p), -2);
        assert_eq!(Rounding::Nearest.shift(-3, 1, &mut p), -1);
        assert_eq!(Rounding::Nearest.shift(3, 1, &mut p), 2);
        // a = 0.5
        assert_eq!(Rounding::Nearest.decay(1000, 1 << 14, &mut p), 500);
    }

    #[test]
    fn stochastic_is_unbiased() {
        let mut p = Prng::new(99);
        let n = 20_000;
        let sum: i64 = (0..n)
            .map(|_| Rounding::Stochastic.shift(5, 3, &mut p))
            .sum();
        let mean = sum as f64 / n as f64;
        assert!((mean - 5.0 / 8.0).abs() < 0.02, "{mean}");
    }
}
