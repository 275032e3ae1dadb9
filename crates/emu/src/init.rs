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

/// Write the starter of `task` to `out` (default: `<task>.toml` here). An existing
/// file is kept unless `force`. Returns the path written.
pub fn init(task: &str, out: Option<&Path>, force: bool) -> Result<PathBuf, String> {
    let (file, text) = template(task)?;
    let path = out.map_or_else(|| PathBuf::from(file), Path::to_path_buf);
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
    Ok(path)
}
