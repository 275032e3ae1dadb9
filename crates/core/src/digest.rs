//! The 64-bit trace digest that identifies a run bit for bit.
//!
//! Every step the chip folds in the step index, the spike vector, every membrane and
//! every readout state (two 32-bit values to a 64-bit word, through four independent
//! lanes: [`Digest::fold_i32s`]); weights are folded in when the chip is built and
//! whenever learning changes them. Two runs with the same
//! digest computed the same bits (up to hash collisions); tests and the firmware
//! compare digests instead of whole traces.
//!
//! The fold is `h = (rotl(h, 23) ^ x) * 0x9E37_79B9_7F4A_7C15 (mod 2^64)` over 64-bit
//! words, starting from `0xCBF2_9CE4_8422_2325`: wrapping on purpose, cheap on a
//! 32-bit MCU, and sensitive to the order of words.

/// A running 64-bit digest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Digest(u64);

const START: u64 = 0xCBF2_9CE4_8422_2325;
const MUL: u64 = 0x9E37_79B9_7F4A_7C15;

impl Digest {
    /// The empty digest.
    pub const fn new() -> Self {
        Self(START)
    }

    /// Resume from a saved value.
    pub const fn from_value(v: u64) -> Self {
        Self(v)
    }

    /// The current value.
    pub const fn value(&self) -> u64 {
        self.0
    }

    /// Fold one 64-bit word.
    #[inline]
    pub fn fold(&mut self, x: u64) {
        self.0 = (self.0.rotate_left(23) ^ x).wrapping_mul(MUL);
    }

    /// Fold a signed 32-bit word (sign-extended).
    #[inline]
    pub fn fold_i32(&mut self, x: i32) {
        self.fold(i64::from(x) as u64);
    }

    /// Fold every value of a slice of `i32`, two to a word (the first in the high
    /// half; an odd last value alone, sign-extended), through the lanes.
    #[cfg_attr(target_arch = "x86_64", inline(always))]
    pub fn fold_i32s(&mut self, xs: &[i32]) {
        self.fold_packed::<_, 2>(xs, |p| match *p {
            [a, b] => (u64::from(a as u32) << 32) | u64::from(b as u32),
            [x] => i64::from(x) as u64,
            _ => 0,
        });
    }

    /// Fold a slice of `i16` weights, four to a word (the first in the high bits),
    /// through the lanes.
    pub fn fold_i16s(&mut self, xs: &[i16]) {
        self.fold_packed::<_, 4>(xs, |q| {
            q.iter().fold(0u64, |w, &x| (w << 16) | u64::from(x as u16))
        });
    }

    /// Fold a slice through the lanes, `PER` values to a word (`pack` makes a word of
    /// `PER` values, or of the fewer left at the end): word `w` goes to lane
    /// `w mod LANES`, each lane folds its words in order from its own start (the
    /// digest so far xor the lane's constant), and the lanes are then folded into the
    /// digest in lane order. Every word still changes the result (each fold is a
    /// bijection of the word), and so does any reordering, but the lanes' multiplies
    /// are independent: four run at once on a superscalar core or in one vector. On a
    /// 32-bit core the lanes run one after another instead (the same folds, in the same
    /// order within each lane), so that one lane's state fits its registers.
    #[cfg_attr(target_arch = "x86_64", inline(always))]
    fn fold_packed<T, const PER: usize>(&mut self, xs: &[T], pack: impl Fn(&[T]) -> u64) {
        let tail = xs.chunks_exact(const { PER * LANES }).remainder();
        let body = xs.get(..xs.len().wrapping_sub(tail.len())).unwrap_or(&[]);
        let rest = tail.chunks(PER).map(&pack);
        let mut lanes = LANE_START.map(|c| self.0 ^ c);
        if cfg!(target_arch = "x86_64") {
            by_blocks::<T, PER>(&mut lanes, body, &pack);
        } else {
            by_lanes::<T, PER>(&mut lanes, body, &pack);
        }
        for (h, w) in lanes.iter_mut().zip(rest) {
            *h = lane(*h, w);
        }
        for h in lanes {
            self.fold(h);
        }
    }
}

