//! The weight-update kernels of both engines: one presynaptic row at a time, every
//! synapse independent of every other.
//!
//! Each synapse's random bits come from the counter-based hash of (seed, step,
//! layer, synapse) ([`crate::hash::step_base`], [`crate::hash::bits32`]), not from a
//! serial generator, so the synapses of a row can be updated in any order and in any
//! lane. The kernels are branch-free over a row (a zero learning signal or a zero
//! eligibility gives a zero change, which stochastic rounding keeps at zero), so the
//! compiler vectorises them; the caller picks the row's range (Dale's law) and skips
//! masked-out synapses ([`LayerMask::runs`]).
//!
//! Widths: weights are at most 16 bits, eligibilities and learning signals 32, so
//! `L * ebar` fits in 63 bits and every intermediate below is a plain 64-bit
//! operation that cannot overflow (the reasons are next to each); only the final
//! weight saturates, as the contract says.

use crate::classes::{CLASS_MASK, MAX_CLASSES};
use crate::eprop::GRAD_FRAC;
use crate::format::{twos_width, Limit};
use crate::hash::{bits32, bits32_spread, INDEX_MUL};
use crate::memory::Bits;
use bitvec::domain::Domain;
use bitvec::field::BitField;

// The light engine's kernel, and the masks both engines read.
mod light;
mod mask;

pub use light::{light, packed_rows, Adaptive, PACK_MAX};
use mask::Mask;
pub use mask::{LayerMask, Runs};

#[cfg(test)]
mod tests;

/// The 16 dither bits of the draws of synapses `index0, index0 + 1, ...` in turn,
/// each index's multiple of [`INDEX_MUL`] one addition from the last.
#[inline(always)]
fn dithers(base: u32, index0: usize) -> impl Iterator<Item = i64> {
    let first = (index0 as u32).wrapping_mul(INDEX_MUL);
    core::iter::successors(Some(first), |s| Some(s.wrapping_add(INDEX_MUL)))
        .map(move |s| i64::from(bits32_spread(base, s) & 0xFFFF))
}

/// Where a row's changes go and how far a weight may move.
#[derive(Clone, Copy, Debug)]
pub struct Bounds {
    /// Smallest weight (the format's minimum, or 0 for an excitatory row).
    pub lo: i32,
    /// Largest weight (the format's maximum, or 0 for an inhibitory row).
    pub hi: i32,
}

/// One weight change of `d_q16 / 2^16` LSB: applied at once with stochastic rounding
/// from `dither` (online, `g` is `None`) or added to the synapse's accumulator.
#[cfg_attr(target_arch = "x86_64", inline(always))]
fn change(w: &mut i16, g: Option<&mut i32>, d_q16: i64, dither: i64, b: Bounds) {
    match g {
        Some(acc) => accumulate(acc, d_q16),
        // |d_q16| < 2^62 - 2^16: adding the dither cannot overflow.
        None => nudge(
            w,
            at_most(d_q16.wrapping_add(dither).wrapping_shr(GRAD_FRAC)),
            b,
        ),
    }
}

/// [`exact`]'s change in sample mode (an accumulator), set up once for its shift `k`:
/// what one synapse's product `p = L ebar` adds to its accumulator, `-p >> k` rounded
/// to nearest (`k < 0`: `-p 2^-k`, saturating), as a 32-bit saturating add. The same
/// bits as [`exact`] with `g`, without its per-call setup: a row of a few readouts
/// costs one add a synapse.
#[derive(Clone, Copy, Debug)]
pub struct Accumulate {
    left: u32,
    right: u32,
    half: i64,
}

impl Accumulate {
    /// The accumulator of shift `k`.
    pub fn new(k: i32) -> Self {
        let right = k.clamp(0, 62) as u32;
        Self {
            left: k.clamp(-62, 0).unsigned_abs(),
            right,
            half: if right == 0 {
                0
            } else {
                1i64.wrapping_shl(right.wrapping_sub(1))
            },
        }
    }

