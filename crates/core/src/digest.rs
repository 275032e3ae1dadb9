//! The 64-bit trace digest that identifies a run bit for bit.
//!
//! Every step the chip folds in the step index, the spike vector, every membrane and
//! every readout state (two 32-bit values to a 64-bit word); weights are folded in
//! when the chip is built and whenever learning changes them. Two runs with the same
//! digest computed the same bits (up to hash collisions); tests and the firmware
//! compare digests instead of whole traces.
//!
//! The fold is `h = (rotl(h, 23) ^ x) * 0x9E37_79B9_7F4A_7C15 (mod 2^64)` over 64-bit
//! words, starting from `0xCBF2_9CE4_8422_2325`: wrapping on purpose, cheap on a
//! 32-bit MCU, and sensitive to the order of words.

/// A running 64-bit digest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Digest(u64);

const START: u64 = 0xCBF2_9CE4_8422_2325;
const MUL: u64 = 0x9E37_79B9_7F4A_7C15;

impl Digest {
    /// The empty digest.
    pub const fn new() -> Self {
        Self(START)
    }

    /// Resume from a saved value.
    pub const fn from_value(v: u64) -> Self {
        Self(v)
    }

    /// The current value.
    pub const fn value(&self) -> u64 {
        self.0
    }

    /// Fold one 64-bit word.
    #[inline]
    pub fn fold(&mut self, x: u64) {
        self.0 = (self.0.rotate_left(23) ^ x).wrapping_mul(MUL);
    }

    /// Fold a signed 32-bit word (sign-extended).
    #[inline]
    pub fn fold_i32(&mut self, x: i32) {
        self.fold(i64::from(x) as u64);
    }

    /// Fold every value of a slice of `i32`, two to a word (the first in the high
    /// half; an odd last value alone, sign-extended): half the serial multiplies of
    /// one fold per value, on the step's longest dependency chain.
    #[inline(always)]
    pub fn fold_i32s(&mut self, xs: &[i32]) {
        let mut pairs = xs.chunks_exact(2);
        for p in &mut pairs {
            if let [a, b] = *p {
                self.fold((u64::from(a as u32) << 32) | u64::from(b as u32));
            }
        }
        if let [x] = *pairs.remainder() {
            self.fold_i32(x);
        }
    }

    /// Fold a slice of `i16` weights, four to a word.
    pub fn fold_i16s(&mut self, xs: &[i16]) {
        for c in xs.chunks(4) {
            let mut w = 0u64;
            for &x in c {
                w = (w << 16) | u64::from(x as u16);
            }
            self.fold(w);
        }
    }
}

impl Default for Digest {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_matters() {
        let mut a = Digest::new();
        a.fold(1);
        a.fold(2);
        let mut b = Digest::new();
        b.fold(2);
        b.fold(1);
        assert_ne!(a, b);
    }
}
