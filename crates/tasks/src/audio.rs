//! Sound as chip input: a clip's PCM through the front end
//! ([`neurochip_core::audio::FrontEnd`]) into a spike raster, one spike vector of
//! `2 * bands` channels per step, and the raster as a [`crate::SpikeSource`].
//!
//! The raster is words in the caller's memory (`words_per_step(channels)` `u32`
//! words per step, bit `c` of a step's words is channel `c`), so the host keeps
//! rasters in vectors and the firmware can encode into a static, or skip the raster
//! and call [`FrontEnd::push`] once per step. A raster can also be packed bytes
//! ([`Raster::from_bytes`], `bytes_per_step(channels)` a step, bit `c % 8` of byte
//! `c / 8`): the form a chip image carries.
//!
//! A keyword-spotting sample is a clip with its class: [`AudioSample`] (spikes, as
//! the host caches them or an image carries them) or [`PcmSample`] (the clip's
//! samples, which the front end turns into spikes as the chip runs: [`PcmStream`],
//! one [`FrontEnd::push`] per step, what the firmware does from PCM). Either one's
//! target is its class over the last `window` steps.

use bitvec::prelude::*;
use core::cell::{Cell, RefCell};

use neurochip_core::audio::{AudioError, Config, FrontEnd};

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

/// Bytes that hold one step of `channels` channels in a packed raster
/// ([`Raster::from_bytes`]): bit `c % 8` of byte `c / 8` is channel `c`, the
/// little-endian layout of the step's words.
pub const fn bytes_per_step(channels: usize) -> usize {
    channels.div_ceil(8)
}

/// Where a raster's bits are.
#[derive(Clone, Copy, Debug)]
enum Store<'a> {
    /// `words_per_step(channels)` words a step.
    Words(&'a [u32]),
    /// `bytes_per_step(channels)` bytes a step.
    Bytes(&'a [u8]),
}

impl Store<'_> {
    /// Words or bytes held.
    fn len(&self) -> usize {
        match self {
            Store::Words(words) => words.len(),
            Store::Bytes(bytes) => bytes.len(),
        }
    }

    /// Words or bytes a step of `channels` channels takes.
    fn per_step(&self, channels: usize) -> usize {
        match self {
            Store::Words(_) => words_per_step(channels),
            Store::Bytes(_) => bytes_per_step(channels),
        }
    }
}

/// A spike raster: `steps` steps of `channels` channels in words or packed bytes.
#[derive(Clone, Copy, Debug)]
pub struct Raster<'a> {
    store: Store<'a>,
    channels: usize,
    steps: u32,
}

impl<'a> Raster<'a> {
    /// The raster of `steps` steps in `words`; `None` when `words` holds fewer than
    /// `steps * words_per_step(channels)` words.
    pub fn new(words: &'a [u32], channels: usize, steps: u32) -> Option<Self> {
        Self::of(Store::Words(words), channels, steps)
    }

    /// The raster of `steps` steps packed in `bytes` (`bytes_per_step(channels)` a
    /// step); `None` when `bytes` holds fewer than `steps * bytes_per_step(channels)`.
    pub fn from_bytes(bytes: &'a [u8], channels: usize, steps: u32) -> Option<Self> {
        Self::of(Store::Bytes(bytes), channels, steps)
    }

