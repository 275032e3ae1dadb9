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

/// A connectivity mask, read 64 columns at a time ([`Mask::bits`]): straight from
/// its words when it starts on a word boundary (the chip's masks do), else through
/// `bitvec`; `All` without a mask.
#[derive(Clone, Copy)]
enum Mask<'a> {
    All,
    /// The whole words, the last partial word's value and the length in bits.
    Words(&'a [u32], u32, usize),
    Bits(&'a Bits),
}

impl<'a> Mask<'a> {
    /// Its length in bits (`None` without a mask).
    fn len(self) -> Option<usize> {
        match self {
            Mask::All => None,
            Mask::Words(_, _, len) => Some(len),
            Mask::Bits(m) => Some(m.len()),
        }
    }

    /// How much of the row of `n` synapses from synapse `row0` lies within the mask
    /// (all of it without one): the columns past its end are absent.
    fn within(self, row0: usize, n: usize) -> usize {
        self.len().map_or(n, |len| n.min(len.saturating_sub(row0)))
    }

    fn new(mask: Option<&'a Bits>) -> Self {
        let Some(m) = mask else {
            return Mask::All;
        };
        match m.domain() {
            Domain::Region {
                head: None,
                body,
                tail,
            } => Mask::Words(body, tail.map_or(0, |t| t.load_value()), m.len()),
            _ => Mask::Bits(m),
        }
    }

    /// Columns `start..start + width` (`width <= 64`) of the row from synapse `row0`
    /// as bits (bit `c` for column `start + c`): all present without a mask, none
    /// where the range runs past the mask.
    #[inline(always)]
    fn bits(self, row0: usize, start: usize, width: usize) -> u64 {
        let all = if width >= 64 {
            u64::MAX
        } else {
            1u64.wrapping_shl(width as u32).wrapping_sub(1)
        };
        let at = row0.saturating_add(start);
        match self {
            Mask::All => all,
            Mask::Bits(m) => m
                .get(at..at.saturating_add(width))
                .map_or(0, |b| b.load_le::<u64>() & all),
            Mask::Words(body, tail, len) => {
                if at.saturating_add(width) > len {
                    return 0;
                }
                let word = |k: usize| -> u32 {
                    match body.get(k) {
                        Some(&w) => w,
                        None if k == body.len() => tail,
                        None => 0,
                    }
                };
                let (k, off) = (at >> 5, (at & 31) as u32);
                // Bits `off..off + 64` of the three words from word `k`, in two 32-bit
                // halves: on a 32-bit core a 64-bit shift by a variable count is
                // eight instructions.
                let (w0, w1) = (word(k), word(k.saturating_add(1)));
                let (lo, hi) = if off == 0 {
                    (w0, w1)
                } else {
                    let w2 = word(k.saturating_add(2));
                    let back = 32u32.wrapping_sub(off);
                    (
                        w0.wrapping_shr(off) | w1.wrapping_shl(back),
                        w1.wrapping_shr(off) | w2.wrapping_shl(back),
                    )
                };
                (u64::from(lo) | u64::from(hi).wrapping_shl(32)) & all
            }
        }
    }
}

/// One layer of the light engine: the synapse `i -> j` steps one LSB against the
/// sign of `L_j`, with probability `|L_j| * trace_i * psi_j >> k` over 2^16
/// (`k = shift + offset(i, j)`), drawn from the synapse's hash. Only synapses with a
/// non-zero trace, pseudo-derivative and learning signal can step: the kernel walks
/// the columns 64 at a time, keeps the active ones in a bit set, and visits only
/// those (and the ones the mask keeps) in each row with a non-zero trace. On a
/// 64-bit core with a vector unit, a layer with one shift, one trace bank and no
/// adaptive neurons instead packs its active columns once and runs each row's
/// comparators eight at a time (`packed`); the same synapses step.
///
/// With membrane-decay classes ([`crate::classes`]) `trace` holds `banks` trace
/// banks (class 0 first) and `tclass` each column's class: a block is walked once per
/// class, over the columns of that class, with that class's trace of each row.
///
/// The columns of adaptive neurons (`adaptive`) step with their synapse's signed
/// trace instead ([`Adaptive`]), in every row, the zero-trace ones too.
#[cfg_attr(target_arch = "x86_64", inline(always))]
#[allow(clippy::too_many_arguments)]
pub fn light(
    w: &mut [i16],
    g: &mut [i32],
    trace: &[u32],
    banks: usize,
    tclass: &[u32],
    lsig: &[i32],
    psi: &[u32],
    mask: Option<&Bits>,
    shift: impl Fn(usize) -> u32,
    uniform: Option<u32>,
    bounds: impl Fn(usize) -> Bounds,
    base: u32,
    adaptive: Option<&Adaptive<'_>>,
    kernel: Option<LightKernel>,
) {
    let n = lsig.len();
    let banks = banks.clamp(1, MAX_CLASSES);
    let rows = trace.len().checked_div(banks).unwrap_or(0).max(1);
    let mask = Mask::new(mask);
    // With a vector unit, one shift, one trace bank and no adaptive columns: the
    // active columns packed once for every row ([`packed`]).
    if PACKED && banks == 1 && adaptive.is_none() {
        if let Some((k, shifts)) = uniform.and_then(|k| Some((k, Chance::over_shifts(k)?))) {
            let at = Layer {
                w,
                g,
                trace: trace.get(..rows).unwrap_or(&[]),
                lsig,
                mask,
            };
            return packed(at, psi, (k, shifts), base, bounds, kernel);
        }
    }
    let mut start = 0usize;
    // Each column's share of the comparator's product, once for all rows, a block
    // at a time (only its first `width` entries are read: cleared once, not a block
    // at a time).
    let mut block = [0u64; 64];
    while start < n {
        let width = n.saturating_sub(start).min(64);
        // A column is active where its product is not zero (a signal and a
        // pseudo-derivative).
        let block_cols = lsig.iter().zip(psi).skip(start).take(width);
        // And the largest of them, which bounds every row's comparator product.
        let mut most = 0u64;
        for ((&lj, &p), col) in block_cols.zip(block.iter_mut()) {
            *col = column(lj, p);
            most = most.max(*col);
        }
        let mut active = nonzero_bits(block.get(..width).unwrap_or(&[]));
        let at = Block {
            start,
            width,
            rows,
            banks,
        };
        if let Some(a) = adaptive {
            let (mut cols, mut bit) = (0u64, 1u64);
            for &b in a.beta.iter().skip(start).take(width) {
                if b != 0 {
                    cols |= bit;
                }
                bit = bit.wrapping_shl(1);
            }
            let columns = (lsig, psi, tclass);
            a.block(
                at,
                active & cols,
                (&mut *w, &mut *g),
                trace,
                columns,
                mask,
                &shift,
                &bounds,
                base,
            );
            active &= !cols;
        }
        // The block's columns of each class (all of them with one class).
        let mut of_class = [0u64; MAX_CLASSES];
        if banks <= 1 {
            of_class = [u64::MAX; MAX_CLASSES];
        } else {
            for (c, &k) in tclass.iter().skip(start).take(width).enumerate() {
                if let Some(m) = of_class.get_mut(k as usize & CLASS_MASK) {
                    *m |= 1u64.wrapping_shl(c as u32);
                }
            }
        }
        for (bank, &cols) in trace.chunks(rows).zip(&of_class).take(banks) {
            let active = active & cols;
            if active == 0 {
                continue;
            }
            if let Some(k) = uniform {
                let cols = start..start.saturating_add(width);
                if let Some(ls) = lsig.get(cols) {
                    uniform_rows(
                        at,
                        n,
                        (active, most, k, base),
                        mask,
                        bank,
                        (&mut *w, &mut *g),
                        (ls, &block),
                        &bounds,
                    );
                }
                continue;
            }
            for (i, &tr) in bank.iter().enumerate() {
                if tr == 0 {
                    continue;
                }
                let row0 = i.saturating_mul(n);
                let mut bits = active & mask.bits(row0, start, width);
                let b = bounds(i);
                while bits != 0 {
                    let j = start.saturating_add(bits.trailing_zeros() as usize);
                    bits &= bits.wrapping_sub(1);
                    let idx = row0.saturating_add(j);
                    let (Some(&lj), Some(&p)) = (lsig.get(j), psi.get(j)) else {
                        continue;
                    };
                    visit(w, g, idx, (lj, p, i64::from(tr)), shift(idx), base, b);
                }
            }
        }
        start = start.saturating_add(64);
    }
}

/// The light engine's synapses onto adaptive (ALIF) neurons: each steps with its own
/// signed trace, `zbar_i - beta_j eps_ji` in the trace format, with probability
/// `|L_j| * |that| * psi_j >> k` and against the sign of `L_j * that`.
pub struct Adaptive<'a> {
    /// `beta_j` per neuron: the columns with `beta_j != 0` are the adaptive ones.
    pub beta: &'a [i32],
    /// The signed trace of a synapse, from its index, its postsynaptic neuron and
    /// its row's (unsigned) trace.
    pub trace: &'a dyn Fn(usize, usize, u32) -> i64,
}

