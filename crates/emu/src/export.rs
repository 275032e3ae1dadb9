//! `neurochip export`: a chip image (configuration, task and plan, initial memories,
//! CRC) for the firmware, written atomically.

use crate::HostChip;
use neurochip_core::image;
use neurochip_tasks::app::{AppSpec, PlanSpec, TaskSpec, DIGIT_BYTES};
use neurochip_tasks::kws::{AudioSpec, Form};
use neurochip_tasks::runner;

use crate::build::{self, BuildError};
use crate::config::{Config, Engine, TaskKind};
use crate::task::Task;

/// Digits compiled into an image: the digits `set` names (indices into the data set),
/// 65 bytes each.
fn digits_of(task: &Task, set: &[usize]) -> Vec<u8> {
    let mut data = Vec::with_capacity(set.len() * DIGIT_BYTES);
    if let Task::Digits { data: d, .. } = task {
        for &k in set {
            if let Some((img, label)) = d.get(k) {
                data.extend_from_slice(img);
                data.push(label);
            }
        }
    }
    data
}

/// The clips an audio image carries.
struct AudioClips {
    form: Form,
    train: u32,
    test: u32,
    data: Vec<u8>,
}

/// The clips of an audio image and its plan: a trained chip's image (`inference`)
/// carries at most `task.image_clips` test clips and tests on them; an image of an
/// untrained chip that learns carries the training clips in the order the host
/// trains on them (clip `e * per_epoch + i` is the host's training sample `i` of
/// epoch `e`) and its test clips, and one that does not learn its inference clips
/// (test clips): at most `task.image_clips` in all, else refused.
fn audio_clips(
    cfg: &Config,
    corpus: &crate::kws::Corpus,
    learn: bool,
    inference: bool,
    mut plan: PlanSpec,
) -> Result<(PlanSpec, AudioClips), BuildError> {
    let a = cfg.task.audio.as_ref().ok_or_else(|| BuildError {
        file: cfg.origin.clone(),
        field: "task.kind".into(),
        message: "\"audio\" without its keys".into(),
    })?;
    let cap = a.image_clips as usize;
    let refuse = |field: &str, what: String| BuildError {
        file: cfg.origin.clone(),
        field: field.into(),
        message: format!(
            "{what}; an image carries at most task.image_clips = {cap} clips; allowed: a plan \
             of at most that many clips, or a chip trained on the host (`neurochip run CONFIG \
             --export FILE` writes it with its first test clips)"
        ),
    };
    let mut train = Vec::new();
    let n_test;
    if inference {
        n_test = (plan.test_samples as usize).min(corpus.test.len()).min(cap);
        plan.test_samples = n_test as u32;
        if n_test == 0 {
            plan.samples = 0;
        }
    } else if learn {
        let per = plan.train_per_epoch as usize;
        let need = (plan.epochs as usize).saturating_mul(per);
        let tests = plan.test_samples as usize;
        if need.saturating_add(tests) > cap || tests > corpus.test.len() {
            return Err(refuse(
                "train.train_samples",
                format!(
                    "the plan trains on {need} clips (train.epochs * train.train_samples) and \
                     tests on {tests}"
                ),
            ));
        }
        for e in 0..plan.epochs {
            for i in 0..per {
                train.push(crate::task::permuted(e, i, corpus.train.len()));
            }
        }
        n_test = tests;
    } else {
        n_test = plan.samples as usize;
        if n_test > cap {
            return Err(refuse(
                "task.samples",
                format!("the plan runs {n_test} inference clips"),
            ));
        }
    }
    let form = match a.image_input {
        crate::config::ImageInput::Pcm => Form::Pcm,
        crate::config::ImageInput::Spikes => Form::Spikes,
    };
    let read_err = |e: crate::wav::WavError| BuildError {
        file: cfg.origin.clone(),
        field: "task.folder".into(),
        message: e.to_string(),
    };
    let mut data = Vec::new();
    let mut put = |enc: &crate::kws::Encoded, pcm: Option<Vec<i16>>| {
        data.push(enc.label);
        match pcm {
            Some(p) => data.extend(p.iter().flat_map(|x| x.to_le_bytes())),
            None => data.extend(crate::kws::packed(&enc.spikes)),
        }
    };
    for &k in &train {
        let pcm = match form {
            Form::Pcm => Some(corpus.train_pcm(k).map_err(read_err)?),
            Form::Spikes => None,
        };
        put(&corpus.train[k], pcm);
    }
    for k in 0..n_test {
        let pcm = match form {
            Form::Pcm => Some(corpus.test_pcm(k).map_err(read_err)?),
            Form::Spikes => None,
        };
        put(&corpus.test[k], pcm);
    }
    let clips = AudioClips {
        form,
        train: train.len() as u32,
        test: n_test as u32,
        data,
    };
    Ok((plan, clips))
}

