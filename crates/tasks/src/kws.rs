//! Keyword spotting in a chip image (application kind [`KIND_AUDIO`], feature
//! `audio`): spoken-word clips compiled into the image, as the front end's spike
//! rasters or as PCM that the firmware runs through the front end
//! ([`neurochip_core::audio`]) step by step, each with its class.
//!
//! Block layout (little endian, after the kind byte):
//!
//! | field | type | meaning |
//! |---|---|---|
//! | `form` | `u8` | 0 spike rasters, 1 PCM |
//! | `sample_rate` | `u32` | Hz (for the step's length; 16000) |
//! | `bands` | `u8` | `1..=64` |
//! | per band: `b0`, `c1`, `c2` | `i32` x 3 | Q2.30 ([`neurochip_core::audio::Band`]) |
//! | `step_shift` | `u8` | samples a step `2^step_shift` |
//! | `pre`, `env_k` | `u16` x 2 | Q1.15 |
//! | `floor`, `theta_on`, `theta_off` | `u32` x 3 | the core's [`Settings`] |
//! | `steps` | `u32` | steps a clip |
//! | `window` | `u32` | target over the clip's last `window` steps |
//! | `classes` | `u32` | `2..=255` |
//! | `train`, `test` | `u32` x 2 | training clips, then test clips |
//! | clips | `(train + test) x (1 + payload)` | a label `u8`, then the payload |
//!
//! A payload is `steps * bytes_per_step(2 * bands)` bytes of spikes
//! ([`crate::audio::Raster::from_bytes`]) or `steps * 2^step_shift` little-endian
//! `i16` samples. Training sample `i` of epoch `e` is clip `e * per_epoch + i`
//! (the host compiles them in the order it trains them); test and inference sample
//! `i` is clip `train + i`.

use neurochip_core::audio::{AudioError, Band, Config, Settings, MAX_BANDS, MAX_THRESHOLD};
use neurochip_core::image::{ImageError, Reader, Writer};
use neurochip_core::ranges;
use neurochip_core::semantic::{self, Allowed, Invalid, Value};

use crate::audio::{bytes_per_step, AudioSample, PcmSample, Raster};
use crate::sample::{AnySample, Pick};

/// Application kind of a keyword-spotting task.
pub const KIND_AUDIO: u8 = 6;

/// Most classes a keyword-spotting image names (a label is one byte).
pub const MAX_CLASSES: u32 = 255;

const PLACE: &str = "app.audio.";

/// What the clips of an image are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    /// The front end's spikes, packed ([`bytes_per_step`] a step).
    Spikes,
    /// The clip's samples; the firmware runs the front end.
    Pcm,
}

/// A keyword-spotting task compiled into an image.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AudioSpec<'a> {
    /// The front end (checked coefficients and settings).
    pub fe: Config,
    /// Sample rate, Hz.
    pub sample_rate: u32,
    /// What the clips hold.
    pub form: Form,
    /// Steps a clip.
    pub steps: u32,
    /// Steps at the end of a clip with a valid target.
    pub window: u32,
    /// Classes (readouts the task needs).
    pub classes: u32,
    /// Training clips (first in `data`).
    pub train: u32,
    /// Test clips (after the training ones).
    pub test: u32,
    /// The clips, each a label and its payload.
    pub data: &'a [u8],
}

impl<'a> AudioSpec<'a> {
    /// Bytes of one clip's payload for `form`, `fe` and `steps` (`None` on overflow).
    pub fn payload_bytes(form: Form, fe: &Config, steps: u32) -> Option<usize> {
        let per_step = match form {
            Form::Spikes => bytes_per_step(fe.n_channels()),
            Form::Pcm => fe.samples_per_step().checked_mul(2)?,
        };
        (steps as usize).checked_mul(per_step)
    }

    /// Bytes of one clip: the label and the payload.
    pub fn clip_bytes(&self) -> Option<usize> {
        Self::payload_bytes(self.form, &self.fe, self.steps)?.checked_add(1)
    }

