//! WAV files on the host, with [`hound`]: 16 kHz, mono, 16-bit integer PCM only,
//! the format of the Speech Commands corpus and of `make data-kws`. The file's size
//! is bounded before it is read ([`crate::inputs::WAV`]); anything else is refused
//! in one line that names the file and what is allowed.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use crate::inputs::{self, InputError};

/// The sample rate the front end is built for, Hz.
pub const SAMPLE_RATE: u32 = 16_000;

/// What a WAV file may be, for messages.
pub const ALLOWED: &str = "16000 Hz mono 16-bit integer PCM";

/// Why a WAV file was not read.
#[derive(Debug, thiserror::Error)]
pub enum WavError {
    /// Not readable, or larger than the limit.
    #[error(transparent)]
    Input(#[from] InputError),
    /// Not a WAV file hound can read.
    #[error("{}: not a WAV file: {reason}; allowed {ALLOWED}", path.display())]
    Decode {
        /// The file.
        path: PathBuf,
        /// hound's words.
        reason: String,
    },
    /// A WAV file of another format.
    #[error("{}: a WAV of {rate} Hz, {channels} channel{}, {bits}-bit {kind}; allowed {ALLOWED}",
        path.display(), if *channels == 1 { "" } else { "s" })]
    Format {
        /// The file.
        path: PathBuf,
        /// Its sample rate.
        rate: u32,
        /// Its channels.
        channels: u16,
        /// Its bits per sample.
        bits: u16,
        /// "integer" or "float".
        kind: &'static str,
    },
}

/// The samples of the WAV file at `path` (16 kHz, mono, 16-bit integer PCM).
pub fn read_wav(path: &Path) -> Result<Vec<i16>, WavError> {
    let bytes = inputs::read(path, "WAV file", inputs::WAV)?;
    let decode = |e: hound::Error| WavError::Decode {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    let reader = hound::WavReader::new(Cursor::new(bytes)).map_err(decode)?;
    let spec = reader.spec();
    if spec.sample_rate != SAMPLE_RATE
        || spec.channels != 1
        || spec.bits_per_sample != 16
        || spec.sample_format != hound::SampleFormat::Int
    {
        return Err(WavError::Format {
            path: path.to_path_buf(),
            rate: spec.sample_rate,
            channels: spec.channels,
            bits: spec.bits_per_sample,
            kind: match spec.sample_format {
                hound::SampleFormat::Int => "integer",
                hound::SampleFormat::Float => "float",
            },
        });
    }
    reader
        .into_samples::<i16>()
        .collect::<Result<Vec<_>, _>>()
        .map_err(decode)
}

/// Write `samples` as a 16 kHz mono 16-bit WAV file (tests and tools).
pub fn write_wav(path: &Path, samples: &[i16]) -> Result<(), hound::Error> {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: SAMPLE_RATE,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec)?;
    for &s in samples {
        w.write_sample(s)?;
    }
    w.finalize()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A WAV file at `path` of `channels` channels at `rate` Hz, `bits`-bit samples
    /// of `format`, holding `samples`.
    fn other_wav<S: hound::Sample + Copy>(
        path: &Path,
        (channels, rate, bits): (u16, u32, u16),
        format: hound::SampleFormat,
        samples: &[S],
    ) {
        let spec = hound::WavSpec {
            channels,
            sample_rate: rate,
            bits_per_sample: bits,
            sample_format: format,
        };
        let mut w = hound::WavWriter::create(path, spec).unwrap();
        for &s in samples {
            w.write_sample(s).unwrap();
        }
        w.finalize().unwrap();
    }

    #[test]
    fn reads_its_own_format_and_refuses_others_in_one_line() {
        let tmp = crate::test_dir("wav");
        let d = tmp.path();
        let p = d.join("ok.wav");
        let pcm: Vec<i16> = (0..1600).map(|i| (i * 17 % 2000 - 1000) as i16).collect();
        write_wav(&p, &pcm).unwrap();
        assert_eq!(read_wav(&p).unwrap(), pcm);

        let stereo = d.join("stereo.wav");
        other_wav(
            &stereo,
            (2, 44100, 16),
            hound::SampleFormat::Int,
            &[0i16, 0],
        );
        assert_eq!(
            read_wav(&stereo).unwrap_err().to_string(),
            format!(
                "{}: a WAV of 44100 Hz, 2 channels, 16-bit integer; allowed 16000 Hz mono 16-bit integer PCM",
                stereo.display()
            )
        );
        let float = d.join("float.wav");
        other_wav(
            &float,
            (1, 16000, 32),
            hound::SampleFormat::Float,
            &[0.5f32],
        );
        let e = read_wav(&float).unwrap_err().to_string();
        assert!(e.ends_with("a WAV of 16000 Hz, 1 channel, 32-bit float; allowed 16000 Hz mono 16-bit integer PCM"), "{e}");

        let text = d.join("text.wav");
        std::fs::write(&text, "not a wav").unwrap();
        let e = read_wav(&text).unwrap_err().to_string();
        assert!(
            e.starts_with(&format!("{}: not a WAV file: ", text.display())),
            "{e}"
        );
        assert!(!e.contains('\n'));
        if Path::new("/dev/zero").exists() {
            let e = read_wav(Path::new("/dev/zero")).unwrap_err().to_string();
            assert!(
                e.contains("the WAV file gives more than 67108864 bytes"),
                "{e}"
            );
        }
    }
}