/// The rows of one block of [`light`] with one shift `k` for every synapse (`bank`:
/// each row's trace; `lsig` and `cols`: the block's columns, their signals and
/// [`column`] products): a row with most of its block active at once, branch-free
/// ([`LightRow::dense`]), any other row one active synapse at a time
/// ([`LightRow::sparse`]). On a microcontroller a function of its own, so that what
/// the rows share (the comparator's shifts, the block's slices) is set up once a
/// block, not once a row.
#[cfg_attr(target_arch = "x86_64", inline(always))]
#[cfg_attr(not(target_arch = "x86_64"), inline(never))]
#[allow(clippy::too_many_arguments)]
fn uniform_rows(
    at: Block,
    n: usize,
    (active, most, k, base): (u64, u64, u32, u32),
    mask: Mask<'_>,
    bank: &[u32],
    (w, g): (&mut [i16], &mut [i32]),
    (lsig, cols): (&[i32], &[u64; 64]),
    bounds: &impl Fn(usize) -> Bounds,
) {
    // The comparator's shifts, one for the block (they depend on `k` alone).
    let shifts = Chance::over_shifts(k);
    // Row `i` starts at synapse `row0 = i n` (within the layer: no overflow).
    let mut row0 = 0usize;
    for (i, &tr) in bank.iter().enumerate() {
        let row_start = row0;
        row0 = row0.wrapping_add(n);
        if tr == 0 {
            continue;
        }
        let row0 = row_start;
        let bits = active & mask.bits(row0, at.start, at.width);
        let row = LightRow {
            bits,
            most,
            tr,
            k,
            b: bounds(i),
            base,
            at: row0.saturating_add(at.start),
        };
        if bits.count_ones() >= DENSE_BLOCK {
            // Most of the block steps: all of it at once.
            let end = row.at.saturating_add(at.width);
            if let Some(wb) = w.get_mut(row.at..end) {
                let gb = g.get_mut(row.at..end).unwrap_or(&mut []);
                row.dense(wb, gb, lsig, cols.get(..at.width).unwrap_or(&[]));
            }
            continue;
        }
        row.sparse(w, g, (lsig, cols), shifts);
    }
}

/// One synapse of [`light`] visited alone: with `(L_j, psi_j, e)` (`e` the signed
/// trace, `|e|` capped at 16 bits) it steps one LSB against the sign of `L_j e`, with
/// probability `|L_j| |e| psi_j >> k` over 2^16 against its draw, into the weight
/// (online: `g` empty) or its accumulator.
#[cfg_attr(target_arch = "x86_64", inline(always))]
fn visit(
    w: &mut [i16],
    g: &mut [i32],
    idx: usize,
    (lj, p, e): (i32, u32, i64),
    k: u32,
    base: u32,
    b: Bounds,
) {
    let mag = e.unsigned_abs().min(0xFFFF) as u32;
    if mag == 0 || !Chance::new(k, mag).steps(lj, p, base, idx) {
        return;
    }
    step_one(w, g, idx, (lj > 0) == (e > 0), b);
}

/// Synapse `idx` steps one LSB, down when `down`, into the weight (online: `g`
/// empty) or its accumulator. A function of its own on a microcontroller: a step is
/// rare, and the visits keep their registers (the M4's cue light trial 27,249 to
/// 26,738 instructions a step).
#[cfg_attr(target_arch = "x86_64", inline(always))]
#[cfg_attr(not(target_arch = "x86_64"), inline(never))]
fn step_one(w: &mut [i16], g: &mut [i32], idx: usize, down: bool, b: Bounds) {
    let step: i64 = if down { -1 } else { 1 };
    let Some(wv) = w.get_mut(idx) else {
        return;
    };
    let gj = if g.is_empty() { None } else { g.get_mut(idx) };
    change(wv, gj, step << GRAD_FRAC, 0, b);
}

/// Where one 64-column block of [`light`] lies: its first column, its width, the
/// rows of a trace bank, and the banks.
#[derive(Clone, Copy)]
struct Block {
    start: usize,
    width: usize,
    rows: usize,
    banks: usize,
}

impl Adaptive<'_> {
    /// The block's adaptive columns that may step (`cols`), row by row, one synapse
    /// at a time.
    #[allow(clippy::too_many_arguments)]
    fn block(
        &self,
        at: Block,
        cols: u64,
        (w, g): (&mut [i16], &mut [i32]),
        trace: &[u32],
        (lsig, psi, tclass): (&[i32], &[u32], &[u32]),
        mask: Mask<'_>,
        shift: &impl Fn(usize) -> u32,
        bounds: &impl Fn(usize) -> Bounds,
        base: u32,
    ) {
        if cols == 0 {
            return;
        }
        let n = lsig.len();
        for i in 0..at.rows {
            let row0 = i.saturating_mul(n);
            let mut bits = cols & mask.bits(row0, at.start, at.width);
            let b = bounds(i);
            while bits != 0 {
                let j = at.start.saturating_add(bits.trailing_zeros() as usize);
                bits &= bits.wrapping_sub(1);
                let idx = row0.saturating_add(j);
                let (Some(&lj), Some(&p)) = (lsig.get(j), psi.get(j)) else {
                    continue;
                };
                let c = if at.banks > 1 {
                    tclass.get(j).map_or(0, |&c| c as usize & CLASS_MASK)
                } else {
                    0
                };
                let tr = trace.get(c.saturating_mul(at.rows).saturating_add(i));
                let e = (self.trace)(idx, j, tr.copied().unwrap_or(0));
                visit(w, g, idx, (lj, p, e), shift(idx), base, b);
            }
        }
    }
}

