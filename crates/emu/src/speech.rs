//! A folder in the Google Speech Commands layout (Warden 2018, v0.02) as train,
//! validation and test lists of clips, for a chosen list of keywords, with the
//! "silence" and "unknown" classes of the 12-class convention:
//!
//! ```text
//! DIR/yes/0a7c2a8d_nohash_0.wav     one folder per word, 1 s clips, 16 kHz mono 16-bit
//! DIR/bed/...                       words that are not keywords: "unknown"
//! DIR/_background_noise_/*.wav      long noise recordings: "silence"
//! DIR/validation_list.txt           relative paths (word/file.wav), one a line
//! DIR/testing_list.txt
//! ```
//!
//! A clip in `testing_list.txt` is a test clip, else one in `validation_list.txt`
//! a validation clip, else a training clip. The classes are, in this order (as in
//! the TensorFlow speech-commands recipe): `_silence_`, `_unknown_`, then the
//! keywords. Each split gets
//!
//! * every clip of a keyword folder, as that keyword;
//! * `ceil(unknown_percent / 100 * K)` clips of the other word folders, `K` being the
//!   split's keyword clips, picked by a hash of the seed and the path (all of them
//!   when there are fewer);
//! * `ceil(silence_percent / 100 * K)` one-second windows of the background files.
//!   Unlike the recipe, which draws silence for every split from the same files,
//!   the windows are split too, so no noise heard in training is tested: the
//!   non-overlapping windows of each file are taken in order, the first 80% for
//!   training, the next 10% for validation, the last 10% for testing; a split
//!   uses them in a seeded order and again from the start when it needs more.
//!
//! `make data-kws` writes such a folder (`data/kws`); the real corpus, unpacked,
//! is one too: `neurochip_emu::speech::open(Path::new("speech_commands_v0.02"),
//! &Options::default())`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use neurochip_tasks::rng::hash;

use crate::inputs::{self, InputError};
use crate::wav::{read_wav, WavError};

/// The ten keywords of the 12-class task.
pub const KEYWORDS: [&str; 10] = [
    "yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go",
];
/// The silence class's name.
pub const SILENCE: &str = "_silence_";
/// The unknown-word class's name.
pub const UNKNOWN: &str = "_unknown_";
/// The folder of background noise.
pub const BACKGROUND: &str = "_background_noise_";
/// The validation list's file name.
pub const VALIDATION_LIST: &str = "validation_list.txt";
/// The test list's file name.
pub const TESTING_LIST: &str = "testing_list.txt";
/// Samples in a clip: 1 s at 16 kHz.
pub const CLIP_SAMPLES: usize = 16_000;

/// What to make of a folder.
#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    /// The keywords (default [`KEYWORDS`]); every other word folder is "unknown".
    pub keywords: Vec<String>,
    /// Silence clips per split, percent of the split's keyword clips (10).
    pub silence_percent: f64,
    /// Unknown clips per split, percent of the split's keyword clips (10).
    pub unknown_percent: f64,
    /// Seed of the unknown and silence picks (59185, the recipe's random seed).
    pub seed: u64,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            keywords: KEYWORDS.iter().map(|s| s.to_string()).collect(),
            silence_percent: 10.0,
            unknown_percent: 10.0,
            seed: 59185,
        }
    }
}

/// One clip of a split.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Clip {
    /// The WAV file.
    pub path: PathBuf,
    /// First sample (0, except for a silence window of a background file).
    pub start: usize,
    /// The class (an index into [`Corpus::classes`]).
    pub class: usize,
}

/// The three splits of a folder.
#[derive(Clone, Debug, PartialEq)]
pub struct Corpus {
    /// Class names: `_silence_`, `_unknown_`, then the keywords.
    pub classes: Vec<String>,
    /// Training clips, sorted by path and start.
    pub train: Vec<Clip>,
    /// Validation clips.
    pub validation: Vec<Clip>,
    /// Test clips.
    pub test: Vec<Clip>,
}