/// The whole blocks of [`Digest::fold_packed`] a block at a time: the four lanes'
/// folds side by side.
#[cfg_attr(target_arch = "x86_64", inline(always))]
fn by_blocks<T, const PER: usize>(
    lanes: &mut [u64; LANES],
    body: &[T],
    pack: &impl Fn(&[T]) -> u64,
) {
    for c in body.chunks_exact(const { PER * LANES }) {
        let mut ws = [0u64; LANES];
        for (w, p) in ws.iter_mut().zip(c.chunks_exact(PER)) {
            *w = pack(p);
        }
        for (h, &w) in lanes.iter_mut().zip(&ws) {
            *h = lane(*h, w);
        }
    }
}

/// The same folds as [`by_blocks`], a lane at a time (a 32-bit core): each lane's
/// words in order, two blocks a loop turn.
#[cfg_attr(target_arch = "x86_64", inline(always))]
fn by_lanes<T, const PER: usize>(
    lanes: &mut [u64; LANES],
    body: &[T],
    pack: &impl Fn(&[T]) -> u64,
) {
    for (l, h) in lanes.iter_mut().enumerate() {
        let at = l.wrapping_mul(PER);
        let next = at.wrapping_add(const { PER * LANES });
        let mut s = *h;
        let mut pairs = body.chunks_exact(const { 2 * PER * LANES });
        for c in pairs.by_ref() {
            if let (Some(p), Some(q)) = (
                c.get(at..at.wrapping_add(PER)),
                c.get(next..next.wrapping_add(PER)),
            ) {
                s = lane(lane(s, pack(p)), pack(q));
            }
        }
        if let Some(p) = pairs.remainder().get(at..at.wrapping_add(PER)) {
            s = lane(s, pack(p));
        }
        *h = s;
    }
}

/// One lane's fold of one word.
#[inline(always)]
fn lane(h: u64, w: u64) -> u64 {
    (h.rotate_left(23) ^ w).wrapping_mul(MUL)
}

/// Lanes of [`Digest::fold_i32s`] and [`Digest::fold_i16s`].
pub const LANES: usize = 4;

/// Each lane's start constant (xored with the digest so far).
const LANE_START: [u64; LANES] = [
    0x243F_6A88_85A3_08D3,
    0x1319_8A2E_0370_7344,
    0xA409_3822_299F_31D0,
    0x082E_FA98_EC4E_6C89,
];

impl Default for Digest {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Both arrangements of the lanes' folds over `xs`, `PER` values a word.
    fn both<const PER: usize>(start: u64, xs: &[i16]) -> ([u64; LANES], [u64; LANES]) {
        let pack = |q: &[i16]| q.iter().fold(0u64, |w, &x| (w << 16) | u64::from(x as u16));
        let body = &xs[..xs.len() - xs.len() % (PER * LANES)];
        let (mut a, mut b) = ([start; LANES], [start; LANES]);
        for (l, c) in a.iter_mut().zip(LANE_START) {
            *l ^= c;
        }
        b.copy_from_slice(&a);
        by_blocks::<i16, PER>(&mut a, body, &pack);
        by_lanes::<i16, PER>(&mut b, body, &pack);
        (a, b)
    }

    proptest! {
        /// A lane at a time (the 32-bit core's arrangement, two blocks a turn) folds
        /// the same words in the same order within each lane as a block at a time
        /// (the host's): the firmware's digests are the host's.
        #[test]
        fn lanes_are_the_blocks(start: u64, xs in prop::collection::vec(any::<i16>(), 0..200)) {
            let (a, b) = both::<2>(start, &xs);
            prop_assert_eq!(a, b);
            let (a, b) = both::<4>(start, &xs);
            prop_assert_eq!(a, b);
        }
    }

    #[test]
    fn every_value_moves_its_lane() {
        // Three blocks of eight values (PER 2): one pair, then the lane loop's
        // unpaired last block.
        let xs: Vec<i16> = (0..24).collect();
        let (a, _) = both::<2>(7, &xs);
        for k in 0..24 {
            let mut ys = xs.clone();
            ys[k] ^= 1;
            let (b, c) = both::<2>(7, &ys);
            assert_eq!(b, c);
            let moved: Vec<usize> = (0..LANES).filter(|&l| a[l] != b[l]).collect();
            assert_eq!(moved, vec![(k / 2) % LANES], "value {k}");
        }
    }

    #[test]
    fn order_matters() {
        let mut a = Digest::new();
        a.fold(1);
        a.fold(2);
        let mut b = Digest::new();
        b.fold(2);
        b.fold(1);
        assert_ne!(a, b);
    }
}
