//! Number formats of the datapath.
//!
//! Two kinds of format live on the chip:
//!
//! * **Fixed formats**, the same on every chip, typed with the [`fixed`] crate:
//!   decay factors ([`Decay`], unsigned Q1.15) and the adaptation variable
//!   ([`Adaptation`], unsigned Q16.16).
//! * **Sweepable formats**, whose widths are configuration values checked once when
//!   the chip is built ([`Format`]): membrane (8–24 bits), weights (2–16 bits),
//!   presynaptic traces (6–16 bits) and the readout. Their values are stored in
//!   plain integer words (`i16` for weights, `i32` for membranes and the readout,
//!   `u32` for traces) and every write goes through [`Format::saturate`].
//!
//! `docs/fixed-point.md` has one table row per quantity.

use fixed::types::{U16F16, U1F15};

/// Decay factor `a = exp(-dt/tau)`: unsigned, 16 bits, 15 fractional bits (Q1.15),
/// range `[0, 2)`; values are rounded to nearest when a configuration is quantised and
/// are constants afterwards.
pub type Decay = U1F15;

/// Spike-frequency-adaptation variable `b` of an ALIF neuron: unsigned, 32 bits,
/// 16 fractional bits (Q16.16), saturates at `65535.99998`.
pub type Adaptation = U16F16;

/// `Ord::clamp` without its panic when `lo > hi` (the result is then `hi`). The core
/// never panics, and where its bounds come from formats or memory at run time this
/// also spares `clamp`'s check in every loop that saturates (on a Cortex-M4, a
/// compare and a branch per value). The same result as `clamp` whenever `lo <= hi`.
pub trait Limit: Ord + Sized {
    /// `self` limited to `lo..=hi`.
    #[inline(always)]
    fn limit(self, lo: Self, hi: Self) -> Self {
        self.max(lo).min(hi)
    }
}

impl<T: Ord> Limit for T {}

/// Fractional bits of [`Decay`].
pub const DECAY_FRAC: u32 = 15;
/// Fractional bits of [`Adaptation`].
pub const ADAPT_FRAC: u32 = 16;

/// A two's-complement (or unsigned) integer format whose width is chosen at run time.
///
/// A value `q` stored in this format represents the real number `q * 2^-frac`.
/// Widths are checked when the configuration is built (1..=31 bits), so the bounds
/// below never overflow `i32`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Format {
    bits: u8,
    frac: u8,
    signed: bool,
}

impl Format {
    /// A signed format of `bits` total bits (sign included) and `frac` fractional bits.
    /// Returns `None` unless `2 <= bits <= 31` and `frac <= 31`.
    pub const fn signed(bits: u32, frac: u32) -> Option<Self> {
        Self::checked(bits, frac, true)
    }

    /// An unsigned format of `bits` total bits and `frac` fractional bits.
    /// Returns `None` unless `1 <= bits <= 31` and `frac <= 31`.
    pub const fn unsigned(bits: u32, frac: u32) -> Option<Self> {
        Self::checked(bits, frac, false)
    }

    /// The format, if its widths are valid: a signed one needs a bit besides its sign.
    const fn checked(bits: u32, frac: u32, signed: bool) -> Option<Self> {
        let min = if signed { 2 } else { 1 };
        if bits < min || bits > 31 || frac > 31 {
            return None;
        }
        Some(Self::raw(bits as u8, frac as u8, signed))
    }

    /// A format from literal widths known to be valid (crate-internal defaults).
    pub(crate) const fn raw(bits: u8, frac: u8, signed: bool) -> Self {
        Self { bits, frac, signed }
    }

    /// Total bits, sign included.
    pub const fn bits(self) -> u32 {
        self.bits as u32
    }

    /// Fractional bits.
    pub const fn frac(self) -> u32 {
        self.frac as u32
    }

    /// Whether the format is two's complement.
    pub const fn is_signed(self) -> bool {
        self.signed
    }

    /// Largest representable raw value.
    pub const fn max(self) -> i32 {
        if self.signed {
            (1i32 << self.bits.wrapping_sub(1)).wrapping_sub(1)
        } else {
            // bits <= 31, so this fits in i32.
            (1i64 << self.bits).wrapping_sub(1) as i32
        }
    }

