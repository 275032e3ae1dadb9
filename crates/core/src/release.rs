//! Stochastic synaptic release: each synapse transmits a presynaptic spike with a
//! release probability, one per synapse class (input, recurrent).
//!
//! The decision is a comparator: synapse `i -> j` of class `c` releases at step `t`
//! when the top 16 bits of a random word are below `p` (probability `p / 2^16`,
//! `p` in `0..=65536`). The random word is counter-based: a 32-bit integer hash
//! (murmur3's finaliser) of the chip seed, the step counter, the class and the
//! synapse index (`i * n_post + j`, as stored). That is a PRNG too, but one whose
//! output is a function of *which* synapse and *when*, not of how many draws came
//! before, which buys three things:
//!
//! * order independence: the event-driven path, the cycle-level scheduler and the
//!   firmware visit events in different orders and still see the same releases
//!   (the datapath's order-independence contract, `docs/fixed-point.md`);
//! * the float reference sees the very same decisions: it calls [`released`] with the
//!   chip's step counter (`neurochip_ref::Reference::step_gated`), nothing recorded;
//! * no new chip state: the seed and step counter are already registers, so snapshots
//!   and images keep their layout.
//!
//! A class with `p = 65536` (1.0, the default) never evaluates the hash, and its
//! input is summed by [`crate::synapse::accumulate_events`] exactly as without this
//! module: every existing digest is unchanged. On a chip the comparator is one hash
//! circuit per synapse lane; the cost per synaptic operation is a handful of
//! multiplies and shifts.
//!
//! Learning is unaffected in form: the eligibility traces use the presynaptic
//! traces (`zbar`, `xbar`) of the spikes that *arrived at the axon*, whether or not a
//! synapse released, as in e-prop with stochastic synapses; only the membrane input
//! is stochastic.

use crate::hash::{fold_seed, mix, GOLDEN};
use crate::memory::Bits;

/// Release probability 1.0 in the Q0.16 comparator scale.
pub const ALWAYS: u32 = 1 << 16;

/// Class codes of the release hash: the hash's layer codes ([`crate::hash::layer`]).
pub mod class {
    pub use crate::hash::layer::{INPUT, RECURRENT};
}

/// Release probabilities per synapse class, `p / 2^16`, each in `0..=65536`
/// (65536 = always release, the default).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Release {
    /// Input synapses.
    pub p_in: u32,
    /// Recurrent synapses.
    pub p_rec: u32,
}

impl Release {
    /// Every synapse always releases (no draws).
    pub const ALWAYS: Self = Self {
        p_in: ALWAYS,
        p_rec: ALWAYS,
    };

    /// Whether any class releases with a probability below one.
    pub const fn is_stochastic(&self) -> bool {
        self.p_in < ALWAYS || self.p_rec < ALWAYS
    }
}

impl Default for Release {
    fn default() -> Self {
        Self::ALWAYS
    }
}

/// The per-step key of class `class` at step `step` (the chip's step counter before
/// the step: 0 for the first step after reset).
#[inline]
pub fn step_key(seed: u64, step: u64, class: u32) -> u32 {
    let h = mix(fold_seed(seed) ^ (step as u32).wrapping_mul(GOLDEN));
    mix(h ^ ((step >> 32) as u32) ^ class.wrapping_mul(0x27D4_EB2F))
}

/// Whether the synapse with index `index` releases, for a [`step_key`] `key` and a
/// probability `p / 2^16`.
#[inline]
pub fn released_key(key: u32, index: usize, p: u32) -> bool {
    if p >= ALWAYS {
        return true;
    }
    let r = mix(key ^ (index as u32).wrapping_mul(0x1656_67B1));
    (r >> 16) < p
}

/// Whether synapse `index` of class `class` releases at step `step` with probability
/// `p / 2^16`: [`released_key`] of [`step_key`]. The float reference calls this.
pub fn released(seed: u64, step: u64, class: u32, index: usize, p: u32) -> bool {
    p >= ALWAYS || released_key(step_key(seed, step, class), index, p)
}

/// [`crate::synapse::accumulate_events`] through release comparators: add `w[i *
/// n_post + j]` to `acc[j]` for every set bit `i` of `pre` whose synapse to `j`
/// releases ([`released_key`] with `key`, probability `p / 2^16`). Returns the
/// synaptic operations (events times `n_post`: every synapse is visited, a silent
/// release costs the comparator). The sum is order independent, as without release.
pub fn accumulate_events_released(pre: &Bits, w: &[i16], acc: &mut [i32], key: u32, p: u32) -> u32 {
    crate::synapse::event_rows(pre, w, acc.len(), |start, row| {
        for (j, (a, &x)) in acc.iter_mut().zip(row).enumerate() {
            if x != 0 && released_key(key, start.saturating_add(j), p) {
                // Cannot wrap: the same bound as accumulate_events.
                *a = a.wrapping_add(i32::from(x));
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitvec::prelude::*;

    #[test]
    fn never_releases_at_zero() {
        let pre = bitvec![u32, Lsb0; 1, 1, 1];
        let w = [1i16; 9];
        let mut a = [0i32; 3];
        accumulate_events_released(&pre, &w, &mut a, step_key(3, 9, class::INPUT), 0);
        assert_eq!(a, [0, 0, 0]);
    }

    #[test]
    fn release_rate_matches_probability() {
        for p in [ALWAYS / 4, ALWAYS / 2, 3 * ALWAYS / 4] {
            let n = 200_000usize;
            let hits = (0..n)
                .filter(|&k| released(7, (k / 1000) as u64, class::RECURRENT, k % 1000, p))
                .count();
            let rate = hits as f64 / n as f64;
            let want = f64::from(p) / f64::from(ALWAYS);
            // Binomial standard deviation at n = 2e5 is below 0.0012.
            assert!((rate - want).abs() < 0.006, "p = {want}: rate {rate}");
        }
    }

    #[test]
    fn classes_and_steps_draw_differently() {
        let p = ALWAYS / 2;
        let a: Vec<bool> = (0..64)
            .map(|k| released(1, 5, class::INPUT, k, p))
            .collect();
        let b: Vec<bool> = (0..64)
            .map(|k| released(1, 5, class::RECURRENT, k, p))
            .collect();
        let c: Vec<bool> = (0..64)
            .map(|k| released(1, 6, class::INPUT, k, p))
            .collect();
        assert_ne!(a, b);
        assert_ne!(a, c);
    }
}
