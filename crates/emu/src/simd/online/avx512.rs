//! The narrow form of [`super`] sixteen synapses a pass, in AVX-512: the same
//! operations as the AVX2 pass ([`Pass::weights`] with `NARROW`) on twice the lanes,
//! the bound test into a mask, and the new weights narrowed to 16 bits by one
//! truncating move (each lies within `i16`). A pass whose eligibilities are past the
//! call's bound goes through the AVX2 pass eight synapses at a time (the narrow or
//! the wide form, as there), and a row's last fifteen or fewer through
//! [`one_row`]: every synapse gets the AVX2 kernel's bits, which are the portable
//! row's.

use super::{one_row, store16, Operands, Pass, NARROW};
use core::arch::x86_64::*;
use neurochip_core::hash::INDEX_MUL;

/// Synapses a pass.
const LANES: usize = 16;

/// [`Pass`]'s constants of the narrow form in sixteen lanes.
#[derive(Clone, Copy)]
struct Wide {
    base: __m512i,
    m1: __m512i,
    m2: __m512i,
    odd_bit: __m512i,
    e_bias: __m512i,
    e_over: __m512i,
    lo: __m512i,
    hi: __m512i,
}

#[allow(unsafe_code)]
impl Wide {
    /// Each of `pass`'s eight-lane constants in both halves (each is one value in
    /// every lane).
    #[inline]
    #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512dq,avx2")]
    fn of(pass: &Pass) -> Self {
        let b = _mm512_broadcast_i64x4;
        Self {
            base: b(pass.base),
            m1: b(pass.m1),
            m2: b(pass.m2),
            odd_bit: b(pass.odd_bit),
            e_bias: b(pass.e_bias),
            e_over: b(pass.e_over),
            lo: b(pass.lo),
            hi: b(pass.hi),
        }
    }

    /// The new weights of the sixteen synapses at `k` (draw indices times INDEX_MUL
    /// in `spread`), in the narrow form, or `None` when an eligibility is past the
    /// call's bound.
    ///
    /// # Safety
    /// AVX-512 F, BW, VL and DQ must be present, `k + 16` within `ebar`, `lsig` (the
    /// negated learning signals) and `w`.
    #[inline]
    #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512dq,avx2")]
    unsafe fn weights(
        &self,
        pass: &Pass,
        spread: __m512i,
        (ebar, lsig, k): (&[i32], &[i32], usize),
        w: *const i16,
    ) -> Option<__m512i> {
        let (ep, lp) = (ebar.as_ptr(), lsig.as_ptr());
        // SAFETY: the caller's bound for `k..k + 16`; `k + 1..k + 17` only where
        // `k + 16` is below both lengths.
        let (e, l) = unsafe {
            (
                _mm512_loadu_si512(ep.add(k).cast()),
                _mm512_loadu_si512(lp.add(k).cast()),
            )
        };
        if _mm512_test_epi32_mask(_mm512_add_epi32(e, self.e_bias), self.e_over) != 0 {
            return None;
        }
        let (e_odd, l_odd) = if k + LANES < ebar.len().min(lsig.len()) {
            // SAFETY: as above.
            unsafe {
                (
                    _mm512_loadu_si512(ep.add(k + 1).cast()),
                    _mm512_loadu_si512(lp.add(k + 1).cast()),
                )
            }
        } else {
            (_mm512_srli_epi64::<32>(e), _mm512_srli_epi64::<32>(l))
        };
        // The hash and draw of `Pass::weights`.
        let h = _mm512_xor_si512(self.base, spread);
        let h = mix_but_last!(_mm512_xor_si512, _mm512_srli_epi32, _mm512_mullo_epi32; h, self.m1, self.m2);
        let x = _mm512_xor_si512(h, _mm512_slli_epi32::<16>(h));
        let odd = _mm512_or_si512(_mm512_srli_epi32::<15>(x), self.odd_bit);
        // G's low words, as there.
        let np_even = _mm512_mul_epi32(l, e);
        let np_odd = _mm512_mul_epi32(l_odd, e_odd);
        let g = _mm512_mask_blend_epi32(
            0xAAAA,
            _mm512_srl_epi64(np_even, pass.g_even),
            _mm512_sll_epi64(np_odd, pass.g_odd),
        );
        let change = _mm512_srai_epi32::<17>(_mm512_add_epi32(odd, g));
        // SAFETY: the caller's.
        let old = _mm512_cvtepi16_epi32(unsafe { _mm256_loadu_si256(w.cast()) });
        let sum = _mm512_add_epi32(old, change);
        Some(_mm512_min_epi32(_mm512_max_epi32(sum, self.lo), self.hi))
    }
}

/// Each row of a narrow call (its weights, eligibilities and first index) sixteen
/// synapses a pass, with the negated learning signals `neg`.
///
/// # Safety
/// AVX-512 F, BW, VL and DQ and AVX2 must be present.
#[allow(unsafe_code)]
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512dq,avx2")]
pub(super) unsafe fn each<'a>(
    pass: &Pass,
    rows: impl Iterator<Item = ((&'a mut [i16], &'a [i32]), usize)>,
    neg: &[i32],
) {
    let wide = Wide::of(pass);
    let m = |k: u32| INDEX_MUL.wrapping_mul(k) as i32;
    // The draw index of lane k of a pass, times INDEX_MUL, from the pass's first.
    let lanes: [i32; LANES] = core::array::from_fn(|k| m(k as u32));
    // SAFETY: `lanes` holds sixteen `i32`; an unaligned load.
    let lanes = unsafe { _mm512_loadu_si512(lanes.as_ptr().cast()) };
    let step = _mm512_set1_epi32(m(LANES as u32));
    for ((w, ebar), index0) in rows {
        let len = w.len().min(ebar.len()).min(neg.len());
        let (w, ebar) = (&mut w[..len], &ebar[..len]);
        let full = len - len % LANES;
        let mut spread = _mm512_add_epi32(_mm512_set1_epi32(m(index0 as u32)), lanes);
        let wp = w.as_mut_ptr();
        let mut k = 0;
        while k < full {
            // SAFETY: `k + 16 <= full <= len`, and every slice holds `len`.
            unsafe {
                match wide.weights(pass, spread, (ebar, neg, k), wp.add(k)) {
                    Some(new) => _mm256_storeu_si256(wp.add(k).cast(), _mm512_cvtepi32_epi16(new)),
                    None => {
                        let lo = _mm512_castsi512_si256(spread);
                        let hi = _mm512_extracti64x4_epi64::<1>(spread);
                        let a = pass.update::<NARROW>(lo, Operands::at(ebar, neg, k), wp.add(k));
                        let b = pass.update::<NARROW>(
                            hi,
                            Operands::at(ebar, neg, k + 8),
                            wp.add(k + 8),
                        );
                        store16(wp.add(k), a, b);
                    }
                }
            }
            spread = _mm512_add_epi32(spread, step);
            k += LANES;
        }
        if full < len {
            let at = index0.wrapping_add(full);
            one_row::<NARROW>(pass, (&mut w[full..], &ebar[full..], &neg[full..]), at);
        }
    }
}