/// Why a folder was not read.
#[derive(Debug, thiserror::Error)]
pub enum SpeechError {
    /// Not a folder, or not listable.
    #[error("{}: cannot read the Speech Commands folder: {source}", path.display())]
    Folder {
        /// The path.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// A list could not be read (missing, too large, not text).
    #[error("{0}; a Speech Commands folder has validation_list.txt and testing_list.txt")]
    List(InputError),
    /// A line of a list that names no clip of the folder.
    #[error("{}:{line}: {entry:?}: {reason}", file.display())]
    Entry {
        /// The list.
        file: PathBuf,
        /// Line, from 1.
        line: usize,
        /// The line's text.
        entry: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// A keyword without its folder.
    #[error("{}: no folder for the keyword {word:?}; word folders: {}", dir.display(), folders.join(", "))]
    Keyword {
        /// The corpus folder.
        dir: PathBuf,
        /// The keyword.
        word: String,
        /// The word folders there are.
        folders: Vec<String>,
    },
    /// Options out of range.
    #[error("{0}")]
    Options(String),
    /// A background file that could not be read.
    #[error(transparent)]
    Wav(#[from] WavError),
}

fn folder_err(path: &Path) -> impl Fn(std::io::Error) -> SpeechError + '_ {
    move |source| SpeechError::Folder {
        path: path.to_path_buf(),
        source,
    }
}

/// Names of the entries of `dir` that are folders (`dirs`) or `.wav` files, sorted.
fn entries(dir: &Path, dirs: bool) -> Result<Vec<String>, SpeechError> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).map_err(folder_err(dir))? {
        let e = e.map_err(folder_err(dir))?;
        let is_dir = e.file_type().map_err(folder_err(dir))?.is_dir();
        let name = e.file_name().to_string_lossy().into_owned();
        if dirs && is_dir || !dirs && !is_dir && name.to_ascii_lowercase().ends_with(".wav") {
            out.push(name);
        }
    }
    out.sort();
    Ok(out)
}

/// The set of relative paths a list names (checked against `files`).
fn read_list(
    dir: &Path,
    name: &str,
    files: &BTreeSet<String>,
) -> Result<BTreeSet<String>, SpeechError> {
    let file = dir.join(name);
    let text = inputs::read_text(&file, "split list", inputs::LIST).map_err(SpeechError::List)?;
    let mut set = BTreeSet::new();
    for (i, l) in text.lines().enumerate() {
        let entry = l.trim();
        if entry.is_empty() {
            continue;
        }
        let err = |reason| SpeechError::Entry {
            file: file.clone(),
            line: i + 1,
            entry: entry.to_string(),
            reason,
        };
        if !files.contains(entry) {
            return Err(err(
                "no such clip (allowed: WORD/FILE.wav of a word folder here)",
            ));
        }
        set.insert(entry.to_string());
    }
    Ok(set)
}

/// `v` of `items` picked by the hash of `(seed, salt, key)`, in hash order.
fn pick<T: Clone>(items: &[T], key: impl Fn(&T) -> String, seed: u64, salt: u64) -> Vec<T> {
    let mut keyed: Vec<(u64, usize)> = items
        .iter()
        .enumerate()
        .map(|(i, t)| (hash(seed, salt, fnv(&key(t)), 0), i))
        .collect();
    keyed.sort_unstable();
    keyed.into_iter().map(|(_, i)| items[i].clone()).collect()
}

/// A clip's key for the seeded picks: its path inside the folder (`yes/x.wav`, with
/// `/` whatever the platform) and its first sample, so that the folder's place on
/// the disk (a relative or an absolute path, another machine) picks the same clips.
pub fn clip_key(dir: &Path, c: &Clip) -> String {
    let rel = c.path.strip_prefix(dir).unwrap_or(&c.path);
    let parts: Vec<String> = rel
        .components()
        .map(|p| p.as_os_str().to_string_lossy().into_owned())
        .collect();
    format!("{}#{}", parts.join("/"), c.start)
}

