//! Outputs checked before the work starts.
//!
//! A command that writes files (`run --save/--export`, `export -o`, `network -o`,
//! `sweep --csv/--plot`, `init -o`) hands [`check`] every output it will write, with
//! the flag that named it, and every file it reads. Before any training or
//! simulation, each output must be:
//!
//! - writable: its folder exists and takes a new file, or it is a device that opens
//!   for writing ([`writable`]);
//! - not one of the inputs, after resolving links (a hard link or a symlink to the
//!   configuration is the configuration);
//! - not the output of another flag of the same command.
//!
//! Devices (`/dev/null`, `/dev/full`) are written in place and never replaced, so
//! they take part in none of the identity checks.
//!
//! A run folder (`--out DIR`) is claimed with [`RunDir::claim`]: new or empty unless
//! forced, locked against a second run, and removed again if the command fails
//! before it wrote anything.

use std::path::{Path, PathBuf};

/// One file a command will write: the flag that names it, what it is (for the
/// message: "cannot write the {what}") and its path.
#[derive(Clone, Copy, Debug)]
pub struct Output<'a> {
    /// The flag that names it (`--save`, `-o`, `--plot`).
    pub flag: &'a str,
    /// What it is: "snapshot", "image", "CSV".
    pub what: &'a str,
    /// Where it goes.
    pub path: &'a Path,
}

impl Output<'_> {
    /// Write `bytes` here atomically ([`crate::export::write_atomic`]: a failed write
    /// leaves the old file); the error names the output and why it failed.
    pub fn write(&self, bytes: &[u8]) -> Result<(), OutputError> {
        crate::export::write_atomic(self.path, bytes).map_err(|e| self.unwritable(e.to_string()))
    }

    fn unwritable(&self, reason: String) -> OutputError {
        OutputError::Unwritable {
            flag: self.flag.into(),
            what: self.what.into(),
            path: self.path.to_path_buf(),
            reason,
        }
    }
}

/// Why an output (or a run folder) was refused.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// The file cannot be written there.
    #[error("{}: {flag}: cannot write the {what}: {reason}", path.display())]
    Unwritable {
        /// The flag of the output.
        flag: String,
        /// What it is.
        what: String,
        /// The output path.
        path: PathBuf,
        /// Why not.
        reason: String,
    },
    /// The output is a file the command reads.
    #[error(
        "{}: {flag}: is the input {} of this command (after resolving links); \
         writing it would replace the input; give another path",
        path.display(),
        input.display()
    )]
    IsInput {
        /// The flag of the output.
        flag: String,
        /// The output path.
        path: PathBuf,
        /// The input it is.
        input: PathBuf,
    },
    /// Two outputs are one file.
    #[error(
        "{}: {flag} and {other} name the same file ({}); give each output its own file",
        path.display(),
        other_path.display()
    )]
    Same {
        /// The flag of the second output.
        flag: String,
        /// Its path.
        path: PathBuf,
        /// The flag of the first.
        other: String,
        /// Its path.
        other_path: PathBuf,
    },
    /// `--out` holds files already and was not forced.
    #[error(
        "{}: --out: the folder holds {entries} file(s) already (such as {example}); \
         give a new or empty folder, or --force to write into it",
        path.display()
    )]
    NotEmpty {
        /// The folder.
        path: PathBuf,
        /// How many entries it holds.
        entries: usize,
        /// One of them.
        example: String,
    },
    /// Another run holds the folder's lock.
    #[error(
        "{}: --out: another neurochip run is writing into this folder ({} exists{}); \
         give another folder, or delete {LOCK} if no run is using it",
        path.display(),
        path.join(LOCK).display(),
        holder.as_deref().unwrap_or("")
    )]
    Locked {
        /// What the lock says of the run that holds it, when the lock names a
        /// process (`holder`).
        holder: Option<String>,
        /// The folder.
        path: PathBuf,
    },
    /// The folder cannot be made or used.
    #[error("{}: --out: cannot use the run folder: {reason}", path.display())]
    Folder {
        /// The folder.
        path: PathBuf,
        /// Why not.
        reason: String,
    },
}

/// The lock file a run keeps in its run folder while it runs.
pub const LOCK: &str = ".neurochip.lock";

