//! The light engine's packed rows ([`PackedRows`]) in AVX2, eight synapses a pass
//! and every row of a call per pass: the core's comparator
//! (`neurochip_core::update::packed_rows`) with its 64-bit products arranged for the
//! vector unit rather than left to the compiler, which does the hash in two 128-bit
//! halves and reloads its constants.
//!
//! Per lane, with `h` the synapse's hash (`hash::mix` of `base ^ (row + spread)`),
//! `u = (h & !0x7FFF) | 0x8000` its draw and `p = lo + hi 2^32` its column's product:
//!
//! ```text
//! yes = p t >= u << a        (p t below 2^63, u << a below 2^63: a signed compare)
//! ```
//!
//! `p t` is `lo t + (hi t) << 32`, two `_mm256_mul_epu32` of four lanes each half.
//! A pass loads and widens its eight columns once and runs them for each row (the
//! rows' hashes are independent chains), and ors the eight answers into the row's
//! hit set without a branch: a yes is rare (about one pass in seven on bench256) and
//! a mispredicted branch cost more than the pass. `tests` checks every shift, trace,
//! row and column count against the portable rows.

use neurochip_core::update::{packed_rows, Hits, PackedRows, PACK_MAX};

#[cfg(target_arch = "x86_64")]
use core::arch::x86_64::*;

#[cfg(target_arch = "x86_64")]
mod avx512;

/// Synapses a pass.
const LANES: usize = 8;

/// The [`LightKernel`](neurochip_core::update::LightKernel) of the AVX2 paths:
/// [`packed_rows`]'s hits. On a processor without AVX2 it is [`packed_rows`].
pub fn avx2(r: PackedRows<'_>, out: &mut [Hits]) {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") {
        // SAFETY: the processor has every feature `rows` is compiled for (checked
        // just above).
        #[allow(unsafe_code)]
        unsafe {
            rows(r, out, false)
        };
        return;
    }
    packed_rows(r, out);
}

/// The [`LightKernel`](neurochip_core::update::LightKernel) of the AVX-512 path:
/// [`avx2`]'s hits, sixteen synapses a pass ([`avx512`]). On a processor without
/// AVX-512 it is [`avx2`].
pub fn avx512(r: PackedRows<'_>, out: &mut [Hits]) {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") && super::x86::has_avx512() {
        // SAFETY: the processor has AVX2 and every AVX-512 feature the passes are
        // compiled for (checked just above).
        #[allow(unsafe_code)]
        unsafe {
            rows(r, out, true)
        };
        return;
    }
    avx2(r, out);
}

/// [`avx2`] once AVX2 is known to be there; with `wide`, sixteen columns a pass
/// first ([`avx512`]), the last eight, if any, through [`passes`].
///
/// # Safety
/// AVX2 must be present, and with `wide` AVX-512 F, BW, VL and DQ.
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
#[target_feature(enable = "avx2")]
unsafe fn rows(r: PackedRows<'_>, out: &mut [Hits], wide: bool) {
    for o in out.iter_mut().take(r.rows.len()) {
        *o = [0; PACK_MAX / 64];
    }
    let n = r.lo.len().min(r.hi.len()).min(r.spread.len()).min(PACK_MAX);
    // SAFETY: the caller's.
    let k = if wide {
        unsafe { avx512::passes(r, out, n) }
    } else {
        0
    };
    passes(r, out, k, n);
}

/// The passes of eight columns from column `k` to `n` (at most every slice's
/// length), each loaded and widened once, then run for every row, their hits or-ed
/// into `out`.
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
#[target_feature(enable = "avx2")]
fn passes(r: PackedRows<'_>, out: &mut [Hits], mut k: usize, n: usize) {
    let n = n.min(r.lo.len()).min(r.hi.len()).min(r.spread.len());
    let base = _mm256_set1_epi32(r.base as i32);
    let m1 = _mm256_set1_epi32(neurochip_core::hash::MIX_MUL[0] as i32);
    let m2 = _mm256_set1_epi32(neurochip_core::hash::MIX_MUL[1] as i32);
    let keep = _mm256_set1_epi32(!0x7FFF);
    let half = _mm256_set1_epi32(0x8000);
    let a = _mm_cvtsi32_si128((r.a & 31) as i32);
    let (lo, hi, sp) = (r.lo.as_ptr(), r.hi.as_ptr(), r.spread.as_ptr());
    while k + LANES <= n {
        // SAFETY: `k + 8 <= n`, within all three slices; unaligned loads.
        let (s, l, h) = unsafe {
            (
                _mm256_loadu_si256(sp.add(k).cast()),
                _mm256_loadu_si256(lo.add(k).cast()),
                _mm256_loadu_si256(hi.add(k).cast()),
            )
        };
        // The products' halves widened to 64 bits, four lanes each.
        let l4 = [
            _mm256_cvtepu32_epi64(_mm256_castsi256_si128(l)),
            _mm256_cvtepu32_epi64(_mm256_extracti128_si256::<1>(l)),
        ];
        let h4 = [
            _mm256_cvtepu32_epi64(_mm256_castsi256_si128(h)),
            _mm256_cvtepu32_epi64(_mm256_extracti128_si256::<1>(h)),
        ];
        for (&(row, t), o) in r.rows.iter().zip(out.iter_mut()) {
            // `hash::mix(base ^ (row + spread))`, then the draw.
            let x = _mm256_xor_si256(base, _mm256_add_epi32(_mm256_set1_epi32(row as i32), s));
            let x =
                mix_but_last!(_mm256_xor_si256, _mm256_srli_epi32, _mm256_mullo_epi32; x, m1, m2);
            let x = _mm256_xor_si256(x, _mm256_srli_epi32::<16>(x));
            let u = _mm256_or_si256(_mm256_and_si256(x, keep), half);
            let t = _mm256_set1_epi64x(i64::from(t.min(0xFFFF)));
            let low = four(_mm256_castsi256_si128(u), (l4[0], h4[0]), (t, a));
            let high = four(_mm256_extracti128_si256::<1>(u), (l4[1], h4[1]), (t, a));
            // Without a branch: a yes is rare and could not be predicted.
            if let Some(w) = o.get_mut(k / 64) {
                *w |= u64::from(low | high << 4) << (k % 64);
            }
        }
        k += LANES;
    }
    // Lanes past the last whole pass are not looked at, as in `packed_rows` (the
    // packed rows come in whole passes).
}