/// Active synapses of a 64-column block from which [`light`] updates the whole block
/// branch-free instead of visiting its active synapses one by one: worth it where the
/// block becomes vector instructions; a microcontroller without a vector unit always
/// visits (65: never dense). Both ways give the same bits. Half the block on the
/// host: the dense pass's 64-bit comparator products cost about as much as 30
/// visits (bench256, session 16: `--mode light` 74.1 us at 16, 67.4 to 69.8 us at 24
/// to 48).
const DENSE_BLOCK: u32 = if cfg!(any(target_arch = "x86_64", target_arch = "aarch64")) {
    32
} else {
    65
};

/// Bit `c` set for each non-zero `cols[c]` (at most 64), built a 32-bit half at a
/// time with a bit moved along by one: on a 32-bit core a shift of one register.
#[cfg_attr(target_arch = "x86_64", inline(always))]
fn nonzero_bits(cols: &[u64]) -> u64 {
    let half = |cs: &[u64]| {
        let (mut m, mut bit) = (0u32, 1u32);
        for &c in cs {
            if c != 0 {
                m |= bit;
            }
            bit = bit.wrapping_shl(1);
        }
        m
    };
    let (lo, hi) = cols.split_at(cols.len().min(32));
    u64::from(half(lo)) | u64::from(half(hi.get(..hi.len().min(32)).unwrap_or(&[]))) << 32
}

/// `|L_j| psi_j` of a column (`psi` clamped to 16 bits): the part of the light
/// engine's comparator product ([`Chance::steps`]) that every row of the column shares.
#[cfg_attr(target_arch = "x86_64", inline(always))]
fn column(lj: i32, p: u32) -> u64 {
    u64::from(lj.unsigned_abs()).wrapping_mul(u64::from(p.min(0xFFFF)))
}

/// The light engine's comparator for one row and shift: whether synapse `index`
/// steps, with probability `|L_j| * trace * psi_j >> k` over 2^16 against its draw.
#[derive(Clone, Copy, Debug)]
struct Chance {
    k: u32,
    half: u64,
    tr: u64,
}

impl Chance {
    #[cfg_attr(target_arch = "x86_64", inline(always))]
    fn new(k: u32, tr: u32) -> Self {
        let k = k.min(62);
        let half = if k == 0 {
            0
        } else {
            1u64.wrapping_shl(k.wrapping_sub(1))
        };
        Self {
            k,
            half,
            tr: u64::from(tr.min(0xFFFF)),
        }
    }

    #[cfg_attr(target_arch = "x86_64", inline(always))]
    fn steps(&self, lj: i32, p: u32, base: u32, index: usize) -> bool {
        self.steps_col(column(lj, p), base, index)
    }

    /// [`Chance::steps`] from the column's [`column`] product.
    #[cfg_attr(target_arch = "x86_64", inline(always))]
    fn steps_col(&self, col: u64, base: u32, index: usize) -> bool {
        // |L| <= 2^31, psi < 2^16 and trace < 2^16 (both clamped): the product is
        // below 2^63, and with at most 2^61 added no u64 overflows.
        let mag = col.wrapping_mul(self.tr);
        let prob = mag.wrapping_add(self.half).wrapping_shr(self.k).min(0xFFFF);
        u64::from(bits32(base, index) >> 16) < prob
    }

    /// The shifts of [`Chance::over`] for the shift `k` (a function of `k` alone, so
    /// worked out once for every row of a block), for `k` in `17..=47` (both in
    /// `1..=31`).
    #[inline(always)]
    fn over_shifts(k: u32) -> Option<(u32, u32)> {
        (17..=47)
            .contains(&k)
            .then(|| (k.wrapping_sub(16), 48u32.wrapping_sub(k)))
    }

    /// [`Chance::steps_col`] with the draw `h` (`bits32`) and `(a, b)` from
    /// [`Chance::over_shifts`], but for the draw `d = h >> 16` of `0xFFFF` (which
    /// never steps: the caller checks it where this says yes, once in 2^16).
    ///
    /// `d < (M + 2^(k-1)) >> k` is `(d + 1) 2^k <= M + 2^(k-1)`, that is
    /// `(2d + 1) 2^(k-1) <= M` (`M = col * tr`): the probability neither shifted
    /// nor clamped. `2d + 1` is `(h >> 15) | 1`, and `((h >> 15) | 1) 2^15` is
    /// `u = (h & !0x7FFF) | 0x8000`, below 2^32, so the bound is `u 2^(k-16)`: a
    /// shift of one word into two on a 32-bit core, its high word `u >> (48 - k)`
    /// and its low word `u << (k - 16)`.
    #[inline(always)]
    fn over(&self, col: u64, h: u32, (a, b): (u32, u32)) -> bool {
        let u = draw(h);
        let bound = if cfg!(target_pointer_width = "32") {
            (u64::from(u.wrapping_shr(b)) << 32) | u64::from(u.wrapping_shl(a))
        } else {
            u64::from(u).wrapping_shl(a)
        };
        col.wrapping_mul(self.tr) >= bound
    }

    /// The largest draw `u` ([`draw`]) with which a column of product at most `most`
    /// can step, with `(a, _)` from [`Chance::over_shifts`]: `most * tr >> (k - 16)`,
    /// at most `u32::MAX`. A draw above it has `u 2^(k-16) > most tr >= col tr`, so
    /// [`Chance::over`] says no. (`most <= 2^47` and `tr < 2^16`: no wrap.)
    #[inline(always)]
    fn ceiling(&self, most: u64, (a, _): (u32, u32)) -> u32 {
        // `a` is at most 31 (`k <= 47`): masked, so that a 32-bit core shifts one way.
        most.wrapping_mul(self.tr)
            .wrapping_shr(a & 31)
            .min(u64::from(u32::MAX)) as u32
    }
}

/// The draw of [`Chance::over`] from the hash `h`: `(2d + 1) 2^15` for `d = h >> 16`.
#[inline(always)]
fn draw(h: u32) -> u32 {
    (h & !0x7FFF) | 0x8000
}

/// The smallest [`draw`].
const DRAW_MIN: u32 = 0x8000;

