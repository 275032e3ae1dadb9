//! The exact engine's online weight update ([`OnlineRow`]) in AVX2, eight synapses a
//! pass: the core's one-shift recipe (`neurochip_core::update`) with its 64-bit
//! arithmetic arranged for the vector unit rather than left to the compiler.
//!
//! Per synapse, with `d` its 16 dither bits, `r` the shift (17 to 46: `ONE_SHIFT`
//! but its first) and `up = max(r - 32, 0)`:
//!
//! ```text
//! a      = ((2d + 1) << up) * 2^(r - 1 - up) - L * ebar      (64 bits, no wrap)
//! change = (a >> 32) >> (r - 16)                             (below 2^30 either way)
//! w      = clamp(w + change, lo, hi)
//! ```
//!
//! The core bounds the change to `[-2^18, 2^18)` before adding it; with `r >= 17` the
//! 32-bit sum cannot wrap, and a change past that bound takes any 16-bit weight to the
//! same bound of its range, so the kernel leaves the step bound out (two operations
//! and two constants fewer a pass). `d << (up + 1)` comes from the hash's low half
//! moved to the top of the word and shifted back by `15 - up`, without the mask's
//! constant: three constants fewer in all, so that more of the loop's constants stay
//! in registers.
//!
//! The compiler widens each 32-bit lane to 64 bits and packs the results back,
//! lane-crossing shuffles that cost more than the arithmetic. Here both 64-bit
//! products stay in place: `_mm256_mul_epi32` multiplies the even lanes, and the odd
//! lanes after a 32-bit shift of each 64-bit pair; the high words of the even results
//! shift down into the even lanes, and a blend with the odd results (whose high words
//! already sit in the odd lanes) gives the eight high words in order. Only the final
//! narrowing to 16 bits crosses lanes. `tests` checks every shift, bound and tail
//! against the portable loop.

use neurochip_core::hash::{INDEX_MUL, MIX_MUL};
use neurochip_core::update::{online_row, OnlineRow};

#[cfg(target_arch = "x86_64")]
use core::arch::x86_64::*;

/// Synapses a pass.
const LANES: usize = 8;

/// The shifts the kernel takes: [`ONE_SHIFT`](neurochip_core::update::ONE_SHIFT)
/// but its first, 16, where the change is the whole high word and could wrap the
/// weight's 32-bit sum (the portable row takes it).
const KERNEL_SHIFT: core::ops::RangeInclusive<u32> = 17..=46;

/// The [`OnlineKernel`](neurochip_core::update::OnlineKernel) of the AVX2 paths:
/// [`online_row`]'s bits. On a processor without AVX2 it is [`online_row`].
pub fn avx2(row: OnlineRow<'_>) {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") && KERNEL_SHIFT.contains(&row.right) {
        // SAFETY: the processor has every feature `rows` is compiled for (checked
        // just above).
        #[allow(unsafe_code)]
        unsafe {
            rows(row)
        };
        return;
    }
    online_row(row);
}

/// What every pass of a row shares: the draw's and the change's constants.
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy)]
struct Pass {
    base: __m256i,
    m1: __m256i,
    m2: __m256i,
    odd_bit: __m256i,
    back: __m128i,
    scale: __m256i,
    down: __m128i,
    lo: __m256i,
    hi: __m256i,
}

