//! `[task] kind = "audio"` (keyword spotting) and its `[audio]` section: the Speech
//! Commands folder, the classes, the limits, the target window and what an image
//! carries, and the front end in real units (`neurochip_ref::audio::Settings`).
//! Every other kind refuses these keys (the `[task]` ones through
//! `schema::TASK_KEYS`, the `[audio]` section here).

use serde::{Deserialize, Serialize};

use super::check::SectionOf;
use super::error::ConfigError;
use super::raw::{raw_section, RawFile, RawTask};
use super::schema;
use super::source::Source;
use super::TaskKind;
use crate::speech::KEYWORDS;

type Result<T> = std::result::Result<T, ConfigError>;

/// What an exported image of an audio chip carries (`task.image_input`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImageInput {
    /// The clips' samples: the firmware runs the front end on them.
    #[default]
    Pcm,
    /// The front end's spike trains.
    Spikes,
}

/// Which clips of the folder a keyword spotter tests on (`task.test_split`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TestSplit {
    /// The clips of `testing_list.txt`: the voices held out for the final figure.
    #[default]
    Test,
    /// The clips of `validation_list.txt`: other held-out voices, to tune settings on
    /// without looking at the test split.
    Validation,
}

/// `[audio]`: the front end in real units, as `neurochip_ref::audio::Settings` takes
/// them (sample rate 16 kHz: the WAV files' own).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FrontEnd {
    /// Mel bands (1..=64, default 32); the network has `2 * bands` inputs.
    pub bands: u32,
    /// Lowest band edge, Hz (default 100).
    pub f_lo: f64,
    /// Highest band edge, Hz (below 8000, default 7600).
    pub f_hi: f64,
    /// Samples a step, a power of two 1..=64 (default 16: 1 ms); `network.dt_ms` is
    /// `samples_per_step / 16`.
    pub samples_per_step: u32,
    /// Pre-emphasis `[0, 1)` (default 0.97).
    pub pre_emphasis: f64,
    /// Time constant of each envelope low-pass, ms (default 5).
    pub env_tau_ms: f64,
    /// Envelope floor, dBFS (-138..=0, default -60).
    pub floor_dbfs: f64,
    /// Level rise for an ON spike, dB (default 3).
    pub theta_on_db: f64,
    /// Level fall for an OFF spike, dB (default 3).
    pub theta_off_db: f64,
}

impl FrontEnd {
    /// The settings the twin and the chip's integers are made from.
    pub fn settings(&self) -> neurochip_ref::audio::Settings {
        neurochip_ref::audio::Settings {
            sample_rate: f64::from(crate::wav::SAMPLE_RATE),
            bands: self.bands as usize,
            f_lo: self.f_lo,
            f_hi: self.f_hi,
            samples_per_step: self.samples_per_step as usize,
            pre_emphasis: self.pre_emphasis,
            env_tau_ms: self.env_tau_ms,
            floor_dbfs: self.floor_dbfs,
            theta_on_db: self.theta_on_db,
            theta_off_db: self.theta_off_db,
        }
    }

    /// The time step of the front end, ms.
    pub fn dt_ms(&self) -> f64 {
        f64::from(self.samples_per_step) * 1000.0 / f64::from(crate::wav::SAMPLE_RATE)
    }
}

/// The keys of `kind = "audio"`: `[task]`'s and the `[audio]` section.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AudioTask {
    /// The Speech Commands folder (default `data/kws`, `make data-kws`); a relative
    /// path not found from the working directory is looked up beside the file.
    pub folder: String,
    /// The keywords (default the ten of the 12-class recipe); the classes are
    /// `_silence_`, `_unknown_`, then these.
    pub keywords: Vec<String>,
    /// Silence clips per split, percent of its keyword clips (0..=1000, default 10).
    pub silence_percent: f64,
    /// Unknown-word clips per split, percent of its keyword clips (0..=1000, default 10).
    pub unknown_percent: f64,
    /// At most this many training clips (a fixed subset when the split has more;
    /// default 1000000: all).
    pub train_clips: u32,
    /// At most this many test clips (default 1000000: all).
    pub test_clips: u32,
    /// The split test samples come from (default the test split; `"validation"` to
    /// tune on).
    pub test_split: TestSplit,
    /// Target window: the last `window_ms` of the clip (default 1000: all of it).
    pub window_ms: u32,
    /// What an exported image carries (default PCM).
    pub image_input: ImageInput,
    /// Test clips an exported image carries at most (1..=64, default 10).
    pub image_clips: u32,
    /// The front end.
    pub front_end: FrontEnd,
}

raw_section! {
    /// `[audio]` as written.
    #[derive(Default)]
    RawAudio {
        bands: u32,
        f_lo: f64,
        f_hi: f64,
        samples_per_step: u32,
        pre_emphasis: f64,
        env_tau_ms: f64,
        floor_dbfs: f64,
        theta_on_db: f64,
        theta_off_db: f64,
    }
}

