//! Keyword spotting on the host (`[task] kind = "audio"`): a Speech Commands folder
//! ([`crate::speech`]) read once, every clip of the training and test splits run
//! through the chip's front end ([`crate::audio`]) once, and the spike trains kept in
//! memory for every epoch ([`Corpus`]).
//!
//! - **Splits.** Training samples come from the training split, test samples from the
//!   test split (voices never heard in training, for `make data-kws`), or from the
//!   validation split with `task.test_split = "validation"` (to tune on); inference
//!   samples (`neurochip run` without learning) are test samples too.
//! - **Order and limits.** Each split is put in a fixed order, by a hash of each
//!   clip's path (whatever the seed), so that the first `n` test clips hold every
//!   class in about its share; `task.train_clips` and `task.test_clips` keep the
//!   first that many of a split, so every seed and engine sees the same clips.
//! - **Memory.** The spike trains take `steps * ceil(2 bands / 32) * 4` bytes a clip
//!   (8 KB at 32 bands and 1 ms steps); a corpus that would take more than
//!   [`CACHE_BYTES`] is refused before it is read, naming `task.train_clips`.
//! - **Once per process.** A corpus is shared ([`Arc`]) by every task built from the
//!   same folder and settings while one is alive: a sweep over seeds or engines
//!   encodes the clips once.
//! - **Parallel.** Clips are read and encoded on all cores (rayon); a background
//!   file is read once for all its windows. The spikes do not depend on the order.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};

use neurochip_tasks::audio::{bytes_per_step, words_per_step};
use rayon::prelude::*;

use crate::audio::{chip_config, encode_clip, SpikeTrain};
use crate::config::{AudioTask, TestSplit};
use crate::speech::{self, Clip, Options, CLIP_SAMPLES};
use crate::wav::WavError;

/// The most memory the spike trains of one corpus may take: 512 MiB (the 12-class
/// recipe on the real corpus, about 37,000 training clips at 32 bands and 1 ms steps,
/// takes 300 MB).
pub const CACHE_BYTES: u64 = 512 << 20;

/// One clip, encoded: its spikes and class.
#[derive(Clone, Debug)]
pub struct Encoded {
    /// The front end's spikes.
    pub spikes: SpikeTrain,
    /// The class (an index into [`Corpus::classes`]).
    pub label: u8,
}

/// A folder's splits as the chip hears them.
#[derive(Debug)]
pub struct Corpus {
    /// Class names: `_silence_`, `_unknown_`, then the keywords.
    pub classes: Vec<String>,
    /// The front end.
    pub fe: neurochip_core::audio::Config,
    /// Its settings in real units.
    pub settings: neurochip_ref::audio::Settings,
    /// Steps a clip.
    pub steps: u32,
    /// Training clips (the subset kept), encoded.
    pub train: Vec<Encoded>,
    /// Test clips, encoded.
    pub test: Vec<Encoded>,
    /// Where each training clip came from (same order).
    pub train_clips: Vec<Clip>,
    /// Where each test clip came from.
    pub test_clips: Vec<Clip>,
}

impl Corpus {
    /// Input channels: `2 * bands`.
    pub fn channels(&self) -> usize {
        self.fe.n_channels()
    }

    /// The PCM of test clip `i` (read again from its file): `steps` whole steps.
    pub fn test_pcm(&self, i: usize) -> Result<Vec<i16>, WavError> {
        let clip = self.test_clips.get(i).ok_or_else(|| {
            WavError::Input(crate::inputs::InputError::Io {
                path: PathBuf::new(),
                what: "test clip".into(),
                source: std::io::Error::other("no such test clip"),
            })
        })?;
        self.pcm_of(clip)
    }

    /// The PCM of training clip `i`.
    pub fn train_pcm(&self, i: usize) -> Result<Vec<i16>, WavError> {
        match self.train_clips.get(i) {
            Some(c) => self.pcm_of(c),
            None => Ok(vec![0; CLIP_SAMPLES]),
        }
    }

    fn pcm_of(&self, clip: &Clip) -> Result<Vec<i16>, WavError> {
        let mut pcm = speech::read_clip(clip)?;
        pcm.truncate(self.steps as usize * self.fe.samples_per_step());
        Ok(pcm)
    }
}

/// Why a corpus was not made: the key of the file at fault and one line.
#[derive(Debug)]
pub struct CorpusError {
    /// The key (`task.folder`, `task.train_clips`, `audio.bands`).
    pub field: &'static str,
    /// What was wrong and what is allowed.
    pub message: String,
}

/// Corpora alive in this process, by what they were made from.
static CACHE: Mutex<Vec<(String, Weak<Corpus>)>> = Mutex::new(Vec::new());

/// The corpus of `a`: from the cache when one made from the same folder and settings
/// is alive, else read and encoded.
pub fn corpus(a: &AudioTask) -> Result<Arc<Corpus>, CorpusError> {
    let folder = Path::new(&a.folder);
    let canon = folder
        .canonicalize()
        .unwrap_or_else(|_| folder.to_path_buf());
    let key = format!(
        "{}|{:?}|{}|{}|{}|{}|{:?}|{:?}",
        canon.display(),
        a.keywords,
        a.silence_percent,
        a.unknown_percent,
        a.train_clips,
        a.test_clips,
        a.test_split,
        a.front_end
    );
    let mut cache = CACHE.lock().unwrap_or_else(|p| p.into_inner());
    cache.retain(|(_, w)| w.strong_count() > 0);
    if let Some(c) = cache
        .iter()
        .find(|(k, _)| *k == key)
        .and_then(|(_, w)| w.upgrade())
    {
        return Ok(c);
    }
    // Read under the lock: a second task of the same corpus waits for this one.
    let c = Arc::new(load(a)?);
    cache.push((key, Arc::downgrade(&c)));
    Ok(c)
}