#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
impl Pass {
    /// The new weights (in 32-bit lanes) of eight synapses whose draw indices times
    /// INDEX_MUL are `spread`, from their eligibilities `e`, learning signals `l`
    /// and 16-bit weights at `w`.
    ///
    /// # Safety
    /// AVX2 must be present, and `w` readable for 16 bytes.
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn weights(&self, spread: __m256i, e: __m256i, l: __m256i, w: *const i16) -> __m256i {
        // `hash::mix` (murmur3's finaliser) of base ^ index * INDEX_MUL (`hash::bits32`).
        let mut h = _mm256_xor_si256(self.base, spread);
        h = _mm256_xor_si256(h, _mm256_srli_epi32::<16>(h));
        h = _mm256_mullo_epi32(h, self.m1);
        h = _mm256_xor_si256(h, _mm256_srli_epi32::<13>(h));
        h = _mm256_mullo_epi32(h, self.m2);
        h = _mm256_xor_si256(h, _mm256_srli_epi32::<16>(h));
        // The draw `d` (the low 16 bits) times 2^(up + 1): moved to the top, then
        // down by 15 - up (no mask).
        let d = _mm256_srl_epi32(_mm256_slli_epi32::<16>(h), self.back);
        let odd = _mm256_or_si256(d, self.odd_bit);
        let p_even = _mm256_mul_epi32(l, e);
        let p_odd = _mm256_mul_epi32(_mm256_srli_epi64::<32>(l), _mm256_srli_epi64::<32>(e));
        let m_even = _mm256_mul_epu32(odd, self.scale);
        let m_odd = _mm256_mul_epu32(_mm256_srli_epi64::<32>(odd), self.scale);
        let a_even = _mm256_sub_epi64(m_even, p_even);
        let a_odd = _mm256_sub_epi64(m_odd, p_odd);
        let high = _mm256_blend_epi32::<0b1010_1010>(_mm256_srli_epi64::<32>(a_even), a_odd);
        // With r >= 17 the change is below 2^30 either way, so the sum cannot wrap
        // and the weight's bounds clamp it as the core's step bound would.
        let change = _mm256_sra_epi32(high, self.down);
        // SAFETY: the caller's.
        let old = _mm256_cvtepi16_epi32(unsafe { _mm_loadu_si128(w.cast()) });
        let sum = _mm256_add_epi32(old, change);
        _mm256_min_epi32(_mm256_max_epi32(sum, self.lo), self.hi)
    }
}

/// Eight 32-bit lanes (each within `i16`) as eight `i16` at `w`.
///
/// # Safety
/// AVX2 must be present, and `w` writable for 16 bytes.
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
#[inline]
#[target_feature(enable = "avx2")]
unsafe fn store8(w: *mut i16, x: __m256i) {
    // Within i16: packing does not saturate.
    let packed = _mm256_permute4x64_epi64::<0b1000>(_mm256_packs_epi32(x, x));
    // SAFETY: the caller's.
    unsafe { _mm_storeu_si128(w.cast(), _mm256_castsi256_si128(packed)) };
}

/// The update of a call's rows, each eight synapses at a time: the constants set up
/// once for them all.
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
#[target_feature(enable = "avx2")]
fn rows(row: OnlineRow<'_>) {
    let OnlineRow {
        w,
        ebar,
        lsig,
        right,
        bounds,
        base,
        index0,
    } = row;
    let up = right.saturating_sub(32);
    let pass = Pass {
        base: _mm256_set1_epi32(base as i32),
        m1: _mm256_set1_epi32(MIX_MUL[0] as i32),
        m2: _mm256_set1_epi32(MIX_MUL[1] as i32),
        // (2d + 1) << up = (d << (up + 1)) | (1 << up), below 2^31 (d < 2^16, up <= 14).
        odd_bit: _mm256_set1_epi32(1 << up),
        back: _mm_cvtsi32_si128(15 - up as i32),
        scale: _mm256_set1_epi64x(1i64 << (right - 1 - up)),
        down: _mm_cvtsi32_si128(right as i32 - 16),
        lo: _mm256_set1_epi32(bounds.lo),
        hi: _mm256_set1_epi32(bounds.hi),
    };
    let n = lsig.len().max(1);
    for (r, (w, ebar)) in w.chunks_mut(n).zip(ebar.chunks(n)).enumerate() {
        one_row(
            &pass,
            (w, ebar, lsig),
            index0.wrapping_add(r.wrapping_mul(n)),
        );
    }
}

