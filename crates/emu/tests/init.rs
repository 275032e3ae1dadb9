//! `neurochip init`: every starter configuration passes `check` (and builds its chip
//! and task), and an existing file is never replaced without --force.

use std::path::PathBuf;

use neurochip_emu::{build, config, init};

fn repo_root() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    root.canonicalize().unwrap()
}

/// A fresh folder `neurochip-NAME-XXXXXX` under the temporary directory for a test's
/// files, removed when the guard is dropped.
fn temp_dir(name: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("neurochip-{name}-"))
        .tempdir()
        .unwrap()
}

#[test]
fn every_starter_config_passes_check() {
    // The digits starter names its data relative to the repository root.
    std::env::set_current_dir(repo_root()).unwrap();
    let tmp = temp_dir("init");
    let dir = tmp.path();
    for (task, file, _) in init::TEMPLATES {
        let path = dir.join(file);
        let written = init::init(task, Some(&path), false).unwrap();
        assert_eq!(written.path, path);
        assert_eq!(written.note, None, "{task}: the data is found");
        let cfg = config::load(&path).unwrap_or_else(|e| panic!("{task}: {e}"));
        build::chip(&cfg).unwrap_or_else(|e| panic!("{task}: {e}"));
        build::task(&cfg).unwrap_or_else(|e| panic!("{task}: {e}"));
        assert!(cfg.learning.engine != config::Engine::Off, "{task} learns");

        // A second init keeps the file unless forced.
        std::fs::write(&path, "# mine\n").unwrap();
        let err = init::init(task, Some(&path), false).unwrap_err();
        assert!(
            err.contains("already exists") && err.contains("--force"),
            "{err}"
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "# mine\n");
        init::init(task, Some(&path), true).unwrap();
        assert_ne!(std::fs::read_to_string(&path).unwrap(), "# mine\n");
    }
    let err = init::init("sudoku", Some(&dir.join("x.toml")), false).unwrap_err();
    assert!(
        err.contains("allowed: cue, digits, pattern, store-recall"),
        "{err}"
    );
}

#[test]
fn the_digits_starter_loads_from_any_folder() {
    // Written and loaded outside the repository: the data path still resolves.
    let dir = temp_dir("init-away");
    let path = dir.path().join("digits.toml");
    let w = init::init("digits", Some(&path), false).unwrap();
    assert_eq!(w.note, None);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains("data = \"data/"), "an absolute path: {text}");
    let cfg = config::load(&path).unwrap_or_else(|e| panic!("{e}"));
    build::task(&cfg).unwrap_or_else(|e| panic!("{e}"));
}