    /// The same accumulator in 32-bit arithmetic, for products `l z` with `|l| <=
    /// lmax` and `0 <= z <= zmax`, where every `half - l z` fits 32 bits: a right
    /// shift of at most 31 whose rounding half plus `lmax zmax` is below 2^31. Then
    /// the 64-bit change is that 32-bit one (the same floor of the same value), and
    /// it needs no clamp to 32 bits.
    pub fn narrow(self, lmax: u32, zmax: u32) -> Option<Narrow> {
        let half = i32::try_from(self.half).ok()?;
        let bound = u64::from(lmax)
            .saturating_mul(u64::from(zmax))
            .saturating_add(self.half as u64);
        (self.left == 0 && self.right <= 31 && bound < 1 << 31).then_some(Narrow {
            right: self.right,
            half,
        })
    }

    /// Add the change of each product `p` (`|p| <= 2^62`) to its accumulator, the
    /// shift's direction chosen once.
    #[inline(always)]
    pub fn add_all<'g>(self, cells: impl Iterator<Item = (&'g mut i32, i64)>) {
        if self.left > 0 {
            let scale = 1i64.wrapping_shl(self.left);
            for (acc, p) in cells {
                accumulate(acc, p.wrapping_neg().saturating_mul(scale));
            }
        } else {
            for (acc, p) in cells {
                // |p| <= 2^62: its negation and the rounding half fit.
                let d = p.wrapping_neg().wrapping_add(self.half);
                accumulate(acc, d.wrapping_shr(self.right));
            }
        }
    }
}

/// [`Accumulate`] in 32-bit arithmetic ([`Accumulate::narrow`]).
#[derive(Clone, Copy, Debug)]
pub struct Narrow {
    right: u32,
    half: i32,
}

impl Narrow {
    /// Add the change of the product `l z` to `acc`.
    #[inline(always)]
    pub fn add(self, acc: &mut i32, l: i32, z: i32) {
        let d = self
            .half
            .wrapping_sub(l.wrapping_mul(z))
            .wrapping_shr(self.right);
        *acc = acc.saturating_add(d);
    }
}

/// Add a change of `d_q16 / 2^16` LSB to an accumulator: at most 32 bits, saturating.
#[inline(always)]
fn accumulate(acc: &mut i32, d_q16: i64) {
    let d = d_q16.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32;
    *acc = acc.saturating_add(d);
}

/// The largest weight change applied at once, in LSB: more saturates any 16-bit
/// weight the same way (any bound past `2^16` would do). A two's-complement range of
/// 19 bits, so that the M4 saturates a 32-bit change in one instruction (`SSAT`).
const MAX_STEP: i32 = (1 << 18) - 1;

/// A change of `d` LSB as applied at once: at most [`MAX_STEP`] either way.
#[cfg_attr(target_arch = "x86_64", inline(always))]
fn at_most(d: i64) -> i32 {
    d.clamp(i64::from(-MAX_STEP - 1), i64::from(MAX_STEP)) as i32
}

/// [`at_most`] of a 32-bit change.
#[inline(always)]
fn at_most32(d: i32) -> i32 {
    d.clamp(-MAX_STEP - 1, MAX_STEP)
}

/// Move `w` by `d` LSB (`|d| <= MAX_STEP + 1`), within `b`.
#[cfg_attr(target_arch = "x86_64", inline(always))]
fn nudge(w: &mut i16, d: i32, b: Bounds) {
    *w = i32::from(*w).wrapping_add(d).limit(b.lo, b.hi) as i16;
}

/// The online update of a row's weights from synapse `index0` on: each moves by
/// `change(p, dither)` LSB (at most [`MAX_STEP`]; [`nudge`]), from its product and
/// its own draw. Inlined everywhere, so that the loop keeps `change`'s constants in
/// registers.
#[inline(always)]
fn online(
    w: &mut [i16],
    prods: impl Iterator<Item = i64>,
    (base, index0): (u32, usize),
    b: Bounds,
    change: impl Fn(i64, i64) -> i32,
) {
    for ((wv, p), dither) in w.iter_mut().zip(prods).zip(dithers(base, index0)) {
        nudge(wv, change(p, dither), b);
    }
}