    /// Smallest representable raw value.
    pub const fn min(self) -> i32 {
        if self.signed {
            (1i32 << self.bits.wrapping_sub(1)).wrapping_neg()
        } else {
            0
        }
    }

    /// Clamp a wide intermediate into the format (saturation).
    #[inline]
    pub const fn saturate(self, x: i64) -> i32 {
        let (lo, hi) = (self.min() as i64, self.max() as i64);
        if x < lo {
            lo as i32
        } else if x > hi {
            hi as i32
        } else {
            x as i32
        }
    }

    /// Whether `q` lies inside the format.
    pub const fn contains(self, q: i32) -> bool {
        q >= self.min() && q <= self.max()
    }

    /// The real value one least-significant bit stands for, `2^-frac`.
    pub fn lsb(self) -> f64 {
        1.0 / (1u64 << self.frac) as f64
    }
}

/// The `m` of bounds `[-2^m, 2^m - 1]` (a two's-complement format of `m + 1` bits,
/// `m` from 1 to 63), or `None` for any other bounds: the width a saturate
/// instruction needs (`SSAT`), read from a row's bounds.
#[inline]
pub const fn twos_width(lo: i64, hi: i64) -> Option<u32> {
    let top = hi.wrapping_add(1);
    if top.count_ones() == 1 && lo == top.wrapping_neg() && hi > 0 {
        Some(top.trailing_zeros())
    } else {
        None
    }
}

/// Shift a wide value left (`s > 0`) or right (`s < 0`) by `|s|` bits.
///
/// Left shifts saturate at the `i64` range (the callers saturate into a narrower
/// format next); right shifts round to nearest, ties toward +infinity
/// (`(x + 2^(k-1)) >> k`), which is the rounding the datapath uses for every
/// rescaling of an accumulated sum.
#[inline]
pub const fn shift_round(x: i64, s: i32) -> i64 {
    if s >= 0 {
        let s = if s > 62 { 62 } else { s as u32 };
        x.saturating_mul(1i64 << s)
    } else {
        let k = if s < -62 { 62 } else { s.unsigned_abs() };
        // k is in 1..=62 here.
        x.saturating_add(1i64 << k.wrapping_sub(1)) >> k
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twos_widths() {
        for bits in 2..=31 {
            let f = Format::signed(bits, 0).unwrap();
            let (lo, hi) = (i64::from(f.min()), i64::from(f.max()));
            assert_eq!(twos_width(lo, hi), Some(bits - 1));
            assert_eq!(twos_width(0, hi), None);
            assert_eq!(twos_width(lo, 0), None);
        }
        assert_eq!(twos_width(-100, 127), None);
        assert_eq!(twos_width(-1, 0), None);
        assert_eq!(twos_width(i64::MIN, i64::MAX), Some(63));
    }

    #[test]
    fn bounds() {
        let f = Format::signed(16, 10).unwrap();
        assert_eq!(f.max(), 32767);
        assert_eq!(f.min(), -32768);
        assert_eq!(f.saturate(1 << 40), 32767);
        assert_eq!(f.saturate(-(1 << 40)), -32768);
        let u = Format::unsigned(12, 8).unwrap();
        assert_eq!(u.max(), 4095);
        assert_eq!(u.min(), 0);
        assert_eq!(u.saturate(-5), 0);
        assert!(Format::signed(1, 0).is_none());
        assert!(Format::signed(32, 0).is_none());
        assert_eq!(Format::unsigned(31, 0).unwrap().max(), i32::MAX);
    }

    #[test]
    fn shifts_round_to_nearest() {
        assert_eq!(shift_round(5, 2), 20);
        assert_eq!(shift_round(5, -1), 3);
        assert_eq!(shift_round(-5, -1), -2);
        assert_eq!(shift_round(6, -2), 2);
        assert_eq!(shift_round(i64::MAX, 3), i64::MAX);
        assert_eq!(shift_round(i64::MAX, -3), i64::MAX >> 3);
    }
}
