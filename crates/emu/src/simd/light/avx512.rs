//! [`super`]'s passes sixteen synapses at a time, in AVX-512: each row's hash over
//! sixteen lanes, the 64-bit products and comparisons eight lanes a half, and the
//! answers straight from the comparisons' masks. A call's last eight columns, when
//! its whole passes are an odd number of eights, go through the AVX2 pass
//! ([`super::passes`]).

use core::arch::x86_64::*;
use neurochip_core::update::{Hits, PackedRows};

/// Synapses a pass.
const LANES: usize = 16;

/// The passes of sixteen columns from column 0 while they fit below `n`, their hits
/// or-ed into `out`; returns the first column not looked at.
///
/// # Safety
/// AVX2 and AVX-512 F, BW, VL and DQ must be present, and `n` within `r.lo`, `r.hi`
/// and `r.spread`.
#[allow(unsafe_code)]
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512dq,avx2")]
pub(super) unsafe fn passes(r: PackedRows<'_>, out: &mut [Hits], n: usize) -> usize {
    let base = _mm512_set1_epi32(r.base as i32);
    let m1 = _mm512_set1_epi32(neurochip_core::hash::MIX_MUL[0] as i32);
    let m2 = _mm512_set1_epi32(neurochip_core::hash::MIX_MUL[1] as i32);
    let keep = _mm512_set1_epi32(!0x7FFF);
    let half = _mm512_set1_epi32(0x8000);
    let a = _mm_cvtsi32_si128((r.a & 31) as i32);
    let (lo, hi, sp) = (r.lo.as_ptr(), r.hi.as_ptr(), r.spread.as_ptr());
    let mut k = 0;
    while k + LANES <= n {
        // SAFETY: `k + 16 <= n`, within all three slices; unaligned loads.
        let (s, l, h) = unsafe {
            (
                _mm512_loadu_si512(sp.add(k).cast()),
                _mm512_loadu_si512(lo.add(k).cast()),
                _mm512_loadu_si512(hi.add(k).cast()),
            )
        };
        // The products' halves widened to 64 bits, eight lanes each.
        let widen = |x: __m512i| {
            [
                _mm512_cvtepu32_epi64(_mm512_castsi512_si256(x)),
                _mm512_cvtepu32_epi64(_mm512_extracti64x4_epi64::<1>(x)),
            ]
        };
        let (l8, h8) = (widen(l), widen(h));
        for (&(row, t), o) in r.rows.iter().zip(out.iter_mut()) {
            // `hash::mix(base ^ (row + spread))`, then the draw.
            let x = _mm512_xor_si512(base, _mm512_add_epi32(_mm512_set1_epi32(row as i32), s));
            let x =
                mix_but_last!(_mm512_xor_si512, _mm512_srli_epi32, _mm512_mullo_epi32; x, m1, m2);
            let x = _mm512_xor_si512(x, _mm512_srli_epi32::<16>(x));
            let u = _mm512_or_si512(_mm512_and_si512(x, keep), half);
            let t = _mm512_set1_epi64(i64::from(t.min(0xFFFF)));
            let low = eight(_mm512_castsi512_si256(u), (l8[0], h8[0]), (t, a));
            let high = eight(_mm512_extracti64x4_epi64::<1>(u), (l8[1], h8[1]), (t, a));
            if let Some(w) = o.get_mut(k / 64) {
                *w |= (u64::from(low) | u64::from(high) << 8) << (k % 64);
            }
        }
        k += LANES;
    }
    k
}

/// Eight lanes' answers (bits 0 to 7), as [`super::four`]'s: `p t >= u << a`.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512dq,avx2")]
fn eight(u: __m256i, (l, h): (__m512i, __m512i), (t, a): (__m512i, __m128i)) -> u8 {
    let bound = _mm512_sll_epi64(_mm512_cvtepu32_epi64(u), a);
    let p = _mm512_add_epi64(
        _mm512_mul_epu32(l, t),
        _mm512_slli_epi64::<32>(_mm512_mul_epu32(h, t)),
    );
    // Both below 2^63: a signed compare.
    _mm512_cmpge_epi64_mask(p, bound)
}
