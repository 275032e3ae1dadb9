//! The common shape of an input generator: a fixed number of channels, a fixed
//! number of steps, and random access to the spike vector of any step.

use crate::rng::StepHasher;
use crate::Spikes;

/// Something that produces one spike vector per time step.
///
/// Implementations are pure: `spikes(t, ..)` depends only on the source and
/// `t`, so steps can be produced in any order and repeated.
pub trait SpikeSource {
    /// Number of input channels written by [`SpikeSource::spikes`].
    fn n_inputs(&self) -> usize;
    /// Number of time steps in the sample; steps at or past this are silent.
    fn steps(&self) -> u32;
    /// Writes the spikes of step `t` into `out` (see the crate docs for the
    /// buffer convention).
    fn spikes(&self, t: u32, out: &mut Spikes);
}

/// Implements [`SpikeSource`] for a type by its own inherent `n_inputs`, `steps` and
/// `spikes`, which a generator also offers without the trait in scope.
macro_rules! spike_source_by_inherent {
    ($t:ty) => {
        impl $crate::SpikeSource for $t {
            fn n_inputs(&self) -> usize {
                <$t>::n_inputs(self)
            }
            fn steps(&self) -> u32 {
                <$t>::steps(self)
            }
            fn spikes(&self, t: u32, out: &mut $crate::Spikes) {
                <$t>::spikes(self, t, out)
            }
        }
    };
}
pub(crate) use spike_source_by_inherent;

/// Writes `bit(c)` for every channel `c < min(out.len(), n)` and clears the
/// rest of `out`. This is the buffer convention of every generator here. `bit` is
/// called once a channel, in increasing order (a generator may draw in turn).
#[inline]
pub fn fill(out: &mut Spikes, n: usize, mut bit: impl FnMut(usize) -> bool) {
    // A word of 32 channels at a time, written whole ([`neurochip_core::words`]).
    let len = out.len();
    let mut words = [0u32; 8];
    let mut at = 0usize;
    while at < len {
        let block = len.saturating_sub(at).min(words.len() * 32);
        words.fill(0);
        // Only channels below `n` are drawn; the loop has no other branch.
        let live = n.saturating_sub(at).min(block);
        for (w, k0) in words.iter_mut().zip((0..live).step_by(32)) {
            for k in k0..live.min(k0.saturating_add(32)) {
                *w |= u32::from(bit(at.wrapping_add(k))) << (k % 32);
            }
        }
        if let Some(part) = out.get_mut(at..at.saturating_add(block)) {
            neurochip_core::words::store_words(part, &words);
        }
        at = at.saturating_add(block);
    }
}

/// Writes a vector of populations of `per_pop` channels: channel `c` of population
/// `c / per_pop` fires with probability `rates[c / per_pop]` (a fraction of 2^32),
/// drawn from `h` (one hash per channel). Channels past the populations stay silent.
#[inline]
pub fn fill_populations(out: &mut Spikes, n: usize, per_pop: usize, rates: &[u32], h: &StepHasher) {
    // Population by population: a silent one (rate 0, most of them at any step of a
    // task) costs nothing, and only the spikes are written, one bit each.
    out.fill(false);
    let n = n.min(out.len());
    for (pop, &p) in rates.iter().enumerate() {
        if p == 0 {
            continue;
        }
        let start = pop.saturating_mul(per_pop);
        let draws = h.bernoullis(start as u64, p);
        for (c, fires) in (start..start.saturating_add(per_pop).min(n)).zip(draws) {
            if fires {
                if let Some(mut bit) = out.get_mut(c) {
                    *bit = true;
                }
            }
        }
    }
}
