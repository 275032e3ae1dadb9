//! Bit vectors a 32-bit word at a time: the spike vectors of every step are read and
//! written whole words, the way the chip's SRAM holds them.
//!
//! A region [`crate::Memory::carve`] cuts starts on a word, so the walks below read
//! and write its words directly; any other slice (one that starts inside a word) is
//! taken 32 bits at a time through `bitvec`, with the same result.

use bitvec::domain::{Domain, PartialElement};
use bitvec::field::BitField;
use bitvec::order::Lsb0;
use bitvec::ptr::Mut;

use crate::memory::Bits;

/// Call `f(k, word)` for every 32-bit word of `bits` in order: bit `c` of word `k` is
/// bit `32k + c` of `bits`, and the bits past the end of the last word are zero.
#[cfg_attr(target_arch = "x86_64", inline(always))]
pub fn for_each_word(bits: &Bits, mut f: impl FnMut(usize, u32)) {
    match bits.domain() {
        Domain::Region {
            head: None,
            body,
            tail,
        } => {
            for (k, &w) in body.iter().enumerate() {
                f(k, w);
            }
            if let Some(t) = tail {
                f(body.len(), t.load_value());
            }
        }
        _ => {
            for (k, c) in bits.chunks(32).enumerate() {
                f(k, c.load_le::<u32>());
            }
        }
    }
}

/// Call `f(i)` for every set bit `i` of `bits`, in ascending order.
#[cfg_attr(target_arch = "x86_64", inline(always))]
pub fn for_each_one(bits: &Bits, mut f: impl FnMut(usize)) {
    for_each_word(bits, |k, mut w| {
        let base = k.saturating_mul(32);
        while w != 0 {
            f(base.saturating_add(w.trailing_zeros() as usize));
            w &= w.wrapping_sub(1);
        }
    });
}

/// Write `words` into `bits`, word `k` into bits `32k..32k + 32` (bits past the end
/// of `bits` are dropped; words past the end of `words` leave their bits as they are).
#[cfg_attr(target_arch = "x86_64", inline(always))]
pub fn store_words(bits: &mut Bits, words: &[u32]) {
    let mut out = WordsMut::new(bits);
    for (k, &w) in words.iter().enumerate() {
        out.set(k, w);
    }
}

/// A bit vector's 32-bit words, each read and written by its index: word `k` holds
/// bits `32k..32k + 32`. Reading past the end gives zero and writing past it does
/// nothing, as [`for_each_word`] reads. For updating a vector in place a word at a
/// time, without a copy of it.
pub enum WordsMut<'a> {
    /// A region that starts on a word: its whole words, and its last word's bits when
    /// it ends inside one.
    Aligned(&'a mut [u32], Option<PartialElement<'a, Mut, u32, Lsb0>>),
    /// Any other slice, 32 bits at a time through `bitvec`.
    Any(&'a mut Bits),
}

impl<'a> WordsMut<'a> {
    /// The words of `bits`.
    #[cfg_attr(target_arch = "x86_64", inline(always))]
    pub fn new(bits: &'a mut Bits) -> Self {
        if !matches!(bits.domain(), Domain::Region { head: None, .. }) {
            return WordsMut::Any(bits);
        }
        match bits.domain_mut() {
            Domain::Region { body, tail, .. } => WordsMut::Aligned(body, tail),
            // Not a region: checked above.
            Domain::Enclave(_) => WordsMut::Aligned(&mut [], None),
        }
    }

    /// Word `k` (zero past the end).
    #[cfg_attr(target_arch = "x86_64", inline(always))]
    pub fn get(&self, k: usize) -> u32 {
        match self {
            WordsMut::Aligned(body, tail) => match body.get(k) {
                Some(&w) => w,
                None if k == body.len() => tail.as_ref().map_or(0, |t| t.load_value()),
                None => 0,
            },
            WordsMut::Any(bits) => Self::chunk(bits.len(), k)
                .and_then(|r| bits.get(r))
                .map_or(0, |c| c.load_le::<u32>()),
        }
    }

    /// Write word `k` (nothing past the end; the bits past the end of a last partial
    /// word are dropped).
    #[cfg_attr(target_arch = "x86_64", inline(always))]
    pub fn set(&mut self, k: usize, w: u32) {
        match self {
            WordsMut::Aligned(body, tail) => {
                let n = body.len();
                if let Some(b) = body.get_mut(k) {
                    *b = w;
                } else if let (true, Some(t)) = (k == n, tail.as_mut()) {
                    t.store_value(w);
                }
            }
            WordsMut::Any(bits) => {
                if let Some(c) = Self::chunk(bits.len(), k).and_then(|r| bits.get_mut(r)) {
                    c.store_le::<u32>(w);
                }
            }
        }
    }

    /// The bits of word `k` in a vector of `len` bits, if it has any.
    fn chunk(len: usize, k: usize) -> Option<core::ops::Range<usize>> {
        let start = k.checked_mul(32).filter(|&s| s < len)?;
        Some(start..start.saturating_add(32).min(len))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitvec::prelude::*;

    #[test]
    fn words_agree_with_bitvec_at_any_offset() {
        let mut v = bitvec![u32, Lsb0; 0; 200];
        for i in [0usize, 5, 31, 32, 63, 64, 100, 150, 199] {
            v.set(i, true);
        }
        for start in [0usize, 1, 32, 37] {
            for end in [start + 3, 64, 150, 200] {
                let s = &v[start..end];
                let mut ones = [0usize; 16];
                let mut n = 0;
                for_each_one(s, |i| {
                    ones[n] = i;
                    n += 1;
                });
                assert!(
                    s.iter_ones().eq(ones[..n].iter().copied()),
                    "{start}..{end}"
                );
                let mut words = [0u32; 8];
                for_each_word(s, |k, w| words[k] = w);
                let mut back = bitvec![u32, Lsb0; 1; end - start];
                store_words(&mut back, &words);
                assert_eq!(&back[..], s, "{start}..{end}");
                // In place, at any offset: each word read, then written back changed.
                let mut inner = v.clone();
                let mut w = WordsMut::new(&mut inner[start..end]);
                for (k, &x) in words.iter().enumerate() {
                    assert_eq!(w.get(k), x, "{start}..{end} word {k}");
                    w.set(k, !x);
                }
                assert_eq!(w.get(8), 0);
                let flipped: BitVec<u32, Lsb0> = s.iter().map(|b| !*b).collect();
                assert_eq!(&inner[start..end], &flipped[..], "{start}..{end}");
                assert_eq!(&inner[..start], &v[..start]);
                assert_eq!(&inner[end..], &v[end..]);
            }
        }
    }
}