/// The audio keys of a file whose kind is `kind`: `None` for other kinds (and an
/// `[audio]` section refused), else checked with every default filled in.
pub(super) fn audio(
    raw: &RawFile,
    t: &RawTask,
    src: &Source<'_>,
    kind: TaskKind,
    dt_ms: f64,
) -> Result<Option<AudioTask>> {
    if kind != TaskKind::Audio {
        if src.has("audio") {
            return Err(src.error(
                "audio",
                format!(
                    "[audio] is the front end of task.kind = \"audio\", not of \"{}\"; \
                     allowed: no [audio] section, or task.kind = \"audio\"",
                    super::check::kind_name(kind)
                ),
            ));
        }
        return Ok(None);
    }
    let s = src.section_of("task");
    let keywords = match &t.keywords {
        None => KEYWORDS.iter().map(|k| k.to_string()).collect(),
        Some(k) => keywords(src, k)?,
    };
    let default = RawAudio::default();
    let a = raw.audio.as_ref().unwrap_or(&default);
    let f = src.section_of("audio");
    // The defaults from the front end's one description (`Settings::default`).
    let d = neurochip_ref::audio::Settings::default();
    let front_end = FrontEnd {
        bands: f.uint("bands", a.bands, d.bands as u32)?,
        f_lo: f.float("f_lo", a.f_lo, d.f_lo)?,
        f_hi: f.float("f_hi", a.f_hi, d.f_hi)?,
        samples_per_step: f.uint(
            "samples_per_step",
            a.samples_per_step,
            d.samples_per_step as u32,
        )?,
        pre_emphasis: f.float("pre_emphasis", a.pre_emphasis, d.pre_emphasis)?,
        env_tau_ms: f.float("env_tau_ms", a.env_tau_ms, d.env_tau_ms)?,
        floor_dbfs: f.float("floor_dbfs", a.floor_dbfs, d.floor_dbfs)?,
        theta_on_db: f.float("theta_on_db", a.theta_on_db, d.theta_on_db)?,
        theta_off_db: f.float("theta_off_db", a.theta_off_db, d.theta_off_db)?,
    };
    // The cross-key rules in real units (`f_lo < f_hi`, a power of two ...), each
    // pointed at its key.
    if let Err(crate::audio::SettingsError::Range {
        key,
        value,
        allowed,
    }) = crate::audio::check(&front_end.settings())
    {
        let path = format!("audio.{key}");
        let shown = src.shown(&path, value);
        return Err(src.error(&path, format!("{shown} is out of range; allowed {allowed}")));
    }
    let step = front_end.dt_ms();
    if (dt_ms - step).abs() > 1e-9 {
        return Err(src.error(
            "network.dt_ms",
            format!(
                "{} but the front end's step is {step} ms (audio.samples_per_step = {} at 16 \
                 kHz); allowed: network.dt_ms = {step}",
                src.shown("network.dt_ms", dt_ms),
                front_end.samples_per_step
            ),
        ));
    }
    let clip_ms = 1000;
    Ok(Some(AudioTask {
        folder: t.folder.clone().unwrap_or_else(|| "data/kws".into()),
        keywords,
        silence_percent: s.float("silence_percent", t.silence_percent, 10.0)?,
        unknown_percent: s.float("unknown_percent", t.unknown_percent, 10.0)?,
        train_clips: s.uint("train_clips", t.train_clips, 1_000_000)?,
        test_clips: s.uint("test_clips", t.test_clips, 1_000_000)?,
        test_split: t.test_split.unwrap_or_default(),
        window_ms: {
            let w = s.uint("window_ms", t.window_ms, clip_ms)?;
            if f64::from(w) < step {
                let why = format!("at least one step of {step} ms");
                s.uint_in("window_ms", w, step.ceil() as u32, clip_ms, &why)?
            } else {
                w
            }
        },
        image_input: t.image_input.unwrap_or_default(),
        image_clips: s.uint("image_clips", t.image_clips, 10)?,
        front_end,
    }))
}

/// The keyword list: 1 to 253 distinct folder names (the chip's classes are these
/// and two more, at most the 255 an image's byte labels hold).
fn keywords(src: &Source<'_>, k: &[String]) -> Result<Vec<String>> {
    let path = "task.keywords";
    let allowed = schema::field(path).map(|f| f.allowed()).unwrap_or_default();
    if k.is_empty() || k.len() > 253 {
        return Err(src.error(path, format!("{} keywords; {allowed}", k.len())));
    }
    for (i, w) in k.iter().enumerate() {
        let bad =
            w.is_empty() || w.starts_with('_') || w.contains(['/', '\\']) || w == "." || w == "..";
        if bad {
            return Err(src.error(
                path,
                format!("{w:?} is not a word folder's name; {allowed}"),
            ));
        }
        if k[..i].contains(w) {
            return Err(src.error(path, format!("{w:?} is named twice; {allowed}")));
        }
    }
    Ok(k.to_vec())
}
