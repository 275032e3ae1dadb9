//! The exact engine's online weight update ([`OnlineRow`]) in AVX2, eight synapses a
//! pass: the core's online recipe (`neurochip_core::update`) with its 64-bit
//! arithmetic arranged for the vector unit rather than left to the compiler, in
//! three forms: wide and narrow for the shifts of the one-shift path but its first
//! (17 to 46), small for the shifts below 16 (`small`, below). Shift 16 takes the
//! portable row.
//!
//! Per synapse, with `d` its 16 dither bits, `r` the shift (17 to 46) and
//! `up = max(r - 32, 0)`:
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
//! and two constants fewer a pass).
//!
//! **The narrow form.** The change is `floor(a / 2^(r + 16))`, and `(2d + 1) 2^(r - 1)`
//! is a multiple of `2^(r - 1)`, so it is also
//!
//! ```text
//! change = (2d + 1 + G) >> 17,   G = floor(-L ebar / 2^(r - 1))
//! ```
//!
//! When `|L ebar|` is below `2^(r + 28)` (learning's values are far below it: bench256
//! has `|L| < 2^22`, `|ebar| < 2^16`, `r` 21 and 23), `G` is within `2^29` and this
//! sum fits 32 bits. With `r <= 32`, `G` is the low word of the 64-bit product
//! shifted right by `r - 1`, logically or not (they differ above bit `64 - r`). The
//! kernel then needs no dither product, no 64-bit subtraction and no second shift:
//! 19% less time a pass than the wide form. A call takes the narrow form when
//! `r <= 32` and no `L` is `i32::MIN` (whose negation wraps); from its largest `|L|`
//! it sets a bound `2^b` on the eligibilities, and each pass tests its eight against
//! it (one addition and one test, on values already in registers: a scan of the
//! call's `ebar` first cost twice as much, in cache misses). A pass past the bound
//! takes the wide form, with the negated learning signals.
//!
//! **The wide form.** The compiler widens each 32-bit lane to 64 bits and packs the
//! results back, lane-crossing shuffles that cost more than the arithmetic. Here both
//! 64-bit products stay in place: `_mm256_mul_epi32` multiplies the even lanes, and the
//! odd lanes loaded one synapse on (or shifted down, at a row's end); the high words of
//! the even results shift down into the even lanes, and a blend with the odd results
//! (whose high words already sit in the odd lanes) gives the eight high words in order.
//!
//! In both, `h ^ (h << 16)` holds the draw `d` (the low half of the hash's last
//! `h ^ (h >> 16)`) in its top 16 bits, and two passes share one narrowing to 16
//! bits and one store. `tests` checks every shift, bound, form and tail against the
//! portable loop.

use core::ops::RangeInclusive;
use neurochip_core::hash::{INDEX_MUL, MIX_MUL};
use neurochip_core::update::{online_row, OnlineRow, ONE_SHIFT};

#[cfg(target_arch = "x86_64")]
use core::arch::x86_64::*;

#[cfg(target_arch = "x86_64")]
mod avx512;

/// Synapses a pass.
const LANES: usize = 8;

/// The shifts of the narrow and wide forms: [`ONE_SHIFT`] but its first, 16, where
/// the change is the whole high word and could wrap the weight's 32-bit sum (the
/// portable row takes it).
const KERNEL_SHIFT: RangeInclusive<u32> = *ONE_SHIFT.start() + 1..=*ONE_SHIFT.end();

/// The shifts of the small form, those below [`ONE_SHIFT`] (the readout's, on most
/// networks).
const SMALL_SHIFT: RangeInclusive<u32> = 0..=*ONE_SHIFT.start() - 1;

/// The kernel's forms ([`Pass::weights`]): wide with `up = 0`, wide with `up > 0`,
/// narrow, and wide with negated learning signals (a narrow call's pass whose
/// eligibilities are past its bound).
const WIDE: u8 = 0;
const WIDE_UP: u8 = 1;
const NARROW: u8 = 2;
const WIDE_NEG: u8 = 3;
/// The small form: a shift below 16, products within 2^30 (`small`).
const SMALL: u8 = 4;