/// `f(c)` for each set bit `c` of `bits`, in ascending order: on a 32-bit core a
/// 32-bit word at a time ([`each_bit_words`]: the M4's light trial 33,112 to 32,159
/// instructions a step), elsewhere the 64-bit word (3% faster on the host).
#[inline(always)]
fn each_bit(bits: u64, mut f: impl FnMut(usize)) {
    if cfg!(target_pointer_width = "32") {
        each_bit_words(bits, f);
        return;
    }
    let mut bits = bits;
    while bits != 0 {
        f(bits.trailing_zeros() as usize);
        bits &= bits.wrapping_sub(1);
    }
}

/// [`each_bit`] over the low word, then the high word.
#[inline(always)]
fn each_bit_words(bits: u64, mut f: impl FnMut(usize)) {
    for (half, word) in [(0usize, bits as u32), (32, (bits >> 32) as u32)] {
        let mut word = word;
        while word != 0 {
            f(half.wrapping_add(word.trailing_zeros() as usize));
            word &= word.wrapping_sub(1);
        }
    }
}

/// `c * INDEX_MUL` for the 64 columns of a block ([`LightRow::sparse`]).
// Evaluated when the crate is compiled: an index out of range fails the build.
#[allow(clippy::indexing_slicing)]
const COLUMN_SPREAD: [u32; 64] = {
    let mut t = [0u32; 64];
    let mut c = 0;
    while c < 64 {
        t[c] = (c as u32).wrapping_mul(INDEX_MUL);
        c += 1;
    }
    t
};

/// Whether [`light`] packs a layer's active columns once for all its rows and runs
/// each row's comparators eight at a time ([`packed`]): where the compiler makes
/// vector instructions of them. A microcontroller visits one active synapse at a
/// time, a block of 64 columns at a time.
const PACKED: bool = cfg!(any(target_arch = "x86_64", target_arch = "aarch64"));

/// The columns [`packed`] takes at a time (a vector's lanes).
const PACK: usize = 8;

/// The columns the light engine packs at a time (`packed`; a wider layer in several).
pub const PACK_MAX: usize = 256;

/// The rows [`packed`] passes to a kernel at a time.
const BATCH: usize = 16;

/// What [`packed`] updates: the weights or accumulators, each row's trace, the
/// columns' learning signals and the mask.
struct Layer<'a, 'm> {
    w: &'a mut [i16],
    g: &'a mut [i32],
    trace: &'a [u32],
    lsig: &'a [i32],
    mask: Mask<'m>,
}

/// [`light`] with one shift `k` (`shifts`: [`Chance::over_shifts`] of it), one
/// trace bank and no adaptive columns, on a 64-bit core with a vector unit, up to
/// [`PACK_MAX`] columns at a time. Their active columns (a signal and a
/// pseudo-derivative) are packed once: each one's [`column`] product in two 32-bit
/// halves (below 2^47: the high half below 2^15), its index times `INDEX_MUL` and
/// its index. Each row with a trace then runs the comparator of [`Chance::over`] on
/// all of them, eight at a time ([`group`]), each product two 32-bit multiplies, and
/// steps each synapse that says yes where the mask keeps it (steps are rare, so the
/// mask and the draw `0xFFFF` are looked at only for them). Every synapse gets its
/// own draw's answer, as in the blocks' visits, and each step moves its own weight,
/// so the order does not matter: the bits are [`light`]'s.
#[inline(always)]
fn packed(
    at: Layer<'_, '_>,
    psi: &[u32],
    (k, shifts): (u32, (u32, u32)),
    base: u32,
    bounds: impl Fn(usize) -> Bounds,
    kernel: Option<LightKernel>,
) {
    let Layer {
        w,
        g,
        trace,
        lsig,
        mask,
    } = at;
    let n = lsig.len();
    // `a` is at most 31 ([`Chance::over_shifts`]).
    let a = shifts.0 & 31;
    let mut start = 0usize;
    while start < n {
        let width = n.saturating_sub(start).min(PACK_MAX);
        // The chunk's active columns; past `count` the products are 0, which never
        // step.
        let mut lo = [0u32; PACK_MAX];
        let mut hi = [0u32; PACK_MAX];
        let mut spread = [0u32; PACK_MAX];
        let mut col = [0u32; PACK_MAX];
        let (mut count, mut most) = (0usize, 0u64);
        let chunk = lsig.iter().zip(psi).enumerate().skip(start).take(width);
        for (j, (&lj, &p)) in chunk {
            let c = column(lj, p);
            let slot = (
                lo.get_mut(count),
                hi.get_mut(count),
                spread.get_mut(count),
                col.get_mut(count),
            );
            if let (true, Some(l), Some(h), Some(s), Some(x)) =
                (c != 0, slot.0, slot.1, slot.2, slot.3)
            {
                (*l, *h) = (c as u32, (c >> 32) as u32);
                (*s, *x) = ((j as u32).wrapping_mul(INDEX_MUL), j as u32);
                most = most.max(c);
                count = count.wrapping_add(1);
            }
        }
        start = start.saturating_add(PACK_MAX);
        if count == 0 {
            continue;
        }
        let lanes = count.div_ceil(PACK).saturating_mul(PACK);
        let cols = PackedRows {
            lo: lo.get(..lanes).unwrap_or(&[]),
            hi: hi.get(..lanes).unwrap_or(&[]),
            spread: spread.get(..lanes).unwrap_or(&[]),
            base,
            a,
            rows: &[],
        };
        // The rows that may step, [`BATCH`] at a time through the kernel.
        let mut rows = [(0u32, 0u32); BATCH];
        let mut which = [0usize; BATCH];
        let mut m = 0usize;
        let last = trace.len().saturating_sub(1);
        for (i, &tr) in trace.iter().enumerate() {
            // No draw above the row's ceiling steps ([`Chance::ceiling`]).
            let may = tr != 0 && Chance::new(k, tr).ceiling(most, shifts) >= DRAW_MIN;
            if let (true, Some(r), Some(x)) = (may, rows.get_mut(m), which.get_mut(m)) {
                // Row `i` starts at synapse `i n` (within the layer: no overflow).
                *r = (
                    (i.wrapping_mul(n) as u32).wrapping_mul(INDEX_MUL),
                    tr.min(0xFFFF),
                );
                *x = i;
                m = m.wrapping_add(1);
            }
            if m < BATCH && i < last {
                continue;
            }
            let batch = PackedRows {
                rows: rows.get(..m).unwrap_or(&[]),
                ..cols
            };
            let mut hits = [[0u64; PACK_MAX / 64]; BATCH];
            match kernel {
                Some(f) => f(batch, &mut hits),
                None => packed_rows(batch, &mut hits),
            }
            for ((&(row, _), &i), hits) in batch.rows.iter().zip(&which).zip(&hits) {
                let row_start = i.wrapping_mul(n);
                for (word, &bits) in hits.iter().enumerate() {
                    each_bit(bits, |b| {
                        let k = word.wrapping_mul(64).wrapping_add(b);
                        let (Some(&j), Some(&s)) = (col.get(k), spread.get(k)) else {
                            return;
                        };
                        let j = j as usize;
                        // The draw 0xFFFF never steps ([`Chance::over`]).
                        let h = bits32_spread(base, row.wrapping_add(s));
                        if h >> 16 == 0xFFFF || mask.bits(row_start, j, 1) & 1 == 0 {
                            return;
                        }
                        // A positive trace: the step is against the sign of L_j.
                        let down = lsig.get(j).is_some_and(|&lj| lj > 0);
                        step_one(w, g, row_start.saturating_add(j), down, bounds(i));
                    });
                }
            }
            m = 0;
        }
    }
}