/// [`online`] for the one-shift paths of [`exact_products`]. On a microcontroller a
/// row bounded by its weight format (no Dale sign), `[-2^m, 2^m - 1]` with `m` from 1
/// to 15, takes a loop with that width a constant: the bound is one saturate
/// instruction (`SSAT`) and the loop keeps two registers more. The same bits as
/// [`online`]; on the host the vector clamp already costs nothing.
#[inline(always)]
fn online_fast(
    w: &mut [i16],
    prods: impl Iterator<Item = i64>,
    draw: (u32, usize),
    b: Bounds,
    change: impl Fn(i64, i64) -> i32,
) {
    let m = twos_width(b.lo.into(), b.hi.into());
    if cfg!(not(target_arch = "x86_64")) {
        macro_rules! widths {
            ($($m:literal)*) => {
                match m {
                    $(Some($m) => return online_width::<$m>(w, prods, draw, &change),)*
                    _ => {}
                }
            };
        }
        widths!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15);
    }
    online(w, prods, draw, b, change);
}

/// The loop of [`online_fast`] for the bounds `[-2^M, 2^M - 1]`.
#[inline(never)]
fn online_width<const M: u32>(
    w: &mut [i16],
    prods: impl Iterator<Item = i64>,
    (base, index0): (u32, usize),
    change: &impl Fn(i64, i64) -> i32,
) {
    let hi: i32 = 1i32.wrapping_shl(M).wrapping_sub(1);
    for ((wv, p), dither) in w.iter_mut().zip(prods).zip(dithers(base, index0)) {
        // |change| <= MAX_STEP + 1: the sum fits.
        *wv = i32::from(*wv)
            .wrapping_add(change(p, dither))
            .limit(!hi, hi) as i16;
    }
}

/// Rows of the exact engine's online update: a shift `right` from 0 to 46
/// ([`KERNEL_SHIFTS`]) and no accumulators, the case that dominates online learning
/// (the hidden layers' shifts are in [`ONE_SHIFT`], the readout's mostly below it).
/// What an [`OnlineKernel`] takes; [`online_row`] is its contract.
#[derive(Debug)]
pub struct OnlineRow<'a> {
    /// The weights of synapses `index0, index0 + 1, ...`: one or more consecutive
    /// rows of `lsig.len()` synapses (the last may be shorter).
    pub w: &'a mut [i16],
    /// Their eligibilities.
    pub ebar: &'a [i32],
    /// The learning signal of each column: synapse `t` (from `index0`) takes
    /// `lsig[t % lsig.len()]`.
    pub lsig: &'a [i32],
    /// The shift `k` of [`exact`], in [`KERNEL_SHIFTS`].
    pub right: u32,
    /// How far a weight may move (the same for every row).
    pub bounds: Bounds,
    /// The step's draw base ([`crate::hash::step_base`]).
    pub base: u32,
    /// The first synapse's index (the hash coordinate).
    pub index0: usize,
}

/// A host's vector kernel for [`OnlineRow`]s (the emulator's AVX2 loop): it must
/// give the bits of [`online_row`] for every set of rows, over the shorter of `w`
/// and `ebar`. The core calls it for the online rows whose shift is in
/// [`KERNEL_SHIFTS`], several rows a call where they share their bounds.
pub type OnlineKernel = fn(OnlineRow<'_>);

/// Rows of the light engine's packed columns for a host's vector kernel
/// ([`LightKernel`]): in row `(row, t)`, lane `k`'s synapse steps where
/// `lo[k] + hi[k] 2^32` (its column's product) times `t` is at least
/// `draw(bits32_spread(base, row + spread[k])) << a` (the comparator of
/// `Chance::over`, the draw `0xFFFF` included: the caller turns it away).
#[derive(Clone, Copy, Debug)]
pub struct PackedRows<'a> {
    /// The low halves of the columns' products, a multiple of eight of them (at
    /// most [`PACK_MAX`]); the products past the packed columns are 0.
    pub lo: &'a [u32],
    /// The high halves (below 2^15), as many.
    pub hi: &'a [u32],
    /// Each column's index times `INDEX_MUL`, as many.
    pub spread: &'a [u32],
    /// The step's draw base.
    pub base: u32,
    /// The comparator's shift (1 to 31).
    pub a: u32,
    /// Each row's first synapse index times `INDEX_MUL`, and its trace (below 2^16).
    pub rows: &'a [(u32, u32)],
}

/// Bit `k % 64` of word `k / 64` for each lane `k` of a row of [`PackedRows`] whose
/// comparator says yes.
pub type Hits = [u64; PACK_MAX / 64];