    /// Clips compiled in.
    pub fn clips(&self) -> u32 {
        self.train.saturating_add(self.test)
    }

    /// Clip `k`: its label and payload.
    pub fn clip(&self, k: u32) -> Option<(u8, &'a [u8])> {
        let n = self.clip_bytes()?;
        let start = (k as usize).checked_mul(n)?;
        let c = self.data.get(start..start.checked_add(n)?)?;
        let (label, payload) = c.split_first()?;
        Some((*label, payload))
    }

    /// The time step, ms: `2^step_shift / sample_rate`.
    pub fn dt_ms(&self) -> f32 {
        self.fe.samples_per_step() as f32 * 1000.0 / self.sample_rate.max(1) as f32
    }

    /// The sample `pick` selects: training sample `i` of epoch `e` is clip
    /// `e * per_epoch + i` (among the training clips), test and inference sample `i`
    /// is test clip `i`; `None` past the clips compiled in.
    pub fn sample(&self, pick: Pick) -> Option<AnySample<'_>> {
        let k = match pick {
            Pick::Train { .. } => {
                let k = u32::try_from(pick.seed_index()).ok()?;
                (k < self.train).then_some(k)?
            }
            Pick::Run(i) | Pick::Test(i) => {
                (i < self.test).then_some(())?;
                self.train.checked_add(i)?
            }
        };
        let (label, payload) = self.clip(k)?;
        let window = self.window;
        Some(match self.form {
            Form::Spikes => AnySample::Audio(AudioSample {
                raster: Raster::from_bytes(payload, self.fe.n_channels(), self.steps)?,
                label,
                window,
            }),
            Form::Pcm => AnySample::Pcm(PcmSample {
                fe: &self.fe,
                pcm: payload,
                steps: self.steps,
                label,
                window,
            }),
        })
    }

    /// Write the block's fields after the kind byte.
    pub(crate) fn put(&self, w: &mut Writer<'_>) {
        w.u8(match self.form {
            Form::Spikes => 0,
            Form::Pcm => 1,
        });
        w.u32(self.sample_rate);
        let bands = self.fe.bands();
        w.u8(bands.len() as u8);
        for b in bands {
            for v in [b.b0, b.c1, b.c2] {
                w.u32(v as u32);
            }
        }
        let s = self.fe.settings();
        w.u8(s.step_shift);
        w.u16(s.pre);
        w.u16(s.env_k);
        for v in [s.floor, s.theta_on, s.theta_off] {
            w.u32(v);
        }
        for v in [self.steps, self.window, self.classes, self.train, self.test] {
            w.u32(v);
        }
        w.bytes(self.data);
    }

    /// Read the block's fields after the kind byte, and check the front end and the
    /// clips' sizes (the rest is [`AudioSpec::check`]).
    pub(crate) fn get(r: &mut Reader<'a>) -> Result<Self, ImageError> {
        let form = match r.u8("app.audio.form")? {
            0 => Form::Spikes,
            1 => Form::Pcm,
            v => {
                let rule = "what the clips hold: 0 spike rasters, 1 PCM";
                return Err(Invalid::int(PLACE, "form", v.into(), rule, 0, 1).into());
            }
        };
        let sample_rate = r.u32("app.audio.sample_rate")?;
        if sample_rate == 0 {
            let rule = "a sample rate in Hz";
            let e = Invalid::int(PLACE, "sample_rate", 0, rule, 1, u32::MAX.into());
            return Err(e.into());
        }
        let n = usize::from(r.u8("app.audio.bands")?);
        let mut bands = [Band::default(); MAX_BANDS];
        if n == 0 || n > MAX_BANDS {
            return Err(front_end(AudioError::Bands(n)).into());
        }
        for b in bands.iter_mut().take(n) {
            b.b0 = r.u32("app.audio.b0")? as i32;
            b.c1 = r.u32("app.audio.c1")? as i32;
            b.c2 = r.u32("app.audio.c2")? as i32;
        }
        let settings = Settings {
            step_shift: r.u8("app.audio.step_shift")?,
            pre: r.u16("app.audio.pre")?,
            env_k: r.u16("app.audio.env_k")?,
            floor: r.u32("app.audio.floor")?,
            theta_on: r.u32("app.audio.theta_on")?,
            theta_off: r.u32("app.audio.theta_off")?,
        };
        let fe = Config::new(bands.get(..n).unwrap_or(&[]), settings)
            .map_err(|e| ImageError::from(front_end(e)))?;
        let steps = r.u32("app.audio.steps")?;
        let window = r.u32("app.audio.window")?;
        let classes = r.u32("app.audio.classes")?;
        let train = r.u32("app.audio.train")?;
        let test = r.u32("app.audio.test")?;
        let rule = "beyond the limit of task.steps";
        semantic::in_range(PLACE, "steps", steps.into(), ranges::TASK_STEPS, rule)?;
        let too_big = ImageError::Field {
            field: "app.audio.data",
        };
        let clip = Self::payload_bytes(form, &fe, steps)
            .and_then(|p| p.checked_add(1))
            .ok_or(too_big)?;
        let len = clip
            .checked_mul(train as usize)
            .and_then(|a| clip.checked_mul(test as usize)?.checked_add(a))
            .ok_or(too_big)?;
        let data = r.bytes(len, "app.audio.data")?;
        Ok(Self {
            fe,
            sample_rate,
            form,
            steps,
            window,
            classes,
            train,
            test,
            data,
        })
    }

    /// The task's own values: the window inside the clip, `2..=255` classes, every
    /// label a class.
    pub(crate) fn check(&self) -> Result<(), Invalid> {
        let rule = "the target window lies inside the clip (app.audio.steps)";
        if self.window == 0 || self.window > self.steps {
            let w = self.window.into();
            return Err(Invalid::int(PLACE, "window", w, rule, 1, self.steps.into()));
        }
        let rule = "a keyword-spotting task has 2 to 255 classes (a label is a byte)";
        if !(2..=MAX_CLASSES).contains(&self.classes) {
            let c = self.classes.into();
            return Err(Invalid::int(
                PLACE,
                "classes",
                c,
                rule,
                2,
                MAX_CLASSES.into(),
            ));
        }
        let hi = i64::from(self.classes).saturating_sub(1);
        for k in 0..self.clips() {
            if let Some((label, _)) = self.clip(k) {
                if i64::from(label) > hi {
                    let rule = "a label is one of the task's classes (app.audio.classes)";
                    let e = Invalid::int(PLACE, "label", label.into(), rule, 0, hi);
                    return Err(e.at(k as usize));
                }
            }
        }
        Ok(())
    }
}