/// The light engine's packed rows without a vector kernel, into `out` (one
/// [`Hits`] a row): each row's comparators eight at a time (`group`), one test for
/// the eight.
#[cfg_attr(target_arch = "x86_64", inline(always))]
pub fn packed_rows(r: PackedRows<'_>, out: &mut [Hits]) {
    for (&(row, t), o) in r.rows.iter().zip(out) {
        *o = packed_row(&r, row, t);
    }
}

/// One row `(row, t)` of [`packed_rows`].
#[cfg_attr(target_arch = "x86_64", inline(always))]
fn packed_row(r: &PackedRows<'_>, row: u32, t: u32) -> Hits {
    let mut hits = [0u64; PACK_MAX / 64];
    let t = u64::from(t.min(0xFFFF));
    let a = r.a & 31;
    let groups =
        r.lo.chunks_exact(PACK)
            .zip(r.hi.chunks_exact(PACK))
            .zip(r.spread.chunks_exact(PACK));
    for (g, ((lo, hi), spread)) in groups.enumerate() {
        let (Ok(lo), Ok(hi), Ok(spread)) = (lo.try_into(), hi.try_into(), spread.try_into()) else {
            continue;
        };
        let yes = group(r.base, row, (t, a), (lo, hi), spread);
        // One test for all eight: steps are rare.
        if yes.iter().fold(0, |any, &y| any | y) == 0 {
            continue;
        }
        let at = g.wrapping_mul(PACK);
        for (l, &y) in yes.iter().enumerate() {
            let k = at.wrapping_add(l);
            if let Some(word) = hits.get_mut(k / 64) {
                *word |= (y & 1).wrapping_shl(k as u32 & 63);
            }
        }
    }
    hits
}

/// [`packed_row`]'s comparators for eight columns of one row (`row`: its first
/// synapse index times `INDEX_MUL`; `t` its trace, `a` the comparator's shift): 1 in
/// each lane where [`Chance::over`] says yes (the draw `0xFFFF` included). Each stage
/// a loop over fixed arrays, for the compiler to make vector instructions of.
#[inline(always)]
fn group(
    base: u32,
    row: u32,
    (t, a): (u64, u32),
    (lo, hi): (&[u32; PACK], &[u32; PACK]),
    spread: &[u32; PACK],
) -> [u64; PACK] {
    let mut h = [0u32; PACK];
    for (h, &s) in h.iter_mut().zip(spread) {
        *h = bits32_spread(base, row.wrapping_add(s));
    }
    let mut yes = [0u64; PACK];
    for ((y, &h), (&lo, &hi)) in yes.iter_mut().zip(&h).zip(lo.iter().zip(hi)) {
        // `col * tr` below 2^63: `hi * tr` below 2^31.
        let prod = u64::from(lo)
            .wrapping_mul(t)
            .wrapping_add(u64::from(hi).wrapping_mul(t).wrapping_shl(32));
        *y = u64::from(prod >= u64::from(draw(h)) << a);
    }
    yes
}

/// One row's block of the light engine with one shift for every synapse.
struct LightRow {
    /// The block's synapses that may step (active columns the mask keeps).
    bits: u64,
    /// The largest [`column`] product of the block (at least that of every column
    /// `bits` keeps).
    most: u64,
    /// The row's presynaptic trace.
    tr: u32,
    /// The shift.
    k: u32,
    b: Bounds,
    base: u32,
    /// The block's first synapse index.
    at: usize,
}

impl LightRow {
    /// The synapses of the block that `bits` keeps, one at a time (`lsig` and `cols`:
    /// the block's columns' signals and [`column`] products; `w` and `g`: the whole
    /// layer, from synapse `at` on), inside [`uniform_rows`]'s loop over a block's rows.
    #[inline(always)]
    fn sparse(
        &self,
        w: &mut [i16],
        g: &mut [i32],
        (lsig, cols): (&[i32], &[u64; 64]),
        shifts: Option<(u32, u32)>,
    ) {
        let chance = Chance::new(self.k, self.tr);
        // `shifts`: [`Chance::over_shifts`] of `k`, worked out once a block.
        if let Some(shifts) = shifts {
            // The comparator without the probability's shift and clamp, and the
            // draw's index times INDEX_MUL as the row's plus the column's (a table):
            // `bits32(base, at + c)`.
            // `lsig` holds the block's columns and `cols` their products (`bits` has
            // only columns of the block, below 64: `c & 63` is `c`, and needs no
            // bounds check), so a column with a product has a signal.
            // No draw above the row's ceiling steps ([`Chance::ceiling`]): a row whose
            // ceiling is below every draw has nothing to visit, and a visit turns most
            // draws away on the ceiling alone, before the column's product (the M4's
            // cue light trial 21,256 to 20,321 instructions a step).
            let ceiling = chance.ceiling(self.most, shifts);
            if ceiling < DRAW_MIN {
                return;
            }
            let row = (self.at as u32).wrapping_mul(INDEX_MUL);
            each_bit(self.bits, |c| {
                let c = c & 63;
                let (Some(&col), Some(&spread)) = (cols.get(c), COLUMN_SPREAD.get(c)) else {
                    return;
                };
                let h = bits32_spread(self.base, row.wrapping_add(spread));
                // (On a 32-bit core, where the product is three multiplies; a 64-bit
                // core multiplies at once.)
                if cfg!(target_pointer_width = "32") && draw(h) > ceiling {
                    return;
                }
                if chance.over(col, h, shifts) && h >> 16 != 0xFFFF {
                    let down = lsig.get(c).is_some_and(|&lj| lj > 0);
                    step_one(w, g, self.at.saturating_add(c), down, self.b);
                }
            });
            return;
        }
        each_bit(self.bits, |c| {
            let (Some(&lj), Some(&col)) = (lsig.get(c), cols.get(c)) else {
                return;
            };
            let idx = self.at.saturating_add(c);
            // A positive trace: the step is against the sign of L_j.
            if chance.steps_col(col, self.base, idx) {
                step_one(w, g, idx, lj > 0, self.b);
            }
        });
    }