/// FNV-1a of a string (a stable key for the pick).
fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Read the folder `dir` (layout in the module docs) into three splits.
pub fn open(dir: &Path, opt: &Options) -> Result<Corpus, SpeechError> {
    for (name, v) in [
        ("silence_percent", opt.silence_percent),
        ("unknown_percent", opt.unknown_percent),
    ] {
        if !(0.0..=1000.0).contains(&v) {
            return Err(SpeechError::Options(format!(
                "{name} = {v}; allowed 0..=1000"
            )));
        }
    }
    let words: Vec<String> = entries(dir, true)?
        .into_iter()
        .filter(|w| !w.starts_with('_'))
        .collect();
    if opt.keywords.is_empty() {
        return Err(SpeechError::Options(
            "no keywords; allowed one or more word folders".into(),
        ));
    }
    for k in &opt.keywords {
        if !words.contains(k) {
            return Err(SpeechError::Keyword {
                dir: dir.to_path_buf(),
                word: k.clone(),
                folders: words.clone(),
            });
        }
    }
    let mut classes = vec![SILENCE.to_string(), UNKNOWN.to_string()];
    classes.extend(opt.keywords.iter().cloned());
    let class_of: BTreeMap<&str, usize> = opt
        .keywords
        .iter()
        .enumerate()
        .map(|(i, k)| (k.as_str(), i + 2))
        .collect();

    let mut files = BTreeSet::new();
    for w in &words {
        for f in entries(&dir.join(w), false)? {
            files.insert(format!("{w}/{f}"));
        }
    }
    let testing = read_list(dir, TESTING_LIST, &files)?;
    let validation = read_list(dir, VALIDATION_LIST, &files)?;

    // 0 train, 1 validation, 2 test.
    let mut known: [Vec<Clip>; 3] = Default::default();
    let mut unknown: [Vec<Clip>; 3] = Default::default();
    for rel in &files {
        let split = if testing.contains(rel) {
            2
        } else if validation.contains(rel) {
            1
        } else {
            0
        };
        let word = rel.split('/').next().unwrap_or_default();
        let clip = |class| Clip {
            path: dir.join(rel),
            start: 0,
            class,
        };
        match class_of.get(word) {
            Some(&c) => known[split].push(clip(c)),
            None => unknown[split].push(clip(1)),
        }
    }

    // Background windows, split by position in each file.
    let mut windows: [Vec<Clip>; 3] = Default::default();
    let bg = dir.join(BACKGROUND);
    if bg.is_dir() {
        for f in entries(&bg, false)? {
            let path = bg.join(&f);
            let n = read_wav(&path)?.len() / CLIP_SAMPLES;
            for w in 0..n {
                let split = if w * 10 < n * 8 {
                    0
                } else if w * 10 < n * 9 {
                    1
                } else {
                    2
                };
                windows[split].push(Clip {
                    path: path.clone(),
                    start: w * CLIP_SAMPLES,
                    class: 0,
                });
            }
        }
    }

    let mut splits: [Vec<Clip>; 3] = Default::default();
    for s in 0..3 {
        let k = known[s].len() as f64;
        let n_unknown = (k * opt.unknown_percent / 100.0).ceil() as usize;
        let n_silence = (k * opt.silence_percent / 100.0).ceil() as usize;
        let key = |c: &Clip| clip_key(dir, c);
        let mut out = std::mem::take(&mut known[s]);
        out.extend(
            pick(&unknown[s], key, opt.seed, 1)
                .into_iter()
                .take(n_unknown),
        );
        let order = pick(&windows[s], key, opt.seed, 2);
        out.extend(order.iter().cycle().take(n_silence).cloned());
        out.sort();
        splits[s] = out;
    }
    let [train, validation, test] = splits;
    Ok(Corpus {
        classes,
        train,
        validation,
        test,
    })
}

/// A clip's [`CLIP_SAMPLES`] samples: the file from `start`, cut, and padded with
/// zeros when shorter (as the real corpus's short clips are).
pub fn read_clip(clip: &Clip) -> Result<Vec<i16>, WavError> {
    Ok(cut_clip(&read_wav(&clip.path)?, clip.start))
}

