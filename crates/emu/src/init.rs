//! `neurochip init --task TASK`: a commented starter configuration.

use std::path::{Path, PathBuf};

/// The tasks `init` writes a starter for: (name on the command line, file name,
/// template).
pub const TEMPLATES: &[(&str, &str, &str)] = &[
    ("cue", "cue.toml", include_str!("../templates/cue.toml")),
    (
        "digits",
        "digits.toml",
        include_str!("../templates/digits.toml"),
    ),
    (
        "pattern",
        "pattern.toml",
        include_str!("../templates/pattern.toml"),
    ),
    (
        "store-recall",
        "store_recall.toml",
        include_str!("../templates/store_recall.toml"),
    ),
];

/// The template of `task`, or an error listing the tasks there are.
pub fn template(task: &str) -> Result<(&'static str, &'static str), String> {
    TEMPLATES
        .iter()
        .find(|(name, _, _)| *name == task)
        .map(|&(_, file, text)| (file, text))
        .ok_or_else(|| {
            let names: Vec<&str> = TEMPLATES.iter().map(|t| t.0).collect();
            format!(
                "--task: `{task}` is not a task; allowed: {}",
                names.join(", ")
            )
        })
}

/// The data file the digits starter names, relative to the repository.
const DIGITS_DATA: &str = "data/uci-digits/digits.csv.gz";

/// Where the starter's data file is, as the starter at `path` should name it: the
/// relative path when it resolves from the starter's folder; else the absolute path
/// of the copy in the current folder or in the source tree neurochip was built from;
/// else `None`.
fn digits_data(path: &Path) -> Option<String> {
    let rel = Path::new(DIGITS_DATA);
    let folder = path.parent().filter(|p| !p.as_os_str().is_empty());
    if folder.unwrap_or(Path::new(".")).join(rel).is_file() {
        return Some(DIGITS_DATA.into());
    }
    let built = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(rel);
    [Path::new(".").join(rel), built]
        .iter()
        .find(|p| p.is_file())
        .and_then(|p| p.canonicalize().ok())
        .map(|p| p.display().to_string())
}

/// What [`init`] wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Written {
    /// The starter's path.
    pub path: PathBuf,
    /// Something the user must still do (the digits data was not found).
    pub note: Option<String>,
}

/// Write the starter of `task` to `out` (default: `<task>.toml` here). An existing
/// file is kept unless `force`. The digits starter names its data file so that it
/// loads from any folder (relative to the starter when the data is beside it, else by
/// its absolute path); when no copy is found the starter keeps the repository's
/// relative path and the note says to set `task.data`.
pub fn init(task: &str, out: Option<&Path>, force: bool) -> Result<Written, String> {
    let (file, text) = template(task)?;
    let path = out.map_or_else(|| PathBuf::from(file), Path::to_path_buf);
    let mut note = None;
    let mut text = text.to_string();
    let named = format!("data = \"{DIGITS_DATA}\"");
    if text.contains(&named) {
        match digits_data(&path) {
            Some(p) => text = text.replace(&named, &format!("data = {p:?}")),
            None => {
                note = Some(format!(
                    "{}: task.data: {DIGITS_DATA} was not found; set it to your copy of the UCI digits (digits.csv.gz)",
                    path.display()
                ))
            }
        }
    }
    if !force && std::fs::symlink_metadata(&path).is_ok() {
        return Err(format!(
            "{}: already exists; give another path with -o, or --force to replace it",
            path.display()
        ));
    }
    let out = crate::outputs::Output {
        flag: "-o",
        what: "configuration",
        path: &path,
    };
    crate::outputs::check(&[out], &[]).map_err(|e| e.to_string())?;
    crate::export::write_atomic(&path, text.as_bytes())
        .map_err(|e| format!("{}: cannot write: {e}", path.display()))?;
    Ok(Written { path, note })
}