    /// The same steps as [`light`]'s one-by-one visit, computed for every synapse of
    /// the block and kept where `bits` says: the compiler vectorises it.
    #[cfg_attr(target_arch = "x86_64", inline(always))]
    fn dense(&self, w: &mut [i16], g: &mut [i32], lsig: &[i32], cols: &[u64]) {
        let b = self.b;
        let chance = Chance::new(self.k, self.tr);
        let take = |c: usize, col: u64| -> bool {
            let on = self.bits.wrapping_shr(c as u32) & 1 == 1;
            on & chance.steps_col(col, self.base, self.at.wrapping_add(c))
        };
        if g.is_empty() {
            for (c, ((wv, &lj), &col)) in w.iter_mut().zip(lsig).zip(cols).enumerate() {
                let step = if lj > 0 { -1 } else { 1 };
                let nw = i32::from(*wv).wrapping_add(step).limit(b.lo, b.hi) as i16;
                *wv = if take(c, col) { nw } else { *wv };
            }
        } else {
            for (c, ((gv, &lj), &col)) in g.iter_mut().zip(lsig).zip(cols).enumerate() {
                let step: i32 = if lj > 0 {
                    -1 << GRAD_FRAC
                } else {
                    1 << GRAD_FRAC
                };
                *gv = if take(c, col) {
                    gv.saturating_add(step)
                } else {
                    *gv
                };
            }
        }
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

/// A layer's connectivity mask, sorted once a step for the [`Runs`] of its rows and
/// single synapses ([`LayerMask::has`]): read from its words where it starts on a
/// word (the chip's masks do; 64 columns at a time in two 32-bit halves, so a 32-bit
/// core takes this path too), else through `bitvec`.
#[derive(Clone, Copy)]
pub struct LayerMask<'a>(Mask<'a>);

impl core::fmt::Debug for LayerMask<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("LayerMask").finish_non_exhaustive()
    }
}

impl<'a> LayerMask<'a> {
    /// `mask` (`None`: every synapse present).
    #[cfg_attr(target_arch = "x86_64", inline(always))]
    pub fn new(mask: Option<&'a Bits>) -> Self {
        Self(Mask::new(mask))
    }

    /// Whether synapse `at` is present (one past the mask's end is absent).
    #[inline(always)]
    pub fn has(self, at: usize) -> bool {
        match self.0 {
            Mask::All => true,
            Mask::Bits(m) => m.get(at).is_some_and(|b| *b),
            Mask::Words(body, tail, len) => {
                at < len
                    && match body.get(at >> 5) {
                        Some(&w) => w,
                        None => tail,
                    }
                    .wrapping_shr(at as u32 & 31)
                        & 1
                        == 1
            }
        }
    }

    /// The absent synapses of the row of `n` synapses from synapse `row0` (columns;
    /// one past the mask's end is absent), written to `out` in order: their count, or
    /// `None` when `out` cannot hold them all.
    #[cfg_attr(target_arch = "x86_64", inline(always))]
    pub fn absent(self, row0: usize, n: usize, out: &mut [usize]) -> Option<usize> {
        let within = self.0.within(row0, n);
        let mut count = 0usize;
        let mut put = |j: usize| -> Option<()> {
            *out.get_mut(count)? = j;
            count = count.wrapping_add(1);
            Some(())
        };
        let mut at = 0usize;
        // A row on the word grid, inside the mask's whole words (a dense layer's rows
        // of a multiple of 32 synapses): its words as they are, 32 columns a word.
        if let (Mask::Words(body, _, _), 0) = (self.0, row0 & 31) {
            let first = row0 >> 5;
            let end = first.saturating_add(within >> 5);
            if let Some(words) = body.get(first..end) {
                for &w in words {
                    let mut zeros = !w;
                    while zeros != 0 {
                        put(at.wrapping_add(zeros.trailing_zeros() as usize))?;
                        zeros &= zeros.wrapping_sub(1);
                    }
                    at = at.wrapping_add(32);
                }
            }
        }
        while at < within {
            let width = within.wrapping_sub(at).min(64);
            let all = u64::MAX.wrapping_shr(64u32.wrapping_sub(width as u32));
            let mut zeros = !self.0.bits(row0, at, width) & all;
            while zeros != 0 {
                put(at.wrapping_add(zeros.trailing_zeros() as usize))?;
                zeros &= zeros.wrapping_sub(1);
            }
            at = at.wrapping_add(width);
        }
        for j in within..n {
            put(j)?;
        }
        Some(count)
    }

    /// The runs of the row of `n` synapses from synapse `row0` (a column past the
    /// mask's end is absent: the row is cut there once, so no read crosses it).
    #[cfg_attr(target_arch = "x86_64", inline(always))]
    pub fn runs(self, row0: usize, n: usize) -> Runs<'a> {
        Runs {
            n: self.0.within(row0, n),
            mask: self.0,
            row0,
            at: 0,
        }
    }
}

/// The runs of consecutive present synapses of one row of a mask, as `start..end`:
/// the whole row at once without a mask (the dense case), two runs for a dense
/// recurrent row without its self-synapse, none when no synapse is present.
#[derive(Clone, Copy)]
pub struct Runs<'a> {
    mask: Mask<'a>,
    row0: usize,
    n: usize,
    at: usize,
}

impl core::fmt::Debug for Runs<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Runs")
            .field("row0", &self.row0)
            .field("n", &self.n)
            .field("at", &self.at)
            .finish_non_exhaustive()
    }
}

impl<'a> Runs<'a> {
    /// The runs of a row of `n` synapses under `mask`, the row's own (`None`: all
    /// present; a column past the mask's end is absent).
    #[cfg_attr(target_arch = "x86_64", inline(always))]
    pub fn new(mask: Option<&'a Bits>, n: usize) -> Self {
        LayerMask::new(mask).runs(0, n)
    }

    /// The first column from `at` on whose bit is `set`, or `n`.
    #[cfg_attr(target_arch = "x86_64", inline(always))]
    fn seek(&self, mut at: usize, set: bool) -> usize {
        if let Mask::Bits(m) = self.mask {
            // `bitvec`'s own search over the rest of the row (within the mask: the
            // row was cut at its end).
            let from = self.row0.saturating_add(at);
            let rest = m
                .get(from..self.row0.saturating_add(self.n))
                .unwrap_or_default();
            let found = if set {
                rest.first_one()
            } else {
                rest.first_zero()
            };
            return found.map_or(self.n, |k| at.saturating_add(k));
        }
        while at < self.n {
            let width = self.n.wrapping_sub(at).min(64);
            let bits = self.mask.bits(self.row0, at, width);
            let hits = if set {
                bits
            } else {
                !bits & u64::MAX.wrapping_shr(64u32.wrapping_sub(width as u32))
            };
            if hits != 0 {
                return at.wrapping_add(hits.trailing_zeros() as usize);
            }
            at = at.wrapping_add(width);
        }
        self.n
    }
}

