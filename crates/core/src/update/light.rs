//! The light engine's kernel ([`light()`]): stochastic one-LSB steps drawn per synapse,
//! only where trace, pseudo-derivative and learning signal are all non-zero; the
//! packed comparators a host's vector kernel may take over ([`packed_rows`]).

use super::*;

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

/// The rows of one block of [`light()`] with one shift `k` for every synapse (`bank`:
/// each row's trace; `lsig` and `cols`: the block's columns, their signals and
/// [`column()`] products): a row with most of its block active at once, branch-free
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

/// One synapse of [`light()`] visited alone: with `(L_j, psi_j, e)` (`e` the signed
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

/// Where one 64-column block of [`light()`] lies: its first column, its width, the
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

/// Active synapses of a 64-column block from which [`light()`] updates the whole block
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
pub(super) struct Chance {
    pub(super) k: u32,
    half: u64,
    pub(super) tr: u64,
}

impl Chance {
    #[cfg_attr(target_arch = "x86_64", inline(always))]
    pub(super) fn new(k: u32, tr: u32) -> Self {
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

    /// [`Chance::steps`] from the column's [`column()`] product.
    #[cfg_attr(target_arch = "x86_64", inline(always))]
    pub(super) fn steps_col(&self, col: u64, base: u32, index: usize) -> bool {
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
    pub(super) fn over_shifts(k: u32) -> Option<(u32, u32)> {
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
    pub(super) fn over(&self, col: u64, h: u32, (a, b): (u32, u32)) -> bool {
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
    pub(super) fn ceiling(&self, most: u64, (a, _): (u32, u32)) -> u32 {
        // `a` is at most 31 (`k <= 47`): masked, so that a 32-bit core shifts one way.
        most.wrapping_mul(self.tr)
            .wrapping_shr(a & 31)
            .min(u64::from(u32::MAX)) as u32
    }
}

/// The draw of [`Chance::over`] from the hash `h`: `(2d + 1) 2^15` for `d = h >> 16`.
#[inline(always)]
pub(super) fn draw(h: u32) -> u32 {
    (h & !0x7FFF) | 0x8000
}

/// The smallest [`draw`].
pub(super) const DRAW_MIN: u32 = 0x8000;

/// `f(c)` for each set bit `c` of `bits`, in ascending order: on a 32-bit core a
/// 32-bit word at a time ([`each_bit_words`]: the M4's light trial 33,112 to 32,159
/// instructions a step), elsewhere the 64-bit word (3% faster on the host).
#[inline(always)]
pub(super) fn each_bit(bits: u64, mut f: impl FnMut(usize)) {
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
pub(super) fn each_bit_words(bits: u64, mut f: impl FnMut(usize)) {
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

/// Whether [`light()`] packs a layer's active columns once for all its rows and runs
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

/// [`light()`] with one shift `k` (`shifts`: [`Chance::over_shifts`] of it), one
/// trace bank and no adaptive columns, on a 64-bit core with a vector unit, up to
/// [`PACK_MAX`] columns at a time. Their active columns (a signal and a
/// pseudo-derivative) are packed once: each one's [`column()`] product in two 32-bit
/// halves (below 2^47: the high half below 2^15), its index times `INDEX_MUL` and
/// its index. Each row with a trace then runs the comparator of [`Chance::over`] on
/// all of them, eight at a time ([`group`]), each product two 32-bit multiplies, and
/// steps each synapse that says yes where the mask keeps it (steps are rare, so the
/// mask and the draw `0xFFFF` are looked at only for them). Every synapse gets its
/// own draw's answer, as in the blocks' visits, and each step moves its own weight,
/// so the order does not matter: the bits are [`light()`]'s.
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
    /// The largest [`column()`] product of the block (at least that of every column
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
    /// the block's columns' signals and [`column()`] products; `w` and `g`: the whole
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

    /// The same steps as [`light()`]'s one-by-one visit, computed for every synapse of
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
