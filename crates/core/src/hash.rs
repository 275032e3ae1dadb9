//! The chip's one counter-based hash: murmur3's 32-bit finaliser ([`mix`]) over the
//! chip seed folded to 32 bits ([`fold_seed`]) and the coordinates of a draw (layer or
//! class, synapse index, step). Every draw the chip makes without memory goes through
//! it: the learning-rate offsets ([`crate::learning::rate_offset`]), the signs of
//! rewired synapses ([`crate::rewire::sign`]), the release comparators
//! ([`crate::release`]), and the learning circuits' stochastic rounding and light
//! engine steps ([`step_base`], [`bits16`]: one draw per step, layer, synapse and
//! use, so the synapses of a step can be updated in any order, in any lane). The uses
//! differ only in the odd multipliers and salts that spread the coordinates, so each
//! draws bits independent of the others.
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
    /// Readout biases.
    pub const BIAS: u32 = 4;
}

/// What a learning draw is for ([`step_base`]): each use has its own salt.
pub mod draw {
    /// Stochastic rounding of an online weight update.
    pub const ROUND: u32 = 0x68E3_1DA4;
    /// The light engine's +-1 step comparator.
    pub const CHANCE: u32 = 0xB529_7A4D;
    /// Stochastic rounding when per-sample accumulators are applied.
    pub const APPLY: u32 = 0x1B56_C4E9;
    /// Stochastic rounding of the actor–critic's reward-modulated update.
    pub const REINFORCE: u32 = 0x7F4A_7C15;
}

/// The base of the draws of use `salt` ([`draw`]) in `layer` at chip step `step`:
/// computed once per step and layer; [`bits16`] then draws per synapse.
#[inline]
pub const fn step_base(seed: u64, step: u64, layer: u32, salt: u32) -> u32 {
    let t = mix((step as u32) ^ ((step >> 32) as u32).rotate_left(16));
    mix(fold_seed(seed) ^ salt ^ layer.wrapping_mul(GOLDEN) ^ t)
}

/// The odd multiplier that spreads a synapse's index over the word before [`mix`].
pub const INDEX_MUL: u32 = 0xCC9E_2D51;

/// 32 random bits for synapse `index` from a [`step_base`].
#[inline]
pub const fn bits32(base: u32, index: usize) -> u32 {
    bits32_spread(base, (index as u32).wrapping_mul(INDEX_MUL))
}

/// [`bits32`] from the index already multiplied by [`INDEX_MUL`]: a loop over
/// consecutive synapses adds the multiplier instead of multiplying.
#[inline]
pub const fn bits32_spread(base: u32, spread: u32) -> u32 {
    mix(base ^ spread)
}

/// 16 random bits (in the low bits) for synapse `index` from a [`step_base`]: the
/// high half of [`bits32`].
#[inline]
pub const fn bits16(base: u32, index: usize) -> u32 {
    bits32(base, index) >> 16
}

/// `x * 2^-k` stochastically rounded (`k` in `1..=62`) with the draw of synapse
/// `index` from a [`step_base`]: `(x + r) >> k` with `r` uniform in `[0, 2^k)` (for
/// `k > 32` the dither is the draw's 32 bits shifted up: unbiased to `2^-32`).
#[inline]
pub fn dither_shift(x: i64, k: u32, base: u32, index: usize) -> i64 {
    let k = k.clamp(1, 62);
    let mask = (1u64 << k.min(32)).wrapping_sub(1);
    let r = (u64::from(bits32(base, index)) & mask) as i64;
    x.saturating_add(r << k.saturating_sub(32)) >> k
}

/// The multiplier (2^32 / golden ratio) that spreads a layer code or a step.
pub const GOLDEN: u32 = 0x9E37_79B9;

/// The 64-bit chip seed folded to 32 bits: the low half xor the high half rotated
/// left by 16.
#[inline]
pub const fn fold_seed(seed: u64) -> u32 {
    (seed as u32) ^ ((seed >> 32) as u32).rotate_left(16)
}

/// The two multipliers of [`mix`], in order (a vector form of the mixer needs them).
pub const MIX_MUL: [u32; 2] = [0x85EB_CA6B, 0xC2B2_AE35];

/// murmur3's 32-bit finaliser: every input bit flips each output bit with
/// probability close to 1/2.
#[inline]
pub const fn mix(mut h: u32) -> u32 {
    h ^= h >> 16;
    h = h.wrapping_mul(MIX_MUL[0]);
    h ^= h >> 13;
    h = h.wrapping_mul(MIX_MUL[1]);
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