    /// The raster of `steps` steps in `store`; `None` when it holds fewer than `steps`
    /// steps' worth.
    fn of(store: Store<'a>, channels: usize, steps: u32) -> Option<Self> {
        let need = (steps as usize).checked_mul(store.per_step(channels))?;
        (store.len() >= need).then_some(Self {
            store,
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

    /// The words of step `t` (empty past the end, and for a packed raster).
    pub fn step_words(&self, t: u32) -> &'a [u32] {
        let Store::Words(words) = self.store else {
            return &[];
        };
        let w = words_per_step(self.channels);
        let start = (t as usize).saturating_mul(w);
        if t >= self.steps {
            return &[];
        }
        words.get(start..start.saturating_add(w)).unwrap_or(&[])
    }

    /// Writes step `t`'s spikes into `out` (silence past the end).
    pub fn spikes(&self, t: u32, out: &mut Spikes) {
        match self.store {
            Store::Words(_) => {
                let bits = self.step_words(t).view_bits::<Lsb0>();
                fill(out, self.channels, |c| bits.get(c).is_some_and(|b| *b));
            }
            Store::Bytes(bytes) => {
                let n = bytes_per_step(self.channels);
                let start = (t as usize).saturating_mul(n);
                let step = if t < self.steps {
                    bytes.get(start..start.saturating_add(n)).unwrap_or(&[])
                } else {
                    &[]
                };
                let bits = step.view_bits::<Lsb0>();
                fill(out, self.channels, |c| bits.get(c).is_some_and(|b| *b));
            }
        }
    }
}

crate::source::spike_source_by_inherent!(Raster<'_>);

/// Whether step `t` of a clip of `steps` steps is in its last `window` steps (the
/// target window of a keyword-spotting sample).
pub fn in_window(t: u32, window: u32, steps: u32) -> bool {
    t >= crate::sample::window_start(steps, window)
}

/// A keyword-spotting sample as spikes: a clip's raster and its class, the target
/// over the last `window` steps.
#[derive(Clone, Copy, Debug)]
pub struct AudioSample<'a> {
    /// The clip's spikes.
    pub raster: Raster<'a>,
    /// Its class.
    pub label: u8,
    /// Steps at the end of the clip with a valid target.
    pub window: u32,
}

impl AudioSample<'_> {
    /// Whether step `t` is in the target window.
    pub fn in_window(&self, t: u32) -> bool {
        in_window(t, self.window, self.raster.steps())
    }
}

/// Most samples a step ([`neurochip_core::audio::MAX_STEP_SHIFT`]).
const MAX_STEP_SAMPLES: usize = 1 << neurochip_core::audio::MAX_STEP_SHIFT;
/// Words that hold the spikes of the most bands a front end has.
const MAX_STEP_WORDS: usize = words_per_step(2 * neurochip_core::audio::MAX_BANDS);

/// A keyword-spotting sample as sound: a clip's PCM (little-endian `i16`, `steps`
/// whole steps of the front end's samples) and its class, the target over the last
/// `window` steps. Its spikes are the front end's ([`PcmStream`] runs it once per
/// step; [`PcmSample::spikes`] alone replays the clip up to the step asked for).
#[derive(Clone, Copy, Debug)]
pub struct PcmSample<'a> {
    /// The front end.
    pub fe: &'a Config,
    /// The clip: `2 * steps * fe.samples_per_step()` bytes of little-endian `i16`.
    pub pcm: &'a [u8],
    /// Steps.
    pub steps: u32,
    /// Its class.
    pub label: u8,
    /// Steps at the end of the clip with a valid target.
    pub window: u32,
}

impl PcmSample<'_> {
    /// Input channels: `2 * bands`.
    pub fn n_inputs(&self) -> usize {
        self.fe.n_channels()
    }

    /// Steps.
    pub fn steps(&self) -> u32 {
        self.steps
    }

    /// Whether step `t` is in the target window.
    pub fn in_window(&self, t: u32) -> bool {
        in_window(t, self.window, self.steps)
    }

    /// Push step `t` of the clip through `fe` into `words` (silence past the clip's
    /// bytes: a checked image holds them all).
    fn push(&self, fe: &mut FrontEnd, t: u32, words: &mut [u32; MAX_STEP_WORDS]) {
        let n = self.fe.samples_per_step();
        let mut pcm = [0i16; MAX_STEP_SAMPLES];
        let start = (t as usize).saturating_mul(n).saturating_mul(2);
        let bytes = self
            .pcm
            .get(start..start.saturating_add(n.saturating_mul(2)))
            .unwrap_or(&[]);
        for (x, b) in pcm.iter_mut().zip(bytes.chunks_exact(2)) {
            if let [lo, hi] = *b {
                *x = i16::from_le_bytes([lo, hi]);
            }
        }
        // A step of the configuration's length into a buffer for its channels: the
        // front end cannot refuse it.
        let step = pcm.get(..n).unwrap_or(&[]);
        if fe.push(step, words.view_bits_mut::<Lsb0>()).is_err() {
            words.fill(0);
        }
    }

    /// Writes step `t`'s spikes into `out`: the clip through a front end at rest up to
    /// step `t` (silence past the end). A whole clip this way costs `steps^2 / 2`
    /// pushes; the run loop streams it instead ([`PcmStream`]).
    pub fn spikes(&self, t: u32, out: &mut Spikes) {
        let mut words = [0u32; MAX_STEP_WORDS];
        if t < self.steps {
            let mut fe = FrontEnd::new(self.fe);
            for s in 0..=t {
                self.push(&mut fe, s, &mut words);
            }
        }
        let bits = words.view_bits::<Lsb0>();
        fill(out, self.n_inputs(), |c| bits.get(c).is_some_and(|b| *b));
    }
}