impl Iterator for Runs<'_> {
    type Item = (usize, usize);

    #[cfg_attr(target_arch = "x86_64", inline(always))]
    fn next(&mut self) -> Option<(usize, usize)> {
        if self.at >= self.n {
            return None;
        }
        if let Mask::All = self.mask {
            self.at = self.n;
            return Some((0, self.n));
        }
        let start = self.seek(self.at, true);
        if start >= self.n {
            self.at = self.n;
            return None;
        }
        let end = self.seek(start, false);
        self.at = end;
        Some((start, end))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitvec::prelude::*;
    use proptest::prelude::*;

    /// A layer for [`light`].
    struct LightLayer {
        trace: Vec<u32>,
        lsig: Vec<i32>,
        psi: Vec<u32>,
        w: Vec<i16>,
        g: Vec<i32>,
        mask: BitVec<u32, Lsb0>,
    }

    /// `rows` traces, `n` columns (`lsig`, `psi`), weights and accumulators, and a
    /// mask, from `seed` (the traces, signals and pseudo-derivatives large and a sixth
    /// of each zero, so that many synapses step).
    fn light_layer(rows: usize, n: usize, seed: u64) -> LightLayer {
        let mut x = seed | 1;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut some = |m: u64| {
            let v = next();
            if v % 6 == 0 {
                0
            } else {
                (v >> 8) % m
            }
        };
        LightLayer {
            trace: (0..rows).map(|_| some(0x1_8000) as u32).collect(),
            lsig: (0..n).map(|_| some(1 << 23) as i32 - (1 << 22)).collect(),
            psi: (0..n).map(|_| some(0x1_8000) as u32).collect(),
            w: (0..rows * n).map(|_| some(256) as i16 - 128).collect(),
            g: (0..rows * n)
                .map(|_| some(1 << 20) as i32 - (1 << 19))
                .collect(),
            mask: (0..rows * n).map(|_| some(4) != 0).collect(),
        }
    }

    proptest! {
        /// The host's packed rows ([`packed`], which [`light`] takes with one shift)
        /// step the same synapses as the visits one at a time ([`light`] with the
        /// shift given per synapse), online and into accumulators, with and without
        /// a mask, on layers wider than one pack (256 columns) and every shift of the
        /// comparator's form: many synapses step, some masked off.
        #[test]
        fn packed_rows_are_the_visits(
            rows in 1usize..12,
            n in 1usize..300,
            k in 17u32..=47,
            online: bool,
            masked: bool,
            base: u32,
            seed: u64,
        ) {
            let LightLayer { trace, lsig, psi, w: w0, g: g0, mask } = light_layer(rows, n, seed);
            let mask = masked.then_some(mask.as_bitslice());
            let bounds = |i: usize| Bounds {
                lo: if i % 3 == 1 { 0 } else { -128 },
                hi: if i % 3 == 2 { 0 } else { 127 },
            };
            let g0 = if online { Vec::new() } else { g0 };
            let (mut wa, mut ga, mut wb, mut gb) = (w0.clone(), g0.clone(), w0.clone(), g0);
            light(&mut wa, &mut ga, &trace, 1, &[], &lsig, &psi, mask, |_| k, Some(k), bounds, base, None, None);
            light(&mut wb, &mut gb, &trace, 1, &[], &lsig, &psi, mask, |_| k, None, bounds, base, None, None);
            prop_assert_eq!(&wa, &wb);
            prop_assert_eq!(&ga, &gb);
        }
    }

    /// [`packed_rows_are_the_visits`]'s layers are not vacuous: on one of them a
    /// large share of the synapses steps, masked-off ones among them where there is
    /// no mask.
    #[test]
    fn packed_rows_step_many_synapses() {
        let (rows, n, k) = (10, 290, 30);
        let LightLayer {
            trace,
            lsig,
            psi,
            w: w0,
            mask,
            ..
        } = light_layer(rows, n, 7);
        let b = |_| Bounds { lo: -128, hi: 127 };
        let mut w = w0.clone();
        light(
            &mut w,
            &mut [],
            &trace,
            1,
            &[],
            &lsig,
            &psi,
            None,
            |_| k,
            Some(k),
            b,
            9,
            None,
            None,
        );
        let stepped = w.iter().zip(&w0).filter(|(a, b)| a != b).count();
        let off = (0..rows * n).filter(|&s| w[s] != w0[s] && !mask[s]).count();
        assert!(stepped > rows * n / 4 && off > 0, "{stepped} {off}");
    }

    proptest! {
        /// The firmware's loops for a row bounded by its weight format give the bits of
        /// the portable loop, for every width, with the one-shift change of
        /// [`exact_products`] on any product and any weight.
        #[test]
        fn online_width_is_online(
            w0 in prop::collection::vec(any::<i16>(), 0..70),
            prods in prop::collection::vec(-(1i64 << 62)..=(1 << 62), 70),
            m in 1u32..=15,
            base in any::<u32>(),
            index0 in 0usize..1 << 20,
            right in ONE_SHIFT,
        ) {
            let up = right.saturating_sub(32);
            let scale = 1u32 << (right - 1 - up);
            let down = right - 16;
            let change = |p: i64, dither: i64| {
                let odd = ((dither as u32) << 1 | 1) << up;
                let a = (u64::from(odd) * u64::from(scale)) as i64 - p;
                at_most32(((a >> 32) as i32) >> down)
            };
            let hi = (1i32 << m) - 1;
            let (mut fast, mut portable) = (w0.clone(), w0);
            let draw = (base, index0);
            macro_rules! widths {
                ($($m:literal)*) => {
                    match m {
                        $($m => online_width::<$m>(&mut fast, prods.iter().copied(), draw, &change),)*
                        _ => unreachable!(),
                    }
                };
            }
            widths!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15);
            online(&mut portable, prods.iter().copied(), draw, Bounds { lo: !hi, hi }, change);
            prop_assert_eq!(fast, portable);
        }

        /// Where `Accumulate::narrow` takes a product, its 32-bit change is the
        /// 64-bit one, and it takes them wherever its bound allows.
        #[test]
        fn narrow_is_the_accumulator(
            k in -3i32..40,
            lmax in 0u32..1 << 17,
            zmax in 0u32..1 << 17,
            l in any::<u32>(),
            z in any::<u32>(),
            acc in any::<i32>(),
        ) {
            let wide = Accumulate::new(k);
            let l = (l % (2 * lmax + 1)) as i64 - lmax as i64;
            let z = z % (zmax + 1);
            let (mut a, mut b) = (acc, acc);
            wide.add_all(core::iter::once((&mut a, l * i64::from(z))));
            match wide.narrow(lmax, zmax) {
                Some(n) => {
                    n.add(&mut b, l as i32, z as i32);
                    prop_assert_eq!(a, b);
                }
                None => prop_assert!(
                    !(0..=31).contains(&k) || u64::from(lmax) * u64::from(zmax) + (1u64 << k >> 1) >= 1 << 31
                ),
            }
        }

        /// `LayerMask::has` reads the bit `bitvec` does, for a mask on the word grid
        /// (from its words) and off it, and none past the mask's end.
        #[test]
        fn has_is_the_bit(words in prop::collection::vec(any::<u32>(), 1..6), lead in 0usize..40) {
            let all = Bits::from_slice(&words);
            let m = &all[lead.min(all.len())..];
            for at in 0..m.len() + 40 {
                let want = m.get(at).is_some_and(|b| *b);
                prop_assert_eq!(LayerMask::new(Some(m)).has(at), want);
            }
            prop_assert!(LayerMask::new(None).has(7));
        }

        /// A row's runs are its maximal stretches of set bits, in order, for a row
        /// at any bit offset in its mask (aligned rows read whole words, others go
        /// through `bitvec`), of any length, sparse or dense.
        #[test]
        fn runs_are_the_stretches_of_set_bits(
            words in prop::collection::vec(any::<u32>(), 1..12),
            dense in 0u8..3,
            off in 0usize..64,
            n in 0usize..300,
        ) {
            // Some masks mostly set, so that runs cross words.
            let words: Vec<u32> = words
                .iter()
                .map(|&w| match dense { 0 => w, 1 => w | w.rotate_left(7), _ => !(w & w >> 3) })
                .collect();
            let all = Bits::from_slice(&words);
            let off = off.min(all.len());
            let row = &all[off..(off + n).min(all.len())];
            let n = row.len();
            // The same row as a row of the whole mask (a word-aligned layer), and of
            // the mask from bit 3 on (a layer off the word grid).
            let layer = |lead: usize| {
                let lead = lead.min(off);
                LayerMask::new(Some(&all[lead..])).runs(off - lead, n).collect::<Vec<_>>()
            };
            let mut want = Vec::new();
            let mut j = 0;
            while j < n {
                if row[j] {
                    let s = j;
                    while j < n && row[j] {
                        j += 1;
                    }
                    want.push((s, j));
                } else {
                    j += 1;
                }
            }
            prop_assert_eq!(Runs::new(Some(row), n).collect::<Vec<_>>(), want.clone());
            prop_assert_eq!(layer(0), want.clone());
            prop_assert_eq!(layer(3), want.clone());
            // A row that runs past the mask's end: the columns there are absent.
            let end = all.len() - off;
            let mut past = Vec::new();
            let mut j = 0;
            while j < end {
                if all[off + j] {
                    let s = j;
                    while j < end && all[off + j] {
                        j += 1;
                    }
                    past.push((s, j));
                } else {
                    j += 1;
                }
            }
            for lead in [0, 3] {
                let lead = lead.min(off);
                let runs = LayerMask::new(Some(&all[lead..])).runs(off - lead, end + 70);
                prop_assert_eq!(runs.collect::<Vec<_>>(), past.clone());
            }
            prop_assert_eq!(Runs::new(None, n).collect::<Vec<_>>(), if n > 0 { vec![(0, n)] } else { vec![] });
        }

        /// The light comparator without the probability's shift and clamp
        /// (`Chance::over`, and the draw `0xFFFF` that never steps) is
        /// `Chance::steps_col`: any column product, trace, draw and shift it takes.
        #[test]
        fn over_is_the_comparator(
            col in 0u64..1 << 47,
            tr in any::<u32>(),
            base in any::<u32>(),
            k in 0u32..70,
            near in any::<bool>(),
        ) {
            let chance = Chance::new(k, tr);
            let h = bits32(base, 7);
            // Half the cases at the bound `(2d + 1) 2^(k-1)` itself, where an
            // off-by-one would show.
            let col = if near && chance.tr > 0 {
                let bound = u64::from((h >> 15) | 1) << chance.k.saturating_sub(1);
                (bound / chance.tr).saturating_add(col & 1).min((1 << 47) - 1)
            } else {
                col
            };
            let want = chance.steps_col(col, base, 7);
            match Chance::over_shifts(chance.k) {
                Some(shifts) => {
                    prop_assert!((17..=47).contains(&chance.k));
                    prop_assert_eq!(chance.over(col, h, shifts) && h >> 16 != 0xFFFF, want);
                }
                None => prop_assert!(!(17..=47).contains(&chance.k)),
            }
        }

        /// A draw above a row's ceiling never steps: any product up to the block's
        /// largest, any trace, draw and shift; half the cases with the largest
        /// product at the draw's own bound, where a ceiling one too low would turn
        /// away a draw that steps.
        #[test]
        fn the_ceiling_turns_away_only_draws_that_never_step(
            most in 0u64..1 << 47,
            frac in 0u64..=1000,
            tr in 1u32..1 << 16,
            h in any::<u32>(),
            k in 17u32..=47,
            near in any::<bool>(),
        ) {
            let chance = Chance::new(k, tr);
            let shifts = Chance::over_shifts(chance.k).unwrap();
            let most = if near {
                (u64::from(draw(h)) << (k - 16)).div_ceil(u64::from(tr)).min((1 << 47) - 1)
            } else {
                most
            };
            let col = if near { most } else { most / 1000 * frac };
            let ceiling = chance.ceiling(most, shifts);
            if draw(h) > ceiling {
                prop_assert!(!chance.over(col, h, shifts), "most {} col {} ceiling {}", most, col, ceiling);
            }
            prop_assert!(ceiling >= DRAW_MIN || !chance.over(most, h, shifts));
        }

        /// Both walks of a 64-bit active set visit its set bits in ascending order.
        #[test]
        fn bit_walks_visit_every_set_bit_in_order(bits in any::<u64>()) {
            let want: Vec<usize> = (0..64).filter(|&c| bits >> c & 1 == 1).collect();
            let (mut a, mut b) = (Vec::new(), Vec::new());
            each_bit(bits, |c| a.push(c));
            each_bit_words(bits, |c| b.push(c));
            prop_assert_eq!(&a, &want);
            prop_assert_eq!(&b, &want);
        }

        /// A row's absent synapses are the columns outside its runs, in order (one
        /// past the mask's end absent too), or `None` when there are more than the
        /// list holds; a layer without a mask has none.
        #[test]
        fn absent_synapses_are_the_gaps_between_runs(
            words in prop::collection::vec(any::<u32>(), 1..12),
            holes in prop::collection::vec(0usize..400, 0..6),
            off in 0usize..64,
            n in 0usize..300,
            past in 0usize..80,
            cap in 0usize..10,
        ) {
            // Mostly set (a few holes), so that most rows fit the list.
            let mut all = Bits::from_slice(&words).to_bitvec();
            all.fill(true);
            for h in holes {
                if h < all.len() {
                    all.set(h, false);
                }
            }
            // Rows anywhere, and rows on the word grid (the fast path of a dense
            // layer's rows).
            for off in [off.min(all.len()), off.min(all.len()) & !31] {
                let n = (n + past).min(all.len() - off + past);
                for lead in [0usize, 3] {
                    let lead = lead.min(off);
                    let mask = LayerMask::new(Some(&all[lead..]));
                    let mut want: Vec<usize> = (0..n).collect();
                    for (s, e) in mask.runs(off - lead, n) {
                        want.retain(|&j| j < s || j >= e);
                    }
                    let mut out = vec![usize::MAX; cap];
                    let got = mask.absent(off - lead, n, &mut out);
                    if want.len() <= cap {
                        prop_assert_eq!(got, Some(want.len()));
                        prop_assert_eq!(&out[..want.len()], &want[..]);
                    } else {
                        prop_assert_eq!(got, None);
                    }
                }
            }
            let mut out = [0usize; 1];
            prop_assert_eq!(LayerMask::new(None).absent(0, n, &mut out), Some(0));
        }
    }
}
