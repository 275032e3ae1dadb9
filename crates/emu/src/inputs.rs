//! Bounded input files: every file a command reads has a size limit, checked with
//! its metadata before it is opened for reading, and the read itself stops one byte
//! past the limit, so a device (`/dev/zero`), a pipe or a FIFO that never ends is
//! refused at once instead of growing the memory.
//!
//! | input | limit |
//! |---|---|
//! | configuration (`.toml`) | [`CONFIG`] |
//! | architecture file (`--arch`) | [`ARCH`] |
//! | constraint problem (`solve`) | [`PROBLEM`] |
//! | chip image or snapshot (`inspect`, `run-image`) | [`IMAGE`] |
//! | data file (`task.data`, gzip) | [`DATA`] compressed, [`DATA_TEXT`] decompressed |
//! | WAV file (`neurochip_emu::wav`) | [`WAV`] |
//! | Speech Commands list (`validation_list.txt`, `testing_list.txt`) | [`LIST`] |
//! | weights file (`.npz`, `--weights`) | [`crate::weights_file::MAX_BYTES`]; arrays [`crate::npz::MAX_ENTRY`] inflated |
//! | event file (`kind = "events"`) | [`crate::dataset::MAX_EVENT_BYTES`] |
//! | feature file (`kind = "features"`) | [`crate::dataset::MAX_FEATURE_BYTES`] |

use std::io::Read;
use std::path::{Path, PathBuf};

/// A configuration file: 1 MiB.
pub const CONFIG: u64 = 1 << 20;
/// An architecture file: 1 MiB.
pub const ARCH: u64 = 1 << 20;
/// A constraint problem file (Sudoku or graph): 16 MiB.
pub const PROBLEM: u64 = 16 << 20;
/// A chip image or snapshot: 64 MiB (a 256-neuron chip's image is well under 1 MiB).
pub const IMAGE: u64 = 64 << 20;
/// A gzip data file, compressed: 16 MiB (the shipped digits file is 57 KB).
pub const DATA: u64 = 16 << 20;
/// A data file once decompressed: 64 MiB (the shipped digits CSV is 265 KB).
pub const DATA_TEXT: u64 = neurochip_tasks::digits::MAX_CSV_BYTES;
/// A WAV file: 64 MiB (a 1 s clip at 16 kHz is 32 KB, the real corpus's longest
/// background noise file, 95 s, is 3 MB; 64 MiB is 35 minutes).
pub const WAV: u64 = 64 << 20;
/// A Speech Commands split list: 16 MiB (the real corpus's lists are under 0.5 MB).
pub const LIST: u64 = 16 << 20;

/// Why an input file was not read.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// It could not be opened or read.
    #[error("{}: cannot read the {what}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What it is ("problem file").
        what: String,
        /// The error.
        source: std::io::Error,
    },
    /// It is a folder.
    #[error("{}: is a directory; give the path of a {what}", path.display())]
    Folder {
        /// The folder.
        path: PathBuf,
        /// What was expected.
        what: String,
    },
    /// It is larger than the limit (`size` when its metadata says, else it is a
    /// device or a pipe that gave more).
    #[error(
        "{}: the {what} {}; the limit for it is {limit} bytes ({})",
        path.display(),
        size.map_or_else(|| format!("gives more than {limit} bytes"), |s| format!("is {s} bytes")),
        mib(*limit)
    )]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// What it is.
        what: String,
        /// The limit, bytes.
        limit: u64,
        /// Its size, when its metadata gives one.
        size: Option<u64>,
    },
}

/// `limit` in MiB, for a person.
fn mib(limit: u64) -> String {
    format!("{} MiB", limit as f64 / (1u64 << 20) as f64)
}

/// Read the file at `path` (a `what`, for messages) whole, refusing it when it is
/// larger than `limit` bytes: by its metadata before reading, and for a device or a
/// pipe by reading no more than `limit + 1` bytes.
pub fn read(path: &Path, what: &str, limit: u64) -> Result<Vec<u8>, InputError> {
    let io = |source| InputError::Io {
        path: path.to_path_buf(),
        what: what.into(),
        source,
    };
    let too_large = |size| InputError::TooLarge {
        path: path.to_path_buf(),
        what: what.into(),
        limit,
        size,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if meta.is_dir() {
        return Err(InputError::Folder {
            path: path.to_path_buf(),
            what: what.into(),
        });
    }
    if meta.is_file() && meta.len() > limit {
        return Err(too_large(Some(meta.len())));
    }
    let f = std::fs::File::open(path).map_err(io)?;
    let mut bytes = Vec::new();
    f.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > limit {
        return Err(too_large(None));
    }
    Ok(bytes)
}

/// [`read`] as UTF-8 text; a file that is not text is refused with the offset of
/// its first invalid byte.
pub fn read_text(path: &Path, what: &str, limit: u64) -> Result<String, InputError> {
    let bytes = read(path, what, limit)?;
    String::from_utf8(bytes).map_err(|e| InputError::Io {
        path: path.to_path_buf(),
        what: what.into(),
        source: std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "not UTF-8 text (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endless_and_large_inputs_are_cut_at_the_limit() {
        if Path::new("/dev/zero").exists() {
            let e = read(Path::new("/dev/zero"), "problem file", 1000).unwrap_err();
            assert_eq!(
                e.to_string(),
                "/dev/zero: the problem file gives more than 1000 bytes; the limit for it is \
                 1000 bytes (0.00095367431640625 MiB)"
            );
        }
        let tmp = crate::test_dir("inputs");
        let d = tmp.path();
        let p = d.join("big");
        std::fs::write(&p, vec![b'x'; 1001]).unwrap();
        let e = read(&p, "thing", 1000).unwrap_err();
        assert!(
            e.to_string()
                .contains("is 1001 bytes; the limit for it is 1000 bytes"),
            "{e}"
        );
        assert_eq!(read(&p, "thing", 1001).unwrap().len(), 1001);
        assert!(matches!(
            read(d, "thing", 10),
            Err(InputError::Folder { .. })
        ));
    }
}
