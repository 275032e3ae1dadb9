//! The connectivity masks the kernels read: [`Mask`], 64 columns at a time, for the
//! light engine's walk, and [`LayerMask`], a layer's mask as [`Runs`] of present
//! synapses, for the exact engine's rows.

use super::*;

/// A connectivity mask, read 64 columns at a time ([`Mask::bits`]): straight from
/// its words when it starts on a word boundary (the chip's masks do), else through
/// `bitvec`; `All` without a mask.
#[derive(Clone, Copy)]
pub(super) enum Mask<'a> {
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
    pub(super) fn within(self, row0: usize, n: usize) -> usize {
        self.len().map_or(n, |len| n.min(len.saturating_sub(row0)))
    }

    pub(super) fn new(mask: Option<&'a Bits>) -> Self {
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
    pub(super) fn bits(self, row0: usize, start: usize, width: usize) -> u64 {
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