/// The [`OnlineKernel`](neurochip_core::update::OnlineKernel) of the AVX2 paths:
/// [`online_row`]'s bits. On a processor without AVX2 it is [`online_row`].
pub fn avx2(row: OnlineRow<'_>) {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2")
        && (KERNEL_SHIFT.contains(&row.right) || SMALL_SHIFT.contains(&row.right))
    {
        // SAFETY: the processor has every feature `rows` is compiled for (checked
        // just above).
        #[allow(unsafe_code)]
        unsafe {
            rows(row, false)
        };
        return;
    }
    online_row(row);
}

/// The [`OnlineKernel`](neurochip_core::update::OnlineKernel) of the AVX-512 path:
/// [`avx2`]'s, with the narrow form sixteen synapses a pass ([`avx512`]). On a
/// processor without AVX-512 it is [`avx2`].
pub fn avx512(row: OnlineRow<'_>) {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2")
        && super::x86::has_avx512()
        && KERNEL_SHIFT.contains(&row.right)
    {
        // SAFETY: the processor has AVX2 and every AVX-512 feature the narrow
        // passes are compiled for (checked just above).
        #[allow(unsafe_code)]
        unsafe {
            rows(row, true)
        };
        return;
    }
    avx2(row);
}

/// Whether a call may take the narrow form (`r <= 32`, no `L` of `i32::MIN`), and if
/// so the bound `b` on its eligibilities: a pass whose eligibilities are all in
/// `[-2^b, 2^b)` has `|L ebar| < 2^(r + 28)`, so that `|G| < 2^29`. At 31 or more
/// every eligibility is within it.
fn narrow_bound(lsig: &[i32], right: u32) -> Option<u32> {
    let l = max_abs(lsig);
    // |L| < 2^bits(l), so |L| 2^b < 2^(bits(l) + b) = 2^(r + 28).
    let bits = u32::BITS - l.leading_zeros();
    (right <= 32 && l < 1 << 31).then(|| (right + 28).saturating_sub(bits))
}

/// Whether a call takes the small form: a shift below 16, and
/// `max |L| * max |ebar| < 2^30` over its synapses, so that each product, `half - p`,
/// its shift and the sum with the draw fit 32 bits. Its change is
/// `((half - L ebar) >> r + d) >> 16`, within 2^14: the core's step bound (2^18)
/// never applies. The readout's calls are a few rows of a few synapses, so the
/// bound is found over the call's values first.
#[inline]
fn small(ebar: &[i32], lsig: &[i32]) -> bool {
    u64::from(max_abs(lsig)) * u64::from(max_abs(ebar)) < 1 << 30
}

/// The largest magnitude of `xs` (`i32::MIN`'s is 2^31).
#[inline]
fn max_abs(xs: &[i32]) -> u32 {
    xs.iter().fold(0u32, |m, &x| m.max(x.unsigned_abs()))
}

std::thread_local! {
    /// The negated learning signals of a narrow call (a buffer kept for the thread).
    static NEG_L: core::cell::RefCell<Vec<i32>> = const { core::cell::RefCell::new(Vec::new()) };
}

/// What every pass of a row shares: the draw's and the change's constants.
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy)]
struct Pass {
    base: __m256i,
    m1: __m256i,
    m2: __m256i,
    odd_bit: __m256i,
    up1: __m128i,
    scale: __m256i,
    down: __m128i,
    g_even: __m128i,
    g_odd: __m128i,
    half: __m256i,
    right: __m128i,
    e_bias: __m256i,
    e_over: __m256i,
    lo: __m256i,
    hi: __m256i,
}

/// Eight synapses' operands: their eligibilities `e` and learning signals `l`, and
/// the same with the odd synapses' values in the low halves of the 64-bit lanes
/// (`e_odd`, `l_odd`: loaded one synapse on, or shifted down).
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy)]
struct Operands {
    e: __m256i,
    e_odd: __m256i,
    l: __m256i,
    l_odd: __m256i,
}