/// Whether an image can carry the plan of `cfg`: the firmware generates Poisson and cue
/// inputs, runs reward learning, and runs digits compiled into the image (inference:
/// `task.samples` training digits when the configuration does not learn, or, for a
/// chip trained on the host, `trained`, its test digits). Checked before any work, by
/// `neurochip export` and by `neurochip run --export`.
pub fn check_exportable(cfg: &Config, trained: bool) -> Result<(), BuildError> {
    match no_image(cfg, trained) {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// Why no image of `cfg` (`trained`: of a chip trained on the host) can be written,
/// naming `task.kind`; `None` when one can.
fn no_image(cfg: &Config, trained: bool) -> Option<BuildError> {
    let message = match cfg.task.kind {
        TaskKind::Poisson | TaskKind::Cue | TaskKind::Navigation | TaskKind::Audio => return None,
        TaskKind::Digits if trained || cfg.learning.engine == Engine::Off => return None,
        TaskKind::Digits => "\"digits\" with learning on cannot be exported: an image does \
             not carry the training set; train on the host with `neurochip run CONFIG \
             --export FILE`, which writes the trained chip with its test digits compiled in"
            .to_string(),
        TaskKind::Events | TaskKind::Features => format!(
            "\"{}\" (a user's data set) has no image form: an image carries poisson and \
             cue tasks (generated on the chip) and the UCI digits (compiled in); run it on \
             the host (`neurochip run`, `neurochip weights` for the trained weights)",
            if cfg.task.kind == TaskKind::Events {
                "events"
            } else {
                "features"
            }
        ),
        TaskKind::Pattern | TaskKind::StoreRecall => format!(
            "\"{}\" has no image form: an image carries poisson and cue tasks (generated \
             on the chip) and digits (compiled in), so no image of this configuration can \
             be written, trained or not",
            if cfg.task.kind == TaskKind::Pattern {
                "pattern"
            } else {
                "store_recall"
            }
        ),
    };
    Some(BuildError {
        file: cfg.origin.clone(),
        field: "task.kind".into(),
        message,
    })
}

/// Encode an image of `chip` (initial, or trained) for the task of `cfg`. With
/// `inference`, the plan only tests (learning off) on `cfg.train.test_samples`
/// samples; otherwise it is the configuration's own plan, the one `neurochip run`
/// follows. What an image cannot carry is refused ([`check_exportable`]).
pub fn encode_chip(cfg: &Config, chip: &HostChip, inference: bool) -> Result<Vec<u8>, BuildError> {
    check_exportable(cfg, inference)?;
    let task = build::task(cfg)?;
    let learn = cfg.learning.engine != Engine::Off && !inference;
    let tests = cfg.train.test_samples;
    let mut plan = PlanSpec {
        samples: crate::sim::inference_samples(cfg, &task),
        epochs: cfg.train.epochs,
        train_per_epoch: cfg.train.train_samples,
        test_samples: if learn || inference { tests } else { 0 },
        batch: cfg.learning.batch,
        learn,
        halve_every: if learn {
            cfg.train.halve_rates_every
        } else {
            0
        },
    };
    let subset;
    let spec = match &task {
        Task::Cue(_) | Task::Navigation(_) if cfg.reward.is_some() => {
            // Reward learning: learning episodes, then greedy ones (an inference
            // image runs only the greedy ones).
            let app = crate::reward::app(cfg, !inference)?;
            plan = app.plan;
            app.task
        }
        Task::Poisson { gen, steps } => TaskSpec::Poisson {
            gen: *gen,
            steps: *steps,
        },
        Task::Cue(c) => TaskSpec::Cue(*c),
        Task::Digits {
            enc,
            window,
            train,
            test,
            ..
        } if !learn => {
            if inference {
                // The trained chip's test: test digit `i` is compiled digit `i`.
                let n = test.len().min(tests as usize);
                subset = digits_of(&task, &test[..n]);
                plan.test_samples = (subset.len() / DIGIT_BYTES) as u32;
                if plan.test_samples == 0 {
                    // No test digits: the plan runs nothing, rather than inference
                    // samples of digits the image does not carry.
                    plan.samples = 0;
                }
            } else {
                // Inference, as `neurochip run` does it: sample `i` is training digit
                // `i`, compiled digit `i`.
                let n = (plan.samples as usize).min(train.len());
                subset = digits_of(&task, &train[..n]);
                plan.samples = (subset.len() / DIGIT_BYTES) as u32;
            }
            TaskSpec::Digits {
                enc: *enc,
                window: *window,
                data: &subset,
            }
        }
        Task::Audio { corpus, window } => {
            let (a_plan, clips) = audio_clips(cfg, corpus, learn, inference, plan)?;
            plan = a_plan;
            subset = clips.data;
            TaskSpec::Audio(AudioSpec {
                fe: corpus.fe,
                sample_rate: crate::wav::SAMPLE_RATE,
                form: clips.form,
                steps: corpus.steps,
                window: *window,
                classes: corpus.classes.len() as u32,
                train: clips.train,
                test: clips.test,
                data: &subset,
            })
        }
        _ => {
            return Err(no_image(cfg, inference).unwrap_or_else(|| BuildError {
                file: cfg.origin.clone(),
                field: "task.kind".into(),
                message: format!("{:?} cannot be exported", cfg.task.kind),
            }))
        }
    };
    let data_len = match spec {
        TaskSpec::Digits { data, .. } => data.len(),
        // The front end's bands (12 bytes each) and its settings, and the clips.
        TaskSpec::Audio(a) => 64 * 12 + 64 + a.data.len(),
        _ => 0,
    };
    let app = AppSpec { task: spec, plan };
    let err = |e: image::ImageError| BuildError {
        file: cfg.origin.clone(),
        field: "image".into(),
        message: e.to_string(),
    };
    // The task's fields and the plan take under 128 bytes; only compiled digits add
    // to that (at most the data set), whatever the plan's sample counts.
    let mut app_buf = vec![0u8; 128 + data_len];
    let n = app.encode(&mut app_buf).map_err(err)?;
    app_buf.truncate(n);
    let (w16, w32, wu) = chip.arenas();
    let size = image::HEADER + 256 + n + 12 + 2 * w16.len() + 4 * (w32.len() + wu.len()) + 4;
    let mut out = vec![0u8; size];
    let len = image::encode(&mut out, chip.config(), &app_buf, w16, w32, wu).map_err(err)?;
    out.truncate(len);
    // What `run-image` and the firmware would refuse is refused here, before the
    // image is written (and, for `run --export`, before any training).
    HostChip::open_image(&out).map_err(err)?;
    Ok(out)
}

/// Encode the image of `cfg`'s initial chip and plan.
pub fn image_bytes(cfg: &Config) -> Result<Vec<u8>, BuildError> {
    check_exportable(cfg, false)?;
    let (_, chip) = build::chip(cfg)?;
    encode_chip(cfg, &chip, false)
}

/// Run an image on the host exactly as the firmware does (the same run loop), and
/// return the lines the firmware prints.
/// An application image (the constraint solver) runs as its own firmware binary
/// does ([`crate::apps::run`]).
pub fn run_image(bytes: &[u8]) -> Result<Vec<String>, String> {
    if image::kind(bytes) == Some(image::KIND_APP) {
        return crate::apps::run(bytes);
    }
    let (mut chip, app) = HostChip::open_image(bytes).map_err(|e| e.to_string())?;
    let cfg = *chip.config();
    let mut lines = vec![format!(
        "neurochip firmware: {} inputs, {} neurons, {} readouts, learning {:?}",
        cfg.n_in(),
        cfg.n_rec(),
        cfg.n_out(),
        cfg.learning().engine
    )];
    let mut x = bitvec::bitvec![u32, bitvec::order::Lsb0; 0; cfg.n_in()];
    let mut sums = vec![0i64; cfg.n_out()];
    let (c, mut mem) = chip.parts();
    runner::run_app(c, &mut mem, &app, &mut x, &mut sums, |ev| {
        if ev.printed() {
            lines.push(ev.to_string());
        }
    })
    .map_err(|e| e.to_string())?;
    lines.push(format!("digest {:016x}", chip.digest()));
    Ok(lines)
}

pub use crate::snapshot::write_atomic;

/// What [`read_chip_file`] calls the file in its messages.
pub const CHIP_FILE: &str = "chip image or snapshot";

/// Read a chip image or snapshot file (`neurochip inspect`, `neurochip run-image`),
/// at most [`crate::inputs::IMAGE`] bytes. A regular file is checked by its size
/// before it is read, then read whole, so the decoders report a wrong size with the
/// real one. A device or a pipe has no size and may never end (`/dev/zero`): its
/// header is read, then no more than the header announces and one byte, so the
/// decoders refuse it at once.
pub fn read_chip_file(path: &std::path::Path) -> Result<Vec<u8>, crate::inputs::InputError> {
    use crate::inputs::{self, InputError};
    use std::io::Read;
    let limit = inputs::IMAGE;
    let io = |source| InputError::Io {
        path: path.to_path_buf(),
        what: CHIP_FILE.into(),
        source,
    };
    if std::fs::metadata(path).map_err(io)?.is_file() {
        return inputs::read(path, CHIP_FILE, limit);
    }
    let f = std::fs::File::open(path).map_err(io)?;
    let mut bytes = Vec::new();
    (&f).take(16).read_to_end(&mut bytes).map_err(io)?;
    let u32_at = |o: usize| {
        bytes
            .get(o..o + 4)
            .map(|b| u64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]])))
    };
    let total = match bytes.get(..4) {
        Some(b"NCHP") => u32_at(8).map(|body| body + 16),
        Some(b"NCSS") => u32_at(12).map(|payload| payload + 20),
        _ => None,
    }
    .unwrap_or(16)
    .min(limit);
    let more = (total + 1).saturating_sub(bytes.len() as u64);
    (&f).take(more).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > limit {
        return Err(InputError::TooLarge {
            path: path.to_path_buf(),
            what: CHIP_FILE.into(),
            limit,
            size: None,
        });
    }
    Ok(bytes)
}