/// The [`CLIP_SAMPLES`] samples of a file's `pcm` from `start`, padded with zeros
/// when shorter: a clip of a file already read.
pub fn cut_clip(pcm: &[i16], start: usize) -> Vec<i16> {
    let mut out: Vec<i16> = pcm
        .get(start..)
        .unwrap_or_default()
        .iter()
        .take(CLIP_SAMPLES)
        .copied()
        .collect();
    out.resize(CLIP_SAMPLES, 0);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wav::write_wav;

    /// A tiny folder `words` in a fresh temporary folder: keywords yes/no (3
    /// speakers), unknown bed/cat, one 10 s noise. (The temporary folder's guard,
    /// which removes both when dropped, the folder.)
    fn tiny(name: &str) -> (tempfile::TempDir, PathBuf) {
        let guard = crate::test_dir(&format!("speech-{name}"));
        let d = guard.path().join("words");
        for w in ["yes", "no", "bed", "cat", BACKGROUND] {
            std::fs::create_dir_all(d.join(w)).unwrap();
        }
        let tone: Vec<i16> = (0..CLIP_SAMPLES).map(|i| (i % 100) as i16 * 50).collect();
        for w in ["yes", "no", "bed", "cat"] {
            for s in ["aaaa0001", "bbbb0002", "cccc0003"] {
                for r in 0..2 {
                    write_wav(&d.join(format!("{w}/{s}_nohash_{r}.wav")), &tone[..12000]).unwrap();
                }
            }
        }
        let noise: Vec<i16> = (0..10 * CLIP_SAMPLES)
            .map(|i| (i * 7919 % 601) as i16 - 300)
            .collect();
        write_wav(&d.join(format!("{BACKGROUND}/white.wav")), &noise).unwrap();
        let list = |s: &str| {
            ["yes", "no", "bed", "cat"]
                .iter()
                .flat_map(|w| (0..2).map(move |r| format!("{w}/{s}_nohash_{r}.wav\n")))
                .collect::<String>()
        };
        std::fs::write(d.join(VALIDATION_LIST), list("bbbb0002")).unwrap();
        std::fs::write(d.join(TESTING_LIST), list("cccc0003")).unwrap();
        (guard, d)
    }

    #[test]
    fn splits_by_the_lists_with_silence_and_unknown() {
        let (_dir, d) = tiny("ok");
        let opt = Options {
            keywords: vec!["yes".into(), "no".into()],
            silence_percent: 50.0,
            unknown_percent: 50.0,
            seed: 1,
        };
        let c = open(&d, &opt).unwrap();
        assert_eq!(c.classes, ["_silence_", "_unknown_", "yes", "no"]);
        // Train: 4 keyword clips (2 words x speaker a x 2), 2 unknown, 2 silence.
        let count = |v: &[Clip], k| v.iter().filter(|c| c.class == k).count();
        assert_eq!(c.train.len(), 8);
        assert_eq!((count(&c.train, 2), count(&c.train, 3)), (2, 2));
        assert_eq!((count(&c.train, 1), count(&c.train, 0)), (2, 2));
        for (split, speaker) in [
            (&c.train, "aaaa"),
            (&c.validation, "bbbb"),
            (&c.test, "cccc"),
        ] {
            for clip in split.iter().filter(|c| c.class != 0) {
                let name = clip.path.file_name().unwrap().to_string_lossy();
                assert!(name.starts_with(speaker), "{name}");
            }
        }
        // Silence windows: seconds 0..8 train, 8 validation, 9 test.
        let starts = |v: &[Clip]| -> Vec<usize> {
            v.iter()
                .filter(|c| c.class == 0)
                .map(|c| c.start / CLIP_SAMPLES)
                .collect()
        };
        assert!(starts(&c.train).iter().all(|&s| s < 8));
        assert_eq!(starts(&c.validation), [8, 8]);
        assert_eq!(starts(&c.test), [9, 9]);
        // A clip is 16,000 samples, padded; a window is the file's samples.
        let first = read_clip(&c.test[2]).unwrap();
        assert_eq!(first.len(), CLIP_SAMPLES);
        assert_eq!(first[11999..12001], [(11999 % 100) as i16 * 50, 0]);
        let w = c.test.iter().find(|c| c.class == 0).unwrap();
        assert_eq!(
            read_clip(w).unwrap()[0],
            ((9 * CLIP_SAMPLES) * 7919 % 601) as i16 - 300
        );
        // Deterministic for a seed, wherever the folder is.
        assert_eq!(open(&d, &opt).unwrap(), c);
        let moved = d.with_file_name("moved");
        std::fs::rename(&d, &moved).unwrap();
        let m = open(&moved, &opt).unwrap();
        let rel = |v: &[Clip], dir: &Path| -> Vec<String> {
            v.iter().map(|c| clip_key(dir, c)).collect()
        };
        assert_eq!(rel(&m.train, &moved), rel(&c.train, &d));
        assert_eq!(rel(&m.test, &moved), rel(&c.test, &d));
    }

    #[test]
    fn refusals_name_the_place() {
        let (_dir, d) = tiny("bad");
        let e = open(&d, &Options::default()).unwrap_err().to_string();
        assert_eq!(
            e,
            format!(
                "{}: no folder for the keyword \"up\"; word folders: bed, cat, no, yes",
                d.display()
            )
        );
        let opt = Options {
            keywords: vec!["yes".into()],
            ..Options::default()
        };
        std::fs::write(
            d.join(TESTING_LIST),
            "yes/aaaa0001_nohash_0.wav\nyes/zzz.wav\n",
        )
        .unwrap();
        let e = open(&d, &opt).unwrap_err().to_string();
        assert_eq!(
            e,
            format!(
                "{}:2: \"yes/zzz.wav\": no such clip (allowed: WORD/FILE.wav of a word folder here)",
                d.join(TESTING_LIST).display()
            )
        );
        std::fs::remove_file(d.join(VALIDATION_LIST)).unwrap();
        std::fs::write(d.join(TESTING_LIST), "").unwrap();
        let e = open(&d, &opt).unwrap_err().to_string();
        assert!(
            e.contains("validation_list.txt: cannot read the split list"),
            "{e}"
        );
        assert!(
            e.ends_with("a Speech Commands folder has validation_list.txt and testing_list.txt")
        );
    }
}
