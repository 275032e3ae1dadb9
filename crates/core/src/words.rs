//! Bit vectors a 32-bit word at a time: the spike vectors of every step are read and
//! written whole words, the way the chip's SRAM holds them.
//!
//! A region [`crate::Memory::carve`] cuts starts on a word, so the walks below read
//! and write its words directly; any other slice (one that starts inside a word) is
//! taken 32 bits at a time through `bitvec`, with the same result.

use bitvec::domain::Domain;
use bitvec::field::BitField;

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
    if let Domain::Region {
        head: None,
        body,
        tail,
    } = bits.domain_mut()
    {
        let n = body.len();
        for (b, &w) in body.iter_mut().zip(words) {
            *b = w;
        }
        if let (Some(mut t), Some(&w)) = (tail, words.get(n)) {
            t.store_value(w);
        }
        return;
    }
    for (c, &w) in bits.chunks_mut(32).zip(words) {
        c.store_le::<u32>(w);
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
            }
        }
    }
}