/// Whether the chip of the image `bytes` (from `file`) fits the firmware profile
/// `board`, as the firmware checks it at boot; an application image has no chip
/// memories to check.
pub fn check_image_board(bytes: &[u8], file: &str, board: &str) -> Result<(), String> {
    let b = crate::build::named_board(board)?;
    if image::kind(bytes) == Some(image::KIND_APP) || bytes.starts_with(b"NCSS") {
        return Ok(());
    }
    let d = image::decode(bytes).map_err(|e| format!("{file}: {e}"))?;
    b.fits(&d.config.layout())
        .map_err(|m| format!("{file}: --board {board}: {m}"))
}

/// The learning circuits of an image as one line.
fn learning_line(l: &neurochip_core::Learning) -> String {
    use neurochip_core::learning::{Apply, Engine};
    let engine = match l.engine {
        Engine::Off => return "off".into(),
        Engine::Exact => "exact e-prop",
        Engine::Light => "light e-prop",
    };
    let apply = match l.apply {
        Apply::Online => "online updates",
        Apply::Sample => "updates applied per sample",
        Apply::Readout => "online updates, readout applied per sample",
    };
    format!(
        "{engine}, {apply}; rate shifts in {}, rec {}, out {}, bias {}; eligibility {}.{}",
        l.shift_in,
        l.shift_rec,
        l.shift_out,
        l.shift_bias,
        l.elig.bits(),
        l.elig.frac()
    )
}

