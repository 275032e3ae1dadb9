//! Commands that the Python package carries out (`import-nir`, `export-nir`,
//! `convert-events`, `sweep --ray`): NIR's file format is defined by its Python
//! package `nir` (HDF5 through h5py), Ray is a Python library, and the mapping of a
//! NIR graph onto the chip lives once, in `neurochip.nir`. The binary checks its
//! arguments and outputs, then runs `python -m neurochip._cli ...` with the Python of
//! the project's `.venv` (`make python` builds it), or `NEUROCHIP_PYTHON`; the Python
//! side writes atomically and ends a refusal with one `error: ...` line and exit
//! code 2, which pass through.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use super::fail;

/// A path as a command-line argument.
pub fn os(p: &Path) -> OsString {
    p.as_os_str().to_owned()
}

/// The Python to run: `NEUROCHIP_PYTHON`, else `.venv/bin/python` in the working
/// directory or in a folder above the binary (a `target/release/neurochip` in the
/// repository).
pub fn python() -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os("NEUROCHIP_PYTHON") {
        return Ok(PathBuf::from(p));
    }
    let venv = Path::new(".venv").join("bin").join("python");
    if venv.exists() {
        return Ok(venv);
    }
    if let Ok(exe) = std::env::current_exe() {
        for dir in exe.ancestors().skip(1) {
            let p = dir.join(".venv").join("bin").join("python");
            if p.exists() {
                return Ok(p);
            }
        }
    }
    Err(
        "this command runs in the Python package neurochip, and no .venv/bin/python was \
         found here or above the binary; build it with `make python` (or set \
         NEUROCHIP_PYTHON to a Python that has neurochip installed)"
            .into(),
    )
}

/// Run `neurochip._cli` with `args`, its output passed through; its exit code is the
/// command's.
pub fn delegate(command: &str, args: Vec<OsString>) -> ExitCode {
    let py = match python() {
        Ok(p) => p,
        Err(e) => return fail(format!("{command}: {e}")),
    };
    let status = Command::new(&py)
        .arg("-m")
        .arg("neurochip._cli")
        .arg(command)
        .args(args)
        .status();
    match status {
        Ok(s) => match s.code() {
            Some(c) => ExitCode::from(u8::try_from(c).unwrap_or(1)),
            None => ExitCode::from(130),
        },
        Err(e) => fail(format!(
            "{command}: cannot run {}: {e}; build the Python package with `make python`",
            py.display()
        )),
    }
}
