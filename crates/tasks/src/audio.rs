//! Sound as chip input: a clip's PCM through the front end
//! ([`neurochip_core::audio::FrontEnd`]) into a spike raster, one spike vector of
//! `2 * bands` channels per step, and the raster as a [`SpikeSource`].
//!
//! The raster is words in the caller's memory (`words_per_step(channels)` `u32`
//! words per step, bit `c` of a step's words is channel `c`), so the host keeps
//! rasters in vectors and the firmware can encode into a static, or skip the raster
//! and call [`FrontEnd::push`] once per step.

use bitvec::prelude::*;
use neurochip_core::audio::{AudioError, FrontEnd};

use crate::{fill, Spikes};

/// `u32` words that hold one step of `channels` channels.
pub const fn words_per_step(channels: usize) -> usize {
    channels.div_ceil(32)
}

/// Run `pcm` through `fe` (from its current state; [`FrontEnd::reset`] first for a
/// clip of its own), whole steps only (a last partial step is dropped), writing step
/// `t`'s spikes into `words[t * w .. (t + 1) * w]`, `w = words_per_step(channels)`.
/// Stops when `words` is full. Returns the number of steps written.
pub fn encode(fe: &mut FrontEnd, pcm: &[i16], words: &mut [u32]) -> Result<u32, AudioError> {
    let n = fe.config().samples_per_step();
    let w = words_per_step(fe.config().n_channels());
    let mut steps = 0u32;
    if w == 0 {
        return Ok(0);
    }
    for (chunk, out) in pcm.chunks_exact(n).zip(words.chunks_exact_mut(w)) {
        fe.push(chunk, out.view_bits_mut::<Lsb0>())?;
        steps = steps.saturating_add(1);
    }
    Ok(steps)
}

/// A spike raster: `steps` steps of `channels` channels in `words`.
#[derive(Clone, Copy, Debug)]
pub struct Raster<'a> {
    words: &'a [u32],
    channels: usize,
    steps: u32,
}

impl<'a> Raster<'a> {
    /// The raster of `steps` steps in `words`; `None` when `words` holds fewer than
    /// `steps * words_per_step(channels)` words.
    pub fn new(words: &'a [u32], channels: usize, steps: u32) -> Option<Self> {
        let need = (steps as usize).checked_mul(words_per_step(channels))?;
        (words.len() >= need).then_some(Self {
            words,
            channels,
            steps,
        })
    }

    /// Input channels.
    pub fn n_inputs(&self) -> usize {
        self.channels
    }

    /// Steps.
    pub fn steps(&self) -> u32 {
        self.steps
    }

    /// The words of step `t` (empty past the end).
    pub fn step_words(&self, t: u32) -> &'a [u32] {
        let w = words_per_step(self.channels);
        let start = (t as usize).saturating_mul(w);
        if t >= self.steps {
            return &[];
        }
        self.words
            .get(start..start.saturating_add(w))
            .unwrap_or(&[])
    }

    /// Writes step `t`'s spikes into `out` (silence past the end).
    pub fn spikes(&self, t: u32, out: &mut Spikes) {
        let bits = self.step_words(t).view_bits::<Lsb0>();
        fill(out, self.channels, |c| bits.get(c).is_some_and(|b| *b));
    }
}

crate::source::spike_source_by_inherent!(Raster<'_>);

#[cfg(test)]
mod tests {
    use super::*;
    use neurochip_core::audio::{Band, Config, Settings};

    #[test]
    fn raster_holds_the_front_ends_steps() {
        let band = Band {
            b0: 1 << 26,
            c1: (1.8 * f64::from(1u32 << 30)) as i32,
            c2: (-0.9 * f64::from(1u32 << 30)) as i32,
        };
        let cfg = Config::new(&[band; 3], Settings::default()).unwrap();
        let mut fe = FrontEnd::new(&cfg);
        let pcm: Vec<i16> = (0..1000)
            .map(|i| if (i / 40) % 2 == 0 { 9000 } else { -9000 })
            .collect();
        let mut words = vec![0u32; 62];
        let steps = encode(&mut fe, &pcm, &mut words).unwrap();
        assert_eq!(steps, 62); // 1000 / 16, the partial step dropped
        let r = Raster::new(&words, 6, steps).unwrap();
        let mut fe2 = FrontEnd::new(&cfg);
        let mut out = bitvec![u32, Lsb0; 0; 6];
        let mut got = bitvec![u32, Lsb0; 1; 8];
        let mut any = false;
        for t in 0..steps {
            let s = t as usize * 16;
            fe2.push(&pcm[s..s + 16], &mut out).unwrap();
            r.spikes(t, &mut got);
            assert_eq!(&got[..6], &out[..]);
            assert!(got[6..].not_any());
            any |= out.any();
        }
        assert!(any);
        r.spikes(steps, &mut got);
        assert!(got.not_any());
        assert!(Raster::new(&words, 6, 63).is_none());
    }
}