/// What a chip image or a snapshot (`NCSS`) holds, as the lines `neurochip inspect`
/// prints after the file name; an error when it does not check.
pub fn describe(bytes: &[u8]) -> Result<String, String> {
    if bytes.starts_with(b"NCSS") {
        return crate::snapshot::describe(bytes);
    }
    if image::kind(bytes) == Some(image::KIND_APP) {
        return crate::apps::describe(bytes);
    }
    // What `run-image` refuses, refused the same way.
    let (chip, app) = HostChip::open_image(bytes).map_err(|e| e.to_string())?;
    let c = *chip.config();
    // The version the file carries (decode accepted it).
    let version = bytes
        .get(4..6)
        .map_or(0, |v| u16::from_le_bytes([v[0], v[1]]));
    let f = c.formats();
    let q = |x: neurochip_core::Format| format!("{}.{}", x.bits(), x.frac());
    let lines = [
        format!("chip image, format version {version}"),
        format!(
            "  network    {} inputs, {} neurons, {} readouts",
            c.n_in(),
            c.n_rec(),
            c.n_out()
        ),
        format!(
            "  formats    membrane {}, weights {}, traces {}, readout {}",
            q(f.membrane),
            f.weight.bits(),
            q(f.trace),
            q(f.readout)
        ),
        format!(
            "  shifts     input {}, recurrent {}, output {} (weight exponents)",
            c.shifts().input,
            c.shifts().recurrent,
            c.shifts().output
        ),
        format!("  learning   {}", learning_line(c.learning())),
        format!("  seed       {}", c.seed()),
        format!("  task       {}", app.task),
        format!("  plan       {}", app.plan),
    ];
    Ok(lines.join("\n"))
}
