//! `neurochip export`: a chip image (configuration, task and plan, initial memories,
//! CRC) for the firmware, written atomically.

use std::fs;
use std::io::Write;
use std::path::Path;

use neurochip_core::image;
use neurochip_tasks::app::{AppSpec, PlanSpec, TaskSpec};

use crate::build::{self, BuildError};
use crate::config::{Config, EngineKind};
use crate::task::Task;

/// The application block of a configuration (tasks the firmware can generate).
pub fn app_spec(cfg: &Config) -> Result<AppSpec, BuildError> {
    let task = match build::task(cfg)? {
        Task::Poisson { gen, steps } => TaskSpec::Poisson { gen, steps },
        Task::Cue(c) => TaskSpec::Cue(c),
        _ => {
            return Err(BuildError {
                file: cfg.origin.clone(),
                field: "task.kind".into(),
                message: format!(
                    "{:?} cannot be exported yet; the firmware generates poisson and cue inputs",
                    cfg.task.kind
                ),
            })
        }
    };
    Ok(AppSpec {
        task,
        plan: PlanSpec {
            samples: cfg.task.samples,
            epochs: cfg.train.epochs,
            train_per_epoch: cfg.train.train_samples,
            test_samples: cfg.train.test_samples,
            batch: cfg.learning.batch,
            learn: cfg.learning.engine != EngineKind::Off,
        },
    })
}

/// Encode the image of `cfg`.
pub fn image_bytes(cfg: &Config) -> Result<Vec<u8>, BuildError> {
    let (_, chip) = build::chip(cfg)?;
    let app = app_spec(cfg)?;
    let err = |e: image::ImageError| BuildError {
        file: cfg.origin.clone(),
        field: "image".into(),
        message: e.to_string(),
    };
    let mut app_buf = vec![0u8; 256];
    let n = app.encode(&mut app_buf).map_err(err)?;
    app_buf.truncate(n);
    let (w16, w32, wu) = chip.arenas();
    let size = image::HEADER + 256 + n + 12 + 2 * w16.len() + 4 * (w32.len() + wu.len()) + 4;
    let mut out = vec![0u8; size];
    let len = image::encode(&mut out, chip.config(), &app_buf, w16, w32, wu).map_err(err)?;
    out.truncate(len);
    Ok(out)
}

/// Write `bytes` to `path` atomically: a temporary file beside it, fsync, rename. A
/// failure leaves any previous file untouched.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp{}", std::process::id()));
    let res = (|| {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
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