/// `clips` in a fixed order (by a hash of each path in the folder and window,
/// whatever the seed and wherever the folder is),
/// cut to the first `n`: any prefix of a split then holds every class in about its
/// share, as the split's own order (by path, so by word) would not.
fn subset(dir: &Path, clips: Vec<Clip>, n: u32) -> Vec<Clip> {
    let n = n as usize;
    let mut keyed: Vec<(u64, usize)> = clips
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let key = speech::clip_key(dir, c);
            let h = key.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
            });
            (neurochip_tasks::rng::hash(0x6b77_7321, h, 0, 0), i)
        })
        .collect();
    keyed.sort_unstable();
    keyed
        .into_iter()
        .take(n)
        .map(|(_, i)| clips[i].clone())
        .collect()
}

/// Read the folder of `a` and encode its training and test clips.
pub fn load(a: &AudioTask) -> Result<Corpus, CorpusError> {
    let settings = a.front_end.settings();
    let fe = chip_config(&settings).map_err(|e| CorpusError {
        field: "audio",
        message: e.to_string(),
    })?;
    let folder_err = |e: speech::SpeechError| CorpusError {
        field: "task.folder",
        message: e.to_string(),
    };
    let opt = Options {
        keywords: a.keywords.clone(),
        silence_percent: a.silence_percent,
        unknown_percent: a.unknown_percent,
        ..Options::default()
    };
    let split = speech::open(Path::new(&a.folder), &opt).map_err(folder_err)?;
    let dir = Path::new(&a.folder);
    let train_clips = subset(dir, split.train, a.train_clips);
    let (held_out, held_name) = match a.test_split {
        TestSplit::Test => (split.test, "test"),
        TestSplit::Validation => (split.validation, "validation"),
    };
    let test_clips = subset(dir, held_out, a.test_clips);
    if train_clips.is_empty() || test_clips.is_empty() {
        return Err(CorpusError {
            field: "task.folder",
            message: format!(
                "{}: the {} split has no clips; allowed: a Speech Commands folder with \
                 training and test clips of the keywords",
                a.folder,
                if train_clips.is_empty() {
                    "training"
                } else {
                    held_name
                }
            ),
        });
    }
    let steps = (CLIP_SAMPLES / fe.samples_per_step()) as u32;
    let per_clip = u64::from(steps) * words_per_step(fe.n_channels()) as u64 * 4;
    let total = per_clip * (train_clips.len() + test_clips.len()) as u64;
    if total > CACHE_BYTES {
        let fit = (CACHE_BYTES / per_clip).saturating_sub(test_clips.len() as u64);
        return Err(CorpusError {
            field: "task.train_clips",
            message: format!(
                "{} training and {} test clips take {} MB of spike trains ({} bytes a clip); \
                 the cache holds at most {} MiB; allowed: task.train_clips <= {fit} (or \
                 fewer test_clips, fewer bands, longer steps)",
                train_clips.len(),
                test_clips.len(),
                total / 1_000_000,
                per_clip,
                CACHE_BYTES >> 20
            ),
        });
    }
    // Background files, read once for all their windows.
    let mut long: BTreeMap<PathBuf, Arc<Vec<i16>>> = BTreeMap::new();
    for c in train_clips
        .iter()
        .chain(&test_clips)
        .filter(|c| c.class == 0)
    {
        if !long.contains_key(&c.path) {
            let pcm = crate::wav::read_wav(&c.path).map_err(|e| CorpusError {
                field: "task.folder",
                message: e.to_string(),
            })?;
            long.insert(c.path.clone(), Arc::new(pcm));
        }
    }
    let encode = |clips: &[Clip]| -> Result<Vec<Encoded>, CorpusError> {
        let out: Vec<Result<Encoded, WavError>> = clips
            .par_iter()
            .map(|c| {
                let pcm = match long.get(&c.path) {
                    Some(p) => speech::cut_clip(p, c.start),
                    None => speech::read_clip(c)?,
                };
                Ok(Encoded {
                    spikes: encode_clip(&fe, &pcm),
                    label: u8::try_from(c.class).unwrap_or(u8::MAX),
                })
            })
            .collect();
        out.into_iter()
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| CorpusError {
                field: "task.folder",
                message: e.to_string(),
            })
    };
    let train = encode(&train_clips)?;
    let test = encode(&test_clips)?;
    Ok(Corpus {
        classes: split.classes,
        fe,
        settings,
        steps,
        train,
        test,
        train_clips,
        test_clips,
    })
}

/// A clip's spikes packed for an image: `bytes_per_step(channels)` bytes a step
/// (`neurochip_tasks::audio::Raster::from_bytes`).
pub fn packed(t: &SpikeTrain) -> Vec<u8> {
    let w = words_per_step(t.channels());
    let n = bytes_per_step(t.channels());
    let mut out = Vec::with_capacity(t.steps() as usize * n);
    for step in t.words().chunks_exact(w.max(1)) {
        let bytes: Vec<u8> = step.iter().flat_map(|x| x.to_le_bytes()).collect();
        out.extend_from_slice(&bytes[..n]);
    }
    out
}