/// A front end the core refuses, as the image field it came from.
fn front_end(e: AudioError) -> Invalid {
    let int = |key, v: i64, rule, lo, hi| Invalid::int(PLACE, key, v, rule, lo, hi);
    let q15 = "a gain in Q1.15";
    match e {
        AudioError::Bands(n) => int(
            "bands",
            i64::try_from(n).unwrap_or(i64::MAX),
            "a front end has 1 to 64 bands",
            1,
            MAX_BANDS as i64,
        ),
        AudioError::StepShift(s) => int(
            "step_shift",
            s.into(),
            "samples a step are 2^step_shift",
            0,
            neurochip_core::audio::MAX_STEP_SHIFT.into(),
        ),
        AudioError::PreEmphasis(p) => int("pre", p.into(), "pre-emphasis below 1", 0, 32767),
        AudioError::EnvGain(k) => int("env_k", k.into(), q15, 1, 32768),
        AudioError::Floor(f) => int("floor", f.into(), "the envelope floor", 1, 1 << 31),
        AudioError::Threshold { on, value } => int(
            if on { "theta_on" } else { "theta_off" },
            value.into(),
            "a level step in Q16.16 log2 units",
            1,
            MAX_THRESHOLD.into(),
        ),
        AudioError::Gain { band, b0 } => int(
            "b0",
            b0.into(),
            "a band's numerator gain |b0| <= 1 (Q2.30)",
            -(1 << 30),
            1 << 30,
        )
        .at(band),
        AudioError::Unstable { band } => Invalid {
            place: PLACE,
            key: "c2",
            index: Some(band),
            value: Value::Int(0),
            rule: "a band's poles lie inside the unit circle",
            allowed: Allowed::Text("|a2| < 1 and |a1| < 1 + a2 (c1 = -a1, c2 = -a2)"),
        },
        AudioError::PcmLength { got, want } | AudioError::OutputLength { got, want } => int(
            "step",
            i64::try_from(got).unwrap_or(i64::MAX),
            "a step's length",
            0,
            i64::try_from(want).unwrap_or(i64::MAX),
        ),
    }
}