crate::source::spike_source_by_inherent!(PcmSample<'_>);

/// A [`PcmSample`] streamed through one front end: step `t` after step `t - 1` costs
/// one [`FrontEnd::push`], as on a device that hears the clip; any other order
/// replays the clip from rest, so the spikes of a step are always the same.
#[derive(Debug)]
pub struct PcmStream<'a> {
    sample: PcmSample<'a>,
    fe: RefCell<FrontEnd>,
    next: Cell<u32>,
}

impl<'a> PcmStream<'a> {
    /// The stream of `sample`, its front end at rest.
    pub fn new(sample: PcmSample<'a>) -> Self {
        Self {
            fe: RefCell::new(FrontEnd::new(sample.fe)),
            sample,
            next: Cell::new(0),
        }
    }

    /// The sample.
    pub fn sample(&self) -> &PcmSample<'a> {
        &self.sample
    }

    /// Input channels.
    pub fn n_inputs(&self) -> usize {
        self.sample.n_inputs()
    }

    /// Steps.
    pub fn steps(&self) -> u32 {
        self.sample.steps
    }

    /// Writes step `t`'s spikes into `out` (silence past the end).
    pub fn spikes(&self, t: u32, out: &mut Spikes) {
        let mut words = [0u32; MAX_STEP_WORDS];
        // The stream is only ever borrowed here, and not re-entered.
        if let (true, Ok(mut fe)) = (t < self.sample.steps, self.fe.try_borrow_mut()) {
            if t < self.next.get() {
                fe.reset();
                self.next.set(0);
            }
            while self.next.get() < t {
                self.sample.push(&mut fe, self.next.get(), &mut words);
                self.next.set(self.next.get().saturating_add(1));
            }
            self.sample.push(&mut fe, t, &mut words);
            self.next.set(t.saturating_add(1));
        }
        let bits = words.view_bits::<Lsb0>();
        fill(out, self.n_inputs(), |c| bits.get(c).is_some_and(|b| *b));
    }
}

crate::source::spike_source_by_inherent!(PcmStream<'_>);

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

    /// A clip's PCM streamed through a front end, replayed step by step, and packed
    /// as bytes, all give the raster `encode` writes.
    #[test]
    fn pcm_stream_replay_and_packed_bytes_are_the_raster() {
        let band = |c1: f64| Band {
            b0: 1 << 26,
            c1: (c1 * f64::from(1u32 << 30)) as i32,
            c2: (-0.9 * f64::from(1u32 << 30)) as i32,
        };
        let cfg = Config::new(&[band(1.8), band(1.0), band(0.2)], Settings::default()).unwrap();
        let pcm: Vec<i16> = (0..1600)
            .map(|i| {
                if (i / (30 + i / 400)) % 2 == 0 {
                    7000
                } else {
                    -7000
                }
            })
            .collect();
        let mut words = vec![0u32; 100];
        let steps = encode(&mut FrontEnd::new(&cfg), &pcm, &mut words).unwrap();
        let raster = Raster::new(&words, 6, steps).unwrap();
        let bytes: Vec<u8> = pcm.iter().flat_map(|x| x.to_le_bytes()).collect();
        let sample = PcmSample {
            fe: &cfg,
            pcm: &bytes,
            steps,
            label: 1,
            window: 10,
        };
        let stream = PcmStream::new(sample);
        let packed: Vec<u8> = words.iter().map(|w| *w as u8).collect();
        let packed = Raster::from_bytes(&packed, 6, steps).unwrap();
        let (mut a, mut b, mut c, mut d) = (
            bitvec![u32, Lsb0; 0; 6],
            bitvec![u32, Lsb0; 0; 6],
            bitvec![u32, Lsb0; 0; 6],
            bitvec![u32, Lsb0; 0; 6],
        );
        let mut spikes = 0;
        for t in 0..steps {
            raster.spikes(t, &mut a);
            stream.spikes(t, &mut b);
            packed.spikes(t, &mut d);
            assert_eq!(a, b, "stream, step {t}");
            assert_eq!(a, d, "packed, step {t}");
            if t % 17 == 0 {
                sample.spikes(t, &mut c);
                assert_eq!(a, c, "replay, step {t}");
            }
            spikes += a.count_ones();
        }
        assert!(spikes > 10, "{spikes}");
        // Out of order: the stream replays from rest.
        for t in [50, 3, 99, 0] {
            raster.spikes(t, &mut a);
            stream.spikes(t, &mut b);
            assert_eq!(a, b, "step {t} out of order");
        }
        assert!(!sample.in_window(89) && sample.in_window(90));
        stream.spikes(steps, &mut b);
        assert!(b.not_any());
    }
}
