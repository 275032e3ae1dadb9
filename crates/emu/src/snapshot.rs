//! Snapshot files on the host: the whole chip state (registers, every memory, and a
//! caller word) in the flash-slot format of `neurochip_core::persist`, so a host file
//! and a flash slot hold the same bytes. Writes are atomic (temporary file, fsync,
//! rename): a failed or interrupted save never replaces a good file.

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use neurochip_core::image::{crc32, VERSION};
use neurochip_core::persist::{self, payload_len, PersistError, KIND_SNAPSHOT};
use neurochip_core::semantic;

use crate::host::HostChip;

/// Why a snapshot could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// File system error.
    #[error("{path}: {what}: {err}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What was being done.
        what: &'static str,
        /// The error.
        err: std::io::Error,
    },
    /// The bytes are not a valid snapshot, or not one for this chip.
    #[error("{path}: {reason}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

/// NOR flash in a vector (erase = 0xFF, writes clear bits): the core's [`RamFlash`]
/// over a `Vec<u8>`.
///
/// [`RamFlash`]: neurochip_core::ramflash::RamFlash
pub use neurochip_core::ramflash::RamFlash as VecFlash;

const HEAD: usize = 16;
/// Bytes of the payload before the memories: configuration hash, PRNG, steps, digest,
/// caller word, three word counts.
const FIXED: usize = 40;

/// The snapshot bytes of `chip` with the caller word `user`.
pub fn encode(chip: &mut HostChip, user: u32) -> Vec<u8> {
    let (c, mem) = chip.parts();
    let len = HEAD + payload_len(&mem) + 4;
    let mut flash = VecFlash(vec![0xFF; 2 * len]);
    persist::save_with(&mut flash, len, c, &mem, user).expect("the slot is sized for the state");
    flash.0.truncate(len);
    flash.0
}

/// Check a snapshot's header and CRC, with a reason a person can act on.
pub fn check(bytes: &[u8]) -> Result<(), String> {
    if bytes.len() < HEAD + 4 {
        return Err(format!("too short for a snapshot ({} bytes)", bytes.len()));
    }
    if &bytes[..4] != b"NCSS" {
        return Err("not a neurochip snapshot (no NCSS magic)".into());
    }
    let version = u16::from_le_bytes([bytes[4], bytes[5]]);
    if version != VERSION {
        return Err(format!(
            "snapshot format version {version} is not supported (this build reads version {VERSION})"
        ));
    }
    let kind = u16::from_le_bytes([bytes[6], bytes[7]]);
    if kind != KIND_SNAPSHOT {
        return Err(format!("not a snapshot (kind {kind})"));
    }
    let len = u32::from_le_bytes([bytes[12], bytes[13], bytes[14], bytes[15]]) as usize;
    if HEAD + len + 4 != bytes.len() {
        return Err(format!(
            "snapshot truncated or padded: the header announces {} bytes, the file has {}",
            HEAD + len + 4,
            bytes.len()
        ));
    }
    let stored = u32::from_le_bytes(bytes[HEAD + len..].try_into().expect("4 bytes"));
    let computed = crc32(&bytes[..HEAD + len]);
    if stored != computed {
        return Err(format!(
            "snapshot corrupt: CRC mismatch (stored {stored:08x}, computed {computed:08x})"
        ));
    }
    if len < FIXED {
        return Err(format!(
            "snapshot payload too short: {len} bytes, a snapshot payload has at least {FIXED} \
             (configuration hash, registers, word counts)"
        ));
    }
    Ok(())
}

/// Load `bytes` into `chip` (whose configuration must be the snapshot's); returns the
/// caller word.
pub fn decode_into(bytes: &[u8], chip: &mut HostChip) -> Result<u32, String> {
    check(bytes)?;
    let mut flash = VecFlash(bytes.to_vec());
    flash.0.extend(std::iter::repeat_n(0xFF, bytes.len()));
    let cfg = *chip.config();
    let (c, user) = {
        let mut mem = chip.mem();
        persist::restore_with(&mut flash, bytes.len(), cfg, &mut mem).map_err(|e| match e {
            PersistError::OtherConfig => {
                "the snapshot belongs to a chip with another configuration (its hash differs)"
                    .to_string()
            }
            e => e.to_string(),
        })?
    };
    semantic::check_counters(c.steps(), user).map_err(|e| e.to_string())?;
    *chip.chip_mut() = c;
    Ok(user)
}