impl core::fmt::Display for AudioSpec<'_> {
    /// One readable line (what `neurochip inspect` prints).
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let form = match self.form {
            Form::Spikes => "spike rasters",
            Form::Pcm => "PCM through the front end",
        };
        write!(
            f,
            "keyword spotting: {} clips compiled in ({} training, {} test) as {form}; {} bands, \
             {} samples a step at {} Hz, {} steps a clip; {} classes, target over the last {} steps",
            self.clips(),
            self.train,
            self.test,
            self.fe.n_bands(),
            self.fe.samples_per_step(),
            self.sample_rate,
            self.steps,
            self.classes,
            self.window
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fe() -> Config {
        let band = Band {
            b0: 1 << 26,
            c1: (1.8 * f64::from(1u32 << 30)) as i32,
            c2: (-0.9 * f64::from(1u32 << 30)) as i32,
        };
        Config::new(&[band; 2], Settings::default()).unwrap()
    }

    #[test]
    fn round_trip_and_picks() {
        let fe = fe();
        // Two clips of 3 steps as PCM: 1 + 3 * 16 * 2 bytes each.
        let mut data = vec![0u8; 2 * 97];
        data[0] = 1;
        data[97] = 0;
        for (i, b) in data[98..].iter_mut().enumerate() {
            *b = (i * 37 % 251) as u8;
        }
        let spec = AudioSpec {
            fe,
            sample_rate: 16000,
            form: Form::Pcm,
            steps: 3,
            window: 2,
            classes: 2,
            train: 1,
            test: 1,
            data: &data,
        };
        let mut buf = vec![0u8; 512];
        let mut w = Writer::new(&mut buf);
        spec.put(&mut w);
        let n = w.len();
        let mut r = Reader::new(&buf[..n]);
        let back = AudioSpec::get(&mut r).unwrap();
        assert_eq!(r.remaining(), 0);
        assert_eq!(back, spec);
        assert!(back.check().is_ok());
        assert_eq!(spec.dt_ms(), 1.0);
        let train = Pick::Train {
            epoch: 0,
            index: 0,
            per_epoch: 1,
        };
        let Some(AnySample::Pcm(p)) = spec.sample(train) else {
            panic!("a PCM sample");
        };
        assert_eq!(p.label, 1);
        let Some(AnySample::Pcm(p)) = spec.sample(Pick::Test(0)) else {
            panic!("a PCM sample");
        };
        assert_eq!(p.label, 0);
        assert!(spec.sample(Pick::Test(1)).is_none());
        let second = Pick::Train {
            epoch: 1,
            index: 0,
            per_epoch: 1,
        };
        assert!(spec.sample(second).is_none());
        // A label past the classes is named with its clip.
        let mut wrong = data.clone();
        wrong[97] = 2;
        let bad = AudioSpec {
            data: &wrong,
            ..spec
        };
        assert_eq!(
            bad.check().unwrap_err().to_string(),
            "app.audio.label[1] = 2: a label is one of the task's classes (app.audio.classes); allowed 0..=1"
        );
    }
}