#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
impl Operands {
    /// The operands of the pass at `k` of `ebar` and `lsig` (both readable at
    /// `k..k + 8`): the odd values loaded from `k + 1` where `k + 8` is in both,
    /// else shifted down.
    ///
    /// # Safety
    /// AVX2 must be present, and `k + 8 <= min(ebar.len(), lsig.len())`.
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn at(ebar: &[i32], lsig: &[i32], k: usize) -> Self {
        let (ep, lp) = (ebar.as_ptr(), lsig.as_ptr());
        // SAFETY: the caller's bound for `k..k + 8`; `k + 1..k + 9` only where
        // `k + 8` is below both lengths.
        unsafe {
            let e = _mm256_loadu_si256(ep.add(k).cast());
            let l = _mm256_loadu_si256(lp.add(k).cast());
            if k + LANES < ebar.len().min(lsig.len()) {
                let e_odd = _mm256_loadu_si256(ep.add(k + 1).cast());
                let l_odd = _mm256_loadu_si256(lp.add(k + 1).cast());
                Self { e, e_odd, l, l_odd }
            } else {
                Self::shifted(e, l)
            }
        }
    }

    /// The operands of `e` and `l`, the odd values shifted down.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn shifted(e: __m256i, l: __m256i) -> Self {
        let (e_odd, l_odd) = (_mm256_srli_epi64::<32>(e), _mm256_srli_epi64::<32>(l));
        Self { e, e_odd, l, l_odd }
    }
}

#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
impl Pass {
    /// The new weights (in 32-bit lanes) of eight synapses whose draw indices times
    /// INDEX_MUL are `spread`, from their operands (with [`NARROW`], the negated
    /// learning signals) and 16-bit weights at `w`, in the form `FORM`.
    ///
    /// # Safety
    /// AVX2 must be present, and `w` readable for 16 bytes.
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn weights<const FORM: u8>(
        &self,
        spread: __m256i,
        o: Operands,
        w: *const i16,
    ) -> __m256i {
        // `hash::mix` (murmur3's finaliser) of base ^ index * INDEX_MUL
        // (`hash::bits32`), but for its last step.
        let h = _mm256_xor_si256(self.base, spread);
        let h = mix_but_last!(_mm256_xor_si256, _mm256_srli_epi32, _mm256_mullo_epi32; h, self.m1, self.m2);
        // The last step, `h ^ (h >> 16)`, only for the draw `d` (its low 16 bits):
        // `x = h ^ (h << 16)` holds `d` in its top 16 bits, above h's low 16.
        let x = _mm256_xor_si256(h, _mm256_slli_epi32::<16>(h));
        if FORM == SMALL {
            // ((half - p) >> r + d) >> 16, all within 32 bits (`small`).
            let p = _mm256_mullo_epi32(o.l, o.e);
            let q = _mm256_sra_epi32(_mm256_sub_epi32(self.half, p), self.right);
            let change = _mm256_srai_epi32::<16>(_mm256_add_epi32(q, _mm256_srli_epi32::<16>(x)));
            // SAFETY: the caller's.
            let old = _mm256_cvtepi16_epi32(unsafe { _mm_loadu_si128(w.cast()) });
            let sum = _mm256_add_epi32(old, change);
            return _mm256_min_epi32(_mm256_max_epi32(sum, self.lo), self.hi);
        }
        // (2d + 1) << up: with up = 0, `x >> 15` is 2d above one bit of h, which
        // the odd bit covers; else d comes down first, then goes up by up + 1.
        let d = if FORM == WIDE_UP {
            _mm256_sll_epi32(_mm256_srli_epi32::<16>(x), self.up1)
        } else {
            _mm256_srli_epi32::<15>(x)
        };
        let odd = _mm256_or_si256(d, self.odd_bit);
        let change = if FORM == NARROW {
            // G's low words: the even products shifted down by r - 1, the odd ones
            // up by 33 - r (into the odd lanes).
            let np_even = _mm256_mul_epi32(o.l, o.e);
            let np_odd = _mm256_mul_epi32(o.l_odd, o.e_odd);
            let g = _mm256_blend_epi32::<0b1010_1010>(
                _mm256_srl_epi64(np_even, self.g_even),
                _mm256_sll_epi64(np_odd, self.g_odd),
            );
            _mm256_srai_epi32::<17>(_mm256_add_epi32(odd, g))
        } else {
            let p_even = _mm256_mul_epi32(o.l, o.e);
            let p_odd = _mm256_mul_epi32(o.l_odd, o.e_odd);
            let m_even = _mm256_mul_epu32(odd, self.scale);
            let m_odd = _mm256_mul_epu32(_mm256_srli_epi64::<32>(odd), self.scale);
            let (a_even, a_odd) = if FORM == WIDE_NEG {
                (
                    _mm256_add_epi64(m_even, p_even),
                    _mm256_add_epi64(m_odd, p_odd),
                )
            } else {
                (
                    _mm256_sub_epi64(m_even, p_even),
                    _mm256_sub_epi64(m_odd, p_odd),
                )
            };
            let high = _mm256_blend_epi32::<0b1010_1010>(_mm256_srli_epi64::<32>(a_even), a_odd);
            _mm256_sra_epi32(high, self.down)
        };
        // With r >= 17 the change is below 2^30 either way, so the sum cannot wrap
        // and the weight's bounds clamp it as the core's step bound would.
        // SAFETY: the caller's.
        let old = _mm256_cvtepi16_epi32(unsafe { _mm_loadu_si128(w.cast()) });
        let sum = _mm256_add_epi32(old, change);
        _mm256_min_epi32(_mm256_max_epi32(sum, self.lo), self.hi)
    }
}