/// Write `bytes` to `path` atomically: a temporary file beside it, fsync, rename. A
/// failure leaves any previous file untouched and removes the temporary file. A path
/// that exists and is not a regular file (a device such as `/dev/full`, a FIFO) is
/// written in place instead: it is never replaced.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Ok(meta) = fs::metadata(path) {
        if !meta.is_file() {
            if meta.is_dir() {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::IsADirectory,
                    "is a directory",
                ));
            }
            let mut f = fs::OpenOptions::new().write(true).open(path)?;
            f.write_all(bytes)?;
            return f.flush();
        }
    }
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    // Name the folder when it is the problem (missing, or a file), not just "os error".
    match fs::metadata(dir) {
        Ok(m) if !m.is_dir() => {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotADirectory,
                format!("{} is not a folder", dir.display()),
            ))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(std::io::Error::new(
                e.kind(),
                format!("the folder {} does not exist", dir.display()),
            ))
        }
        Err(e) => {
            return Err(std::io::Error::new(
                e.kind(),
                format!("cannot use the folder {}: {e}", dir.display()),
            ))
        }
        Ok(_) => {}
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp{}", std::process::id()));
    let crash = crash_point();
    let res = (|| {
        let mut f = fs::File::create(&tmp)?;
        match crash {
            Some(Crash::Write(n)) => {
                f.write_all(bytes.get(..n).unwrap_or(bytes))?;
                std::process::abort();
            }
            _ => f.write_all(bytes)?,
        }
        if crash == Some(Crash::Sync) {
            std::process::abort();
        }
        f.sync_all()?;
        if crash == Some(Crash::Rename) {
            std::process::abort();
        }
        fs::rename(&tmp, path)?;
        if let Ok(d) = fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if res.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    res
}

/// Where [`write_atomic`] crashes on purpose, for the tests that show a crash while
/// saving never damages the previous file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Crash {
    /// After writing this many bytes of the temporary file.
    Write(usize),
    /// After writing it, before fsync.
    Sync,
    /// After fsync, before the rename.
    Rename,
}

/// The crash point set by `NEUROCHIP_CRASH_AT` (`write:N`, `sync` or `rename`), a test
/// hook: the process aborts there, as a power cut or `kill -9` would stop it.
fn crash_point() -> Option<Crash> {
    let v = std::env::var("NEUROCHIP_CRASH_AT").ok()?;
    match v.as_str() {
        "sync" => Some(Crash::Sync),
        "rename" => Some(Crash::Rename),
        _ => v
            .strip_prefix("write:")
            .and_then(|n| n.parse().ok())
            .map(Crash::Write),
    }
}

/// Save `chip` with `user` to `path`, atomically.
pub fn save_file(path: &Path, chip: &mut HostChip, user: u32) -> Result<(), SnapshotError> {
    write_atomic(path, &encode(chip, user)).map_err(|err| SnapshotError::Io {
        path: path.to_path_buf(),
        what: "cannot write the snapshot",
        err,
    })
}

/// Load the snapshot at `path` into `chip`; returns the caller word. At most the size
/// of this chip's snapshot (and one byte) is read, so a huge file or a device such as
/// `/dev/zero` is refused at once rather than read into memory.
pub fn load_file(path: &Path, chip: &mut HostChip) -> Result<u32, SnapshotError> {
    let io = |err| SnapshotError::Io {
        path: path.to_path_buf(),
        what: "cannot read the snapshot",
        err,
    };
    let expected = HEAD + payload_len(&chip.mem()) + 4;
    let mut bytes = Vec::new();
    fs::File::open(path)
        .and_then(|f| f.take(expected as u64 + 1).read_to_end(&mut bytes))
        .map_err(io)?;
    if bytes.len() > expected {
        let reason = if !bytes.starts_with(b"NCSS") {
            "not a neurochip snapshot (no NCSS magic)".to_string()
        } else {
            let has = match fs::metadata(path) {
                Ok(m) if m.is_file() => format!("has {} bytes,", m.len()),
                _ => "holds".to_string(),
            };
            format!(
                "the file {has} more than a snapshot of this chip's configuration ({expected} \
                 bytes): it was saved by a chip with another configuration, or is padded"
            )
        };
        return Err(SnapshotError::Invalid {
            path: path.to_path_buf(),
            reason,
        });
    }
    decode_into(&bytes, chip).map_err(|reason| SnapshotError::Invalid {
        path: path.to_path_buf(),
        reason,
    })
}

/// Check the snapshot `bytes` against the chip of `cfg` (the one it was saved from):
/// the configuration hash, then every memory value against its format and the
/// counters, as `--resume` does (`neurochip inspect SNAP --config CFG`).
pub fn check_against(bytes: &[u8], cfg: &crate::config::Config) -> Result<(), String> {
    let (_, mut chip) = crate::build::chip(cfg).map_err(|e| e.to_string())?;
    decode_into(bytes, &mut chip).map(|_| ())
}

/// What a snapshot holds, for `neurochip inspect` (after [`check`], and the check of
/// its counters, [`semantic::check_counters`]; its memories are checked against the
/// chip's configuration by [`check_against`] and when `--resume` restores it, since
/// the file carries only a hash of that).
pub fn describe(bytes: &[u8]) -> Result<String, String> {
    check(bytes)?;
    let u32_at = |o: usize| u32::from_le_bytes(bytes[o..o + 4].try_into().expect("4 bytes"));
    let u64_at = |o: usize| u64::from_le_bytes(bytes[o..o + 8].try_into().expect("8 bytes"));
    let p = HEAD;
    semantic::check_counters(u64_at(p + 8), u32_at(p + 24)).map_err(|e| e.to_string())?;
    Ok(format!(
        "chip snapshot, format version {VERSION}\n  sequence   {}\n  payload    {} bytes\n  \
         config     hash {:08x}\n  steps      {}\n  digest     {:016x}\n  epochs     {} done\n  \
         memories   {} i16 + {} i32 + {} u32 words",
        u32_at(8),
        u32_at(12),
        u32_at(p),
        u64_at(p + 8),
        u64_at(p + 16),
        u32_at(p + 24),
        u32_at(p + 28),
        u32_at(p + 32),
        u32_at(p + 36),
    ))
}
