//! Helpers shared by the cross-crate tests: paths, and golden files that can be
//! re-recorded with `UPDATE_GOLDEN=1`.
#![deny(unsafe_code)]

use std::fs;
use std::path::{Path, PathBuf};

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ lives in the workspace")
        .to_path_buf()
}

/// `tests/golden/NAME`.
pub fn golden_path(name: &str) -> PathBuf {
    root().join("tests").join("golden").join(name)
}

/// Compare `actual` with the golden file `name`; with `UPDATE_GOLDEN=1` in the
/// environment, write it instead.
pub fn check_golden(name: &str, actual: &str) {
    let path = golden_path(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v == "1") {
        fs::create_dir_all(path.parent().expect("golden dir")).expect("create tests/golden");
        fs::write(&path, actual).expect("write golden file");
        eprintln!("updated {}", path.display());
        return;
    }
    let expected = fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "golden file {} unreadable ({e}); record it with UPDATE_GOLDEN=1",
            path.display()
        )
    });
    assert_eq!(
        expected,
        actual,
        "output differs from {} (re-record with UPDATE_GOLDEN=1 if the change is intended)",
        path.display()
    );
}