/// Four lanes' answers (bits 0 to 3): their draws `u`, the products' halves `l` and
/// `h` (widened to 64 bits), the trace `t` (in each 64-bit lane) and the shift `a`.
#[cfg(target_arch = "x86_64")]
#[inline]
#[target_feature(enable = "avx2")]
fn four(u: __m128i, (l, h): (__m256i, __m256i), (t, a): (__m256i, __m128i)) -> u32 {
    let bound = _mm256_sll_epi64(_mm256_cvtepu32_epi64(u), a);
    let p = _mm256_add_epi64(
        _mm256_mul_epu32(l, t),
        _mm256_slli_epi64::<32>(_mm256_mul_epu32(h, t)),
    );
    // p >= bound: not bound > p (both below 2^63).
    let over = _mm256_cmpgt_epi64(bound, p);
    !(_mm256_movemask_pd(_mm256_castsi256_pd(over)) as u32) & 0xF
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The AVX2 and AVX-512 rows give the portable rows' hits for every trace, shift, draw
        /// base and row, on products up to 2^47 (a sixth of them zero, as past the
        /// packed columns), up to 256 columns and 20 rows. (On a processor without
        /// AVX-512 the AVX-512 rows are the AVX2 ones, and without AVX2 both are the
        /// portable rows.)
        #[test]
        fn kernels_are_the_portable_rows(
            cols in prop::collection::vec((any::<u32>(), 0u32..1 << 15, any::<u32>(), 0u8..6), 0..=256),
            rows in prop::collection::vec((any::<u32>(), 0u32..=0xFFFF), 0..20),
            base: u32,
            a in 1u32..=31,
        ) {
            let lo: Vec<u32> = cols.iter().map(|c| if c.3 == 0 { 0 } else { c.0 }).collect();
            let hi: Vec<u32> = cols.iter().map(|c| if c.3 == 0 { 0 } else { c.1 >> (c.3 * 3) }).collect();
            let spread: Vec<u32> = cols.iter().map(|c| c.2).collect();
            let r = PackedRows { lo: &lo, hi: &hi, spread: &spread, base, a, rows: &rows };
            let (mut x, mut y) = (vec![[7u64; 4]; rows.len()], vec![[9u64; 4]; rows.len()]);
            let mut z = vec![[5u64; 4]; rows.len()];
            avx2(r, &mut x);
            avx512(r, &mut z);
            packed_rows(r, &mut y);
            prop_assert_eq!(&x, &y);
            prop_assert_eq!(z, y);
        }

        /// At the comparator's edge: each column's product is its draw shifted by
        /// `a`, or one less (trace 1), so that `>=` and `>` differ in every lane.
        #[test]
        fn kernels_decide_the_edge(
            cols in prop::collection::vec((any::<u32>(), any::<bool>()), 0..=64),
            row: u32,
            base: u32,
            a in 1u32..=31,
        ) {
            let spread: Vec<u32> = cols.iter().map(|c| c.0).collect();
            let edge = |(s, below): &(u32, bool)| {
                let h = neurochip_core::hash::bits32_spread(base, row.wrapping_add(*s));
                (u64::from((h & !0x7FFF) | 0x8000) << a) - u64::from(*below)
            };
            let lo: Vec<u32> = cols.iter().map(|c| edge(c) as u32).collect();
            let hi: Vec<u32> = cols.iter().map(|c| (edge(c) >> 32) as u32).collect();
            let rows = [(row, 1)];
            let r = PackedRows { lo: &lo, hi: &hi, spread: &spread, base, a, rows: &rows };
            let (mut x, mut y, mut z) = ([[7u64; 4]], [[9u64; 4]], [[5u64; 4]]);
            avx2(r, &mut x);
            avx512(r, &mut z);
            packed_rows(r, &mut y);
            prop_assert_eq!(x, y);
            prop_assert_eq!(z, y);
        }
    }
}