/// Check `outputs` before the work starts: each writable, none of them one of
/// `inputs` (inputs that do not exist are skipped: reading them fails later, with
/// its own message), no two the same file. The first problem is returned.
pub fn check(outputs: &[Output<'_>], inputs: &[&Path]) -> Result<(), OutputError> {
    let mut seen: Vec<(Key, &Output<'_>)> = Vec::new();
    for o in outputs {
        writable(o.path).map_err(|reason| o.unwritable(reason))?;
        let Some(key) = key(o.path) else {
            continue;
        };
        if let Some(input) = inputs
            .iter()
            .find(|i| key_of_existing(i) == Some(key.clone()))
        {
            return Err(OutputError::IsInput {
                flag: o.flag.into(),
                path: o.path.to_path_buf(),
                input: input.to_path_buf(),
            });
        }
        if let Some((_, first)) = seen.iter().find(|(k, _)| *k == key) {
            return Err(OutputError::Same {
                flag: o.flag.into(),
                path: o.path.to_path_buf(),
                other: first.flag.into(),
                other_path: first.path.to_path_buf(),
            });
        }
        seen.push((key, o));
    }
    Ok(())
}

/// Whether a file can be written at `path`: its folder exists and takes a new file
/// (tried with an empty temporary file, removed at once), or `path` is a device that
/// opens for writing. Nothing at `path` itself is changed.
pub fn writable(path: &Path) -> Result<(), String> {
    if let Ok(m) = std::fs::metadata(path) {
        if m.is_dir() {
            return Err("is a directory".into());
        }
        if !m.is_file() {
            return std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .map(|_| ())
                .map_err(|e| e.to_string());
        }
    }
    let dir = parent(path);
    match std::fs::metadata(dir) {
        Ok(m) if !m.is_dir() => return Err(format!("{} is not a folder", dir.display())),
        Err(_) => return Err(format!("the folder {} does not exist", dir.display())),
        Ok(_) => {}
    }
    let probe = dir.join(format!(".neurochip-write-test-{}", std::process::id()));
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
    {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            Ok(())
        }
        Err(e) => Err(format!(
            "the folder {} takes no new file: {e}",
            dir.display()
        )),
    }
}

/// The folder of `path` (`.` for a bare file name).
fn parent(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// What makes two paths one file.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Key {
    /// An existing regular file: its device and inode (hard links included).
    #[cfg(unix)]
    Node(u64, u64),
    /// A canonical path (a file to be created, or any file off Unix).
    Path(PathBuf),
}

/// The key of an existing regular file; `None` for anything else.
fn key_of_existing(path: &Path) -> Option<Key> {
    let m = std::fs::metadata(path).ok()?;
    if !m.is_file() {
        return None;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        Some(Key::Node(m.dev(), m.ino()))
    }
    #[cfg(not(unix))]
    {
        std::fs::canonicalize(path).ok().map(Key::Path)
    }
}

/// The key of an output: the file it replaces, or where it will be created (the
/// canonical folder and the name). `None` for a device or a path that cannot be
/// resolved (the writability check has refused those already).
fn key(path: &Path) -> Option<Key> {
    if std::fs::metadata(path).is_ok() {
        return key_of_existing(path);
    }
    let dir = std::fs::canonicalize(parent(path)).ok()?;
    Some(Key::Path(dir.join(path.file_name()?)))
}

/// A run folder held by one command: created (or found empty, or forced), with
/// [`LOCK`] in it while the command runs. Dropping it removes the lock, and the
/// folders it created itself if they are still empty (the command failed before it
/// wrote anything).
#[derive(Debug)]
pub struct RunDir {
    path: PathBuf,
    /// The folders this claim created, deepest first.
    created: Vec<PathBuf>,
}

impl RunDir {
    /// Claim `path` as a run folder: create it (and its missing parents) when it
    /// does not exist; when it does, it must be a folder, empty unless `force`, and
    /// not locked by another run.
    pub fn claim(path: &Path, force: bool) -> Result<Self, OutputError> {
        let folder = |reason: String| OutputError::Folder {
            path: path.to_path_buf(),
            reason,
        };
        let mut created = Vec::new();
        match std::fs::metadata(path) {
            Ok(m) if !m.is_dir() => return Err(folder("it exists and is not a folder".into())),
            Ok(_) => {
                let entries: Vec<_> = std::fs::read_dir(path)
                    .map_err(|e| folder(e.to_string()))?
                    .filter_map(Result::ok)
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect();
                if entries.iter().any(|e| e == LOCK) {
                    return Err(OutputError::Locked {
                        holder: holder(&path.join(LOCK)),
                        path: path.to_path_buf(),
                    });
                }
                if let (false, Some(first)) = (force, entries.iter().min()) {
                    return Err(OutputError::NotEmpty {
                        path: path.to_path_buf(),
                        entries: entries.len(),
                        example: first.clone(),
                    });
                }
            }
            Err(_) => {
                let mut missing = Some(path);
                while let Some(p) = missing
                    .filter(|p| !p.as_os_str().is_empty() && std::fs::symlink_metadata(p).is_err())
                {
                    created.push(p.to_path_buf());
                    missing = p.parent();
                }
                std::fs::create_dir_all(path).map_err(|e| folder(e.to_string()))?;
            }
        }
        let lock = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path.join(LOCK));
        match lock {
            Ok(mut f) => {
                use std::io::Write;
                let _ = writeln!(f, "{}", std::process::id());
                Ok(Self {
                    path: path.to_path_buf(),
                    created,
                })
            }
            // Another run took it between the look and the lock: the folder is its.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(OutputError::Locked {
                holder: holder(&path.join(LOCK)),
                path: path.to_path_buf(),
            }),
            Err(e) => {
                for d in &created {
                    let _ = std::fs::remove_dir(d);
                }
                Err(folder(format!("it takes no new file: {e}")))
            }
        }
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl RunDir {
    /// What dropping the claim does, as a closure that owns what it needs: for a
    /// process that ends without unwinding (a signal, [`crate::stop::exit_on_signal`]).
    pub fn release(&self) -> impl FnOnce() + Send + 'static {
        let (path, created) = (self.path.clone(), self.created.clone());
        move || release(&path, &created)
    }
}