/// A host's vector kernel for [`PackedRows`]: it must write [`packed_rows`]'s hits,
/// one [`Hits`] a row.
pub type LightKernel = fn(PackedRows<'_>, &mut [Hits]);

/// The host's kernels a learning step may use ([`crate::Chip::learn_with`]); a
/// microcontroller has none.
#[derive(Clone, Copy, Debug, Default)]
pub struct Kernels {
    /// The exact engine's online rows.
    pub online: Option<OnlineKernel>,
    /// The light engine's packed rows.
    pub light: Option<LightKernel>,
}

/// The shifts of [`exact`]'s one-shift online path: from 16 (the high word of the
/// sum) to 46 (the sum stays below 2^63).
pub const ONE_SHIFT: core::ops::RangeInclusive<u32> = 16..=46;

/// The shifts of the online rows an [`OnlineKernel`] takes: [`ONE_SHIFT`] and the
/// shifts below it.
pub const KERNEL_SHIFTS: core::ops::RangeInclusive<u32> = 0..=*ONE_SHIFT.end();

/// The shift `k` of [`exact`] as an [`OnlineRow`]'s, where it is in
/// [`KERNEL_SHIFTS`]: the rows a kernel takes.
#[inline]
pub fn kernel_shift(k: i32) -> Option<u32> {
    u32::try_from(k).ok().filter(|r| KERNEL_SHIFTS.contains(r))
}

/// The portable [`OnlineRow`] update: [`exact`] without accumulators, a row of
/// `lsig.len()` synapses at a time.
pub fn online_row(row: OnlineRow<'_>) {
    let n = row.lsig.len().max(1);
    let rows = row.w.chunks_mut(n).zip(row.ebar.chunks(n));
    for (r, (w, ebar)) in rows.enumerate() {
        let index0 = row.index0.wrapping_add(r.wrapping_mul(n));
        exact(
            w,
            &mut [],
            ebar,
            row.lsig,
            row.right.min(62) as i32,
            row.bounds,
            row.base,
            index0,
            None,
        );
    }
}

/// The exact engine on synapses `j` of one row: `dW = -(L_j * ebar_j) >> k` with
/// `k = shift - 16 + offset`, in 2^-16 LSB (a negative `k` shifts left, saturating),
/// stochastically rounded (online) or accumulated (`g` not empty). `index0` is the
/// row's first synapse index (the hash coordinate), `base` the step's draw base.
/// `kernel`, if given, takes the online one-shift rows ([`OnlineRow`]).
#[cfg_attr(target_arch = "x86_64", inline(always))]
#[allow(clippy::too_many_arguments)]
pub fn exact(
    w: &mut [i16],
    g: &mut [i32],
    ebar: &[i32],
    lsig: &[i32],
    k: i32,
    b: Bounds,
    base: u32,
    index0: usize,
    kernel: Option<OnlineKernel>,
) {
    if let (Some(kernel), true, Some(right)) = (kernel, g.is_empty(), kernel_shift(k)) {
        kernel(OnlineRow {
            w,
            ebar,
            lsig,
            right,
            bounds: b,
            base,
            index0,
        });
        return;
    }
    // |L * ebar| <= 2^62: the product fits.
    let prods = ebar
        .iter()
        .zip(lsig)
        .map(|(&eb, &lj)| i64::from(lj).wrapping_mul(i64::from(eb)));
    exact_products(w, g, prods, k, b, base, index0);
}

/// Synapses a chunk of [`exact_classes`] sums at once (on the stack).
const CHUNK: usize = 64;

/// The exact engine with readout-decay classes ([`crate::classes`]) on synapses `j`
/// of one row: `dW = -(sum_q L_qj * ebar_qj) >> k`, every other detail as
/// [`exact`]. `terms` holds each class's `(ebar, L)` over the same synapses; the sum
/// saturates at `+-2^62` (beyond what any weight change needs). The products are
/// summed over a chunk of `CHUNK` synapses at a time, class by class, so every
/// loop is branch-free over the synapses.
#[cfg_attr(target_arch = "x86_64", inline(always))]
#[allow(clippy::too_many_arguments)]
pub fn exact_classes(
    w: &mut [i16],
    g: &mut [i32],
    terms: &[(&[i32], &[i32])],
    k: i32,
    b: Bounds,
    base: u32,
    index0: usize,
) {
    const LIM: i64 = 1 << 62;
    let sample = !g.is_empty();
    let mut gs = g.chunks_mut(CHUNK);
    for (c, wc) in w.chunks_mut(CHUNK).enumerate() {
        let off = c.saturating_mul(CHUNK);
        let mut prods = [0i64; CHUNK];
        for &(eb, ls) in terms {
            let eb = eb.get(off..).unwrap_or(&[]);
            let ls = ls.get(off..).unwrap_or(&[]);
            for ((p, &e), &l) in prods.iter_mut().zip(eb).zip(ls) {
                *p = p.saturating_add(i64::from(l).wrapping_mul(i64::from(e)));
            }
        }
        let gc: &mut [i32] = if sample {
            gs.next().unwrap_or(&mut [])
        } else {
            &mut []
        };
        let ps = prods.iter().map(|&p| p.clamp(-LIM, LIM));
        exact_products(wc, gc, ps, k, b, base, index0.wrapping_add(off));
    }
}

/// [`exact`] from the products `L * ebar` (each `|p| <= 2^62`).
#[cfg_attr(target_arch = "x86_64", inline(always))]
#[allow(clippy::too_many_arguments)]
fn exact_products(
    w: &mut [i16],
    g: &mut [i32],
    prods: impl Iterator<Item = i64>,
    k: i32,
    b: Bounds,
    base: u32,
    index0: usize,
) {
    if !g.is_empty() {
        Accumulate::new(k).add_all(g.iter_mut().take(w.len()).zip(prods));
        return;
    }
    if k < 0 {
        // A shift below 16 bits: the left shift may saturate; rare, kept simple.
        let left = k.clamp(-62, 0).unsigned_abs();
        let cells = w.iter_mut().zip(prods).zip(dithers(base, index0));
        for ((wv, p), dither) in cells {
            let d_q16 = p.wrapping_neg().saturating_mul(1i64.wrapping_shl(left));
            change(wv, None, d_q16, dither, b);
        }
        return;
    }
    // |p| <= 2^62: a shift past 62 leaves nothing of it.
    let right = k.min(62) as u32;
    let half = if right == 0 {
        0
    } else {
        1i64.wrapping_shl(right.wrapping_sub(1))
    };
    // |p| <= 2^62: its negation and the rounding half fit.
    let d_of = |p: i64| p.wrapping_neg().wrapping_add(half).wrapping_shr(right);
    if ONE_SHIFT.contains(&right) {
        // The same bits in one shift: `((half - p) >> r + dither) >> 16` is
        // `(half + dither 2^r - p) >> (r + 16)` (floors nest), and with `r >= 16`
        // that shift takes the high word, then `r - 16` more. With `r <= 46` the
        // sum stays below 2^63: no wrap.
        let down = right.wrapping_sub(16);
        // `half + dither 2^r` is `(2 dither + 1) 2^(r - 1)`: with `up = r - 32` past 31
        // (else 0) it is `((2 dither + 1) << up) 2^(r - 1 - up)`, two factors of at
        // most 2^31 (one `UMULL` on the M4), not a 64-bit shift by a variable amount (the
        // power of two kept opaque: the compiler would turn the multiply back into
        // that shift). Below 2^62: with `p`, no wrap.
        let up = right.saturating_sub(32);
        let scale =
            core::hint::black_box(1u32.wrapping_shl(right.wrapping_sub(1).wrapping_sub(up)));
        online_fast(w, prods, (base, index0), b, |p, dither| {
            let odd = ((dither as u32).wrapping_shl(1) | 1).wrapping_shl(up);
            let a = (u64::from(odd).wrapping_mul(u64::from(scale)) as i64).wrapping_sub(p);
            at_most32(((a >> 32) as i32).wrapping_shr(down))
        });
    } else {
        online(w, prods, (base, index0), b, |p, dither| {
            at_most(d_of(p).wrapping_add(dither).wrapping_shr(GRAD_FRAC))
        });
    }
}

/// Apply accumulated updates `g` (2^-16 LSB each) to the weights `w`, stochastically
/// rounded with the draws of `base` from synapse `index0` on, and clear `g`.
#[cfg_attr(target_arch = "x86_64", inline(always))]
pub fn apply(w: &mut [i16], g: &mut [i32], b: Bounds, base: u32, index0: usize) {
    for ((wv, gv), dither) in w.iter_mut().zip(g.iter_mut()).zip(dithers(base, index0)) {
        change(wv, None, i64::from(*gv), dither, b);
        *gv = 0;
    }
}
