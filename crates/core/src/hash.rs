//! The chip's one counter-based hash: murmur3's 32-bit finaliser ([`mix`]) over the
//! chip seed folded to 32 bits ([`fold_seed`]) and the coordinates of a draw (layer or
//! class, synapse index, step). Every draw the chip makes without memory goes through
//! it: the learning-rate offsets ([`crate::learning::rate_offset`]), the signs of
//! rewired synapses ([`crate::rewire::sign`]) and the release comparators
//! ([`crate::release`]). The uses differ only in the odd multipliers that spread the
//! coordinates, so each draws bits independent of the others.
//!
//! On a chip this is one hash circuit: two multiplies, three shifts and xors.

/// Layer (synapse class) codes the hash takes.
pub mod layer {
    /// Input weights (input to recurrent synapses).
    pub const INPUT: u32 = 1;
    /// Recurrent weights.
    pub const RECURRENT: u32 = 2;
    /// Readout weights.
    pub const READOUT: u32 = 3;
}

/// The multiplier (2^32 / golden ratio) that spreads a layer code or a step.
pub const GOLDEN: u32 = 0x9E37_79B9;

/// The 64-bit chip seed folded to 32 bits: the low half xor the high half rotated
/// left by 16.
#[inline]
pub const fn fold_seed(seed: u64) -> u32 {
    (seed as u32) ^ ((seed >> 32) as u32).rotate_left(16)
}

/// murmur3's 32-bit finaliser: every input bit flips each output bit with
/// probability close to 1/2.
#[inline]
pub const fn mix(mut h: u32) -> u32 {
    h ^= h >> 16;
    h = h.wrapping_mul(0x85EB_CA6B);
    h ^= h >> 13;
    h = h.wrapping_mul(0xC2B2_AE35);
    h ^= h >> 16;
    h
}

/// The hash of synapse `index` (row-major, as stored) of `layer` ([`layer`]) under
/// `seed`; `index_mul`, an odd multiplier, is the use's own (so two uses of the same
/// synapse draw independent bits).
#[inline]
pub const fn synapse(seed: u64, layer: u32, index: usize, index_mul: u32) -> u32 {
    mix(fold_seed(seed) ^ layer.wrapping_mul(GOLDEN) ^ (index as u32).wrapping_mul(index_mul))
}