/// What a lock file says of its run: the process id it holds (its first line, read
/// from at most 32 bytes), and on Linux whether that process still runs on this
/// machine. A lock on a folder other machines share may belong to a run elsewhere, so
/// a stale lock is reported, never removed.
fn holder(lock: &Path) -> Option<String> {
    use std::io::Read;
    let mut head = [0u8; 32];
    let n = std::fs::File::open(lock).ok()?.read(&mut head).ok()?;
    let pid: u32 = std::str::from_utf8(head.get(..n)?)
        .ok()?
        .lines()
        .next()?
        .trim()
        .parse()
        .ok()?;
    let proc = Path::new("/proc");
    if cfg!(target_os = "linux") && proc.join("self").exists() {
        if proc.join(pid.to_string()).exists() {
            Some(format!(", held by process {pid}, which is running"))
        } else {
            Some(format!(
                ", left by process {pid}, which no longer runs on this machine"
            ))
        }
    } else {
        Some(format!(", held by process {pid}"))
    }
}

/// Remove the lock, then the folders the claim created while they are empty.
fn release(path: &Path, created: &[PathBuf]) {
    let _ = std::fs::remove_file(path.join(LOCK));
    for d in created {
        // Fails (and stops) at the first folder that holds something.
        if std::fs::remove_dir(d).is_err() {
            break;
        }
    }
}

impl Drop for RunDir {
    fn drop(&mut self) {
        release(&self.path, &self.created);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh folder for one case: (its guard, which removes it when dropped, its
    /// path).
    fn tmp(case: &str) -> (tempfile::TempDir, PathBuf) {
        let guard = crate::test_dir(&format!("outputs-{case}"));
        let d = guard.path().to_path_buf();
        (guard, d)
    }

    fn out<'a>(flag: &'a str, path: &'a Path) -> Output<'a> {
        Output {
            flag,
            what: "file",
            path,
        }
    }

    #[test]
    fn inputs_links_and_duplicates_are_refused() {
        let (_dir, d) = tmp("keys");
        let cfg = d.join("cfg.toml");
        std::fs::write(&cfg, "x").unwrap();
        let dotted = d.join(".").join("cfg.toml");
        let e = check(&[out("-o", &dotted)], &[&cfg]).unwrap_err();
        assert!(matches!(e, OutputError::IsInput { .. }), "{e}");
        #[cfg(unix)]
        {
            let link = d.join("link.toml");
            std::os::unix::fs::symlink(&cfg, &link).unwrap();
            let e = check(&[out("-o", &link)], &[&cfg]).unwrap_err();
            assert!(matches!(e, OutputError::IsInput { .. }), "{e}");
        }
        let a = d.join("x");
        let b = d.join("sub").join("..").join("x");
        std::fs::create_dir_all(d.join("sub")).unwrap();
        let e = check(&[out("--save", &a), out("--export", &b)], &[&cfg]).unwrap_err();
        assert!(e.to_string().contains("--export and --save"), "{e}");
        assert!(check(&[out("--save", &a), out("--export", &d.join("y"))], &[&cfg]).is_ok());
        if Path::new("/dev/null").exists() {
            let null = Path::new("/dev/null");
            assert!(check(&[out("--save", null), out("--export", null)], &[&cfg]).is_ok());
        }
    }

    #[test]
    fn a_run_folder_is_new_or_empty_locked_and_cleaned_up() {
        let (_dir, d) = tmp("rundir");
        let new = d.join("a").join("b");
        {
            let r = RunDir::claim(&new, false).unwrap();
            assert!(r.path().join(LOCK).exists());
            let e = RunDir::claim(&new, true).unwrap_err();
            assert!(matches!(e, OutputError::Locked { .. }), "{e}");
            let me = format!("held by process {}", std::process::id());
            assert!(e.to_string().contains(&me), "{e}");
        }
        assert!(!d.join("a").exists(), "the folders it made are gone again");
        // A lock left by a process that is gone (a pid above Linux's largest) says so.
        std::fs::create_dir_all(&new).unwrap();
        std::fs::write(new.join(LOCK), "4294967295\n").unwrap();
        let e = RunDir::claim(&new, true).unwrap_err().to_string();
        if Path::new("/proc/self").exists() {
            assert!(
                e.contains("process 4294967295, which no longer runs"),
                "{e}"
            );
        }
        std::fs::remove_dir_all(d.join("a")).unwrap();
        std::fs::create_dir_all(&new).unwrap();
        std::fs::write(new.join("old.txt"), "mine").unwrap();
        let e = RunDir::claim(&new, false).unwrap_err();
        assert!(e.to_string().contains("old.txt"), "{e}");
        drop(RunDir::claim(&new, true).unwrap());
        assert_eq!(std::fs::read(new.join("old.txt")).unwrap(), b"mine");
        assert!(!new.join(LOCK).exists());
    }
}