#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
impl Pass {
    /// [`Pass::weights`] in the form `FORM`; a narrow pass whose eligibilities are
    /// past the call's bound in the wide form with negated learning signals.
    ///
    /// # Safety
    /// As [`Pass::weights`].
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn update<const FORM: u8>(
        &self,
        spread: __m256i,
        o: Operands,
        w: *const i16,
    ) -> __m256i {
        // SAFETY: the caller's.
        unsafe {
            if FORM != NARROW {
                self.weights::<FORM>(spread, o, w)
            } else if _mm256_testz_si256(_mm256_add_epi32(o.e, self.e_bias), self.e_over) == 1 {
                self.weights::<NARROW>(spread, o, w)
            } else {
                self.weights::<WIDE_NEG>(spread, o, w)
            }
        }
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

/// Two passes' 32-bit lanes (each within `i16`) as sixteen `i16` at `w`: one pack
/// and one lane fix for both.
///
/// # Safety
/// AVX2 must be present, and `w` writable for 32 bytes.
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
#[inline]
#[target_feature(enable = "avx2")]
unsafe fn store16(w: *mut i16, a: __m256i, b: __m256i) {
    // Within i16: packing does not saturate. The pack interleaves the 128-bit
    // halves (a0 b0 a1 b1); the permute puts them in order.
    let packed = _mm256_permute4x64_epi64::<0b1101_1000>(_mm256_packs_epi32(a, b));
    // SAFETY: the caller's.
    unsafe { _mm256_storeu_si256(w.cast(), packed) };
}

/// The update of a call's rows in the form it allows: the constants set up once for
/// them all. With `wide`, the narrow form sixteen synapses a pass ([`avx512`]).
///
/// # Safety
/// With `wide`, the processor has AVX-512 F, BW, VL and DQ.
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
#[target_feature(enable = "avx2")]
unsafe fn rows(row: OnlineRow<'_>, wide: bool) {
    // A small shift past the small form's bound: the portable row.
    let ebar_used = row.ebar.get(..row.w.len()).unwrap_or(row.ebar);
    if row.right < 16 && !small(ebar_used, row.lsig) {
        return online_row(row);
    }
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
    let bound = narrow_bound(lsig, right);
    let pass = Pass {
        base: _mm256_set1_epi32(base as i32),
        m1: _mm256_set1_epi32(MIX_MUL[0] as i32),
        m2: _mm256_set1_epi32(MIX_MUL[1] as i32),
        // (2d + 1) << up = (d << (up + 1)) | (1 << up), below 2^31 (d < 2^16, up <= 14).
        odd_bit: _mm256_set1_epi32(1 << up),
        up1: _mm_cvtsi32_si128(up as i32 + 1),
        // (The wide and narrow forms' constants; a small shift takes none of them.)
        scale: _mm256_set1_epi64x(1i64 << right.saturating_sub(1 + up)),
        down: _mm_cvtsi32_si128(right as i32 - 16),
        g_even: _mm_cvtsi32_si128(right.saturating_sub(1) as i32),
        g_odd: _mm_cvtsi32_si128(33 - right.min(33) as i32),
        // The small form's rounding half, 2^(r - 1) (none at 0), and its shift.
        half: _mm256_set1_epi32(if right == 0 {
            0
        } else {
            1 << (right - 1).min(30)
        }),
        right: _mm_cvtsi32_si128(right as i32),
        // `ebar + 2^b` is below 2^(b + 1) (unsigned) exactly when `ebar` is in
        // `[-2^b, 2^b)`; with `b >= 31` nothing is tested.
        e_bias: _mm256_set1_epi32(bound.filter(|&b| b < 31).map_or(0, |b| 1 << b)),
        e_over: _mm256_set1_epi32(
            bound
                .filter(|&b| b < 31)
                .map_or(0, |b| !(2u32 << b).wrapping_sub(1) as i32),
        ),
        lo: _mm256_set1_epi32(bounds.lo),
        hi: _mm256_set1_epi32(bounds.hi),
    };
    let n = lsig.len().max(1);
    let row_starts = (0..).map(|r: usize| index0.wrapping_add(r.wrapping_mul(n)));
    let rows = w.chunks_mut(n).zip(ebar.chunks(n)).zip(row_starts);
    if right < 16 {
        // Within the small form's bound (checked first).
        each::<SMALL>(&pass, rows, lsig);
    } else if bound.is_some() {
        NEG_L.with_borrow_mut(|neg| {
            neg.clear();
            // No L is i32::MIN (`narrow_bound`): each negates.
            neg.extend(lsig.iter().map(|&l| l.wrapping_neg()));
            if wide {
                // SAFETY: the caller's.
                unsafe { avx512::each(&pass, rows, neg) };
            } else {
                each::<NARROW>(&pass, rows, neg);
            }
        });
    } else if up > 0 {
        each::<WIDE_UP>(&pass, rows, lsig);
    } else {
        each::<WIDE>(&pass, rows, lsig);
    }
}

/// Each row of a call (its weights, eligibilities and first index) through
/// [`one_row`] in the form `FORM`, with the learning signals `lsig`.
#[cfg(target_arch = "x86_64")]
#[inline]
#[target_feature(enable = "avx2")]
fn each<'a, const FORM: u8>(
    pass: &Pass,
    rows: impl Iterator<Item = ((&'a mut [i16], &'a [i32]), usize)>,
    lsig: &[i32],
) {
    for ((w, ebar), at) in rows {
        one_row::<FORM>(pass, (w, ebar, lsig), at);
    }
}

/// One row of [`rows`] from synapse `index0`, over the shorter of `w` and `ebar`
/// (`lsig` holds at least as many): sixteen synapses a loop pass (two kernel passes
/// sharing one store), then eight, then the rest.
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
#[inline]
#[target_feature(enable = "avx2")]
fn one_row<const FORM: u8>(
    pass: &Pass,
    (w, ebar, lsig): (&mut [i16], &[i32], &[i32]),
    index0: usize,
) {
    let len = w.len().min(ebar.len()).min(lsig.len());
    let (w, ebar) = (&mut w[..len], &ebar[..len]);
    let full = len - len % LANES;
    // The draw index of lane k of the first pass, times INDEX_MUL.
    let s0 = _mm256_set1_epi32((index0 as u32).wrapping_mul(INDEX_MUL) as i32);
    let mut spread = _mm256_add_epi32(s0, lane_multiples());
    let step = _mm256_set1_epi32(INDEX_MUL.wrapping_mul(LANES as u32) as i32);
    let wp = w.as_mut_ptr();
    let mut k = 0;
    while k + 2 * LANES <= full {
        // SAFETY: `k + 16 <= full <= len`, and every slice holds `len`: each pass
        // reads and writes within them, unaligned.
        unsafe {
            let a = pass.update::<FORM>(spread, Operands::at(ebar, lsig, k), wp.add(k));
            spread = _mm256_add_epi32(spread, step);
            let k8 = k + LANES;
            let b = pass.update::<FORM>(spread, Operands::at(ebar, lsig, k8), wp.add(k8));
            spread = _mm256_add_epi32(spread, step);
            store16(wp.add(k), a, b);
        }
        k += 2 * LANES;
    }
    if k < full {
        // SAFETY: `k + 8 == full <= len`, as above.
        unsafe {
            let new = pass.update::<FORM>(spread, Operands::at(ebar, lsig, k), wp.add(k));
            store8(wp.add(k), new);
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
            (wt[k], et[k], lt[k]) = (w[full + k], ebar[full + k], lsig[full + k]);
        }
    }
    // SAFETY: the padded copies hold LANES elements each.
    unsafe {
        let e = _mm256_loadu_si256(et.as_ptr().cast());
        let l = _mm256_loadu_si256(lt.as_ptr().cast());
        let new = pass.update::<FORM>(spread, Operands::shifted(e, l), wt.as_ptr());
        store8(wt.as_mut_ptr(), new);
    }
    for (k, &x) in wt.iter().enumerate() {
        if k < rest {
            w[full + k] = x;
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
    use neurochip_core::update::{exact, Bounds, KERNEL_SHIFTS};
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        /// The AVX2 and AVX-512 kernels give the portable loop's bits, and all give
        /// a row at a time's ([`neurochip_core::update::exact`] a row): any eligibility and
        /// learning signal (full 32-bit range, and the ranges where the forms meet),
        /// every shift a kernel takes,
        /// any bounds within 16 bits (Dale's halves included), one row or several of
        /// any length (the tails), any first index and base. (On a processor
        /// without AVX-512 the AVX-512 kernel is the AVX2 one, and without AVX2
        /// both are the portable loop.)
        #[test]
        fn kernels_are_the_portable_loop(
            cells in proptest::collection::vec((any::<i16>(), any::<i32>(), any::<i32>()), 0..72),
            width in any::<prop::sample::Index>(),
            mag in 0u8..5,
            right in KERNEL_SHIFTS,
            (lo, hi) in (-32768i32..=0, 0i32..=32767),
            half in 0u8..3,
            base in any::<u32>(),
            index0 in any::<u32>(),
        ) {
            // Calls with the small values online learning meets (the narrow form
            // where 17 <= r <= 32), with learning signals whose products reach about
            // 2^(r + 28), where the narrow and wide forms meet, with products
            // within 2^30 or about it (the small form, below 16, and its bound), and
            // with full values.
            let (e_shift, l_shift) = match mag {
                0 => (12, 12),
                1 => (0, 34u32.saturating_sub(right).min(31)),
                2 => (17, 17),
                3 => (16, 16),
                _ => (0, 0),
            };
            let w0: Vec<i16> = cells.iter().map(|c| c.0).collect();
            let ebar: Vec<i32> = cells.iter().map(|c| c.1 >> e_shift).collect();
            // Rows of `n` synapses (one row when `n` is the length).
            let n = 1 + width.index(cells.len().max(1));
            let lsig: Vec<i32> = cells.iter().take(n).map(|c| c.2 >> l_shift).collect();
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
            let (mut want, mut got, mut each) = (w0.clone(), w0.clone(), w0.clone());
            let mut wide = w0;
            online_row(row(&mut want));
            avx2(row(&mut got));
            avx512(row(&mut wide));
            prop_assert_eq!(&got, &want);
            prop_assert_eq!(&wide, &want);
            let rows = each.chunks_mut(n).zip(ebar.chunks(n));
            for (r, (w, e)) in rows.enumerate() {
                let at = index0 as usize + r * n;
                exact(w, &mut [], e, &lsig, right as i32, bounds, base, at, None);
            }
            prop_assert_eq!(got, each);
        }
    }
}