/// One row of [`rows`] from synapse `index0`, over the shortest of its slices.
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
#[inline]
#[target_feature(enable = "avx2")]
fn one_row(pass: &Pass, (w, ebar, lsig): (&mut [i16], &[i32], &[i32]), index0: usize) {
    let len = w.len().min(ebar.len()).min(lsig.len());
    let full = len - len % LANES;
    // The draw index of lane k of the first pass, times INDEX_MUL.
    let s0 = _mm256_set1_epi32((index0 as u32).wrapping_mul(INDEX_MUL) as i32);
    let mut spread = _mm256_add_epi32(s0, lane_multiples());
    let step = _mm256_set1_epi32(INDEX_MUL.wrapping_mul(LANES as u32) as i32);
    let (wv, wrest) = w.split_at_mut(full);
    let chunks = wv
        .chunks_exact_mut(LANES)
        .zip(ebar.chunks_exact(LANES).zip(lsig.chunks_exact(LANES)));
    for (wc, (ec, lc)) in chunks {
        // SAFETY: each chunk holds exactly LANES elements: 32 bytes of i32 or 16 of
        // i16, read and written unaligned.
        unsafe {
            let e = _mm256_loadu_si256(ec.as_ptr().cast());
            let l = _mm256_loadu_si256(lc.as_ptr().cast());
            let new = pass.weights(spread, e, l, wc.as_ptr());
            store8(wc.as_mut_ptr(), new);
        }
        spread = _mm256_add_epi32(spread, step);
    }
    // The rest (fewer than eight) as one pass more through a padded copy: the lanes
    // are independent, so the padding changes nothing.
    let rest = len - full;
    if rest == 0 {
        return;
    }
    // (Lane by lane over all eight: a copy of `rest` elements would call `memmove`.)
    let (mut wt, mut et, mut lt) = ([0i16; LANES], [0i32; LANES], [0i32; LANES]);
    for k in 0..LANES {
        if k < rest {
            (wt[k], et[k], lt[k]) = (wrest[k], ebar[full + k], lsig[full + k]);
        }
    }
    // SAFETY: the padded copies hold LANES elements each.
    unsafe {
        let e = _mm256_loadu_si256(et.as_ptr().cast());
        let l = _mm256_loadu_si256(lt.as_ptr().cast());
        let new = pass.weights(spread, e, l, wt.as_ptr());
        store8(wt.as_mut_ptr(), new);
    }
    for (k, &x) in wt.iter().enumerate() {
        if k < rest {
            wrest[k] = x;
        }
    }
}

/// `INDEX_MUL * k` in lane `k`.
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
#[inline]
#[target_feature(enable = "avx2")]
fn lane_multiples() -> __m256i {
    let m = |k: u32| INDEX_MUL.wrapping_mul(k) as i32;
    _mm256_setr_epi32(m(0), m(1), m(2), m(3), m(4), m(5), m(6), m(7))
}

#[cfg(test)]
mod tests {
    use super::*;
    use neurochip_core::update::{exact, Bounds, ONE_SHIFT};
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        /// The AVX2 kernel gives the portable loop's bits, and both give a row at a
        /// time's ([`neurochip_core::update::exact`] a row): any eligibility and
        /// learning signal (full 32-bit range), every shift of the one-shift path,
        /// any bounds within 16 bits (Dale's halves included), one row or several of
        /// any length (the tails), any first index and base.
        #[test]
        fn avx2_is_the_portable_loop(
            cells in proptest::collection::vec((any::<i16>(), any::<i32>(), any::<i32>()), 0..40),
            width in any::<prop::sample::Index>(),
            small in any::<bool>(),
            right in ONE_SHIFT,
            (lo, hi) in (-32768i32..=0, 0i32..=32767),
            half in 0u8..3,
            base in any::<u32>(),
            index0 in any::<u32>(),
        ) {
            // Half the rows with the small values online learning meets.
            let shrink = |x: i32| if small { x >> 12 } else { x };
            let w0: Vec<i16> = cells.iter().map(|c| c.0).collect();
            let ebar: Vec<i32> = cells.iter().map(|c| shrink(c.1)).collect();
            // Rows of `n` synapses (one row when `n` is the length).
            let n = 1 + width.index(cells.len().max(1));
            let lsig: Vec<i32> = cells.iter().take(n).map(|c| shrink(c.2)).collect();
            let bounds = match half {
                0 => Bounds { lo, hi },
                1 => Bounds { lo: 0, hi },
                _ => Bounds { lo, hi: 0 },
            };
            let row = |w| OnlineRow {
                w,
                ebar: &ebar,
                lsig: &lsig,
                right,
                bounds,
                base,
                index0: index0 as usize,
            };
            let (mut want, mut got, mut each) = (w0.clone(), w0.clone(), w0);
            online_row(row(&mut want));
            avx2(row(&mut got));
            prop_assert_eq!(&got, &want);
            let rows = each.chunks_mut(n).zip(ebar.chunks(n));
            for (r, (w, e)) in rows.enumerate() {
                let at = index0 as usize + r * n;
                exact(w, &mut [], e, &lsig, right as i32, bounds, base, at, None);
            }
            prop_assert_eq!(got, each);
        }
    }
}
