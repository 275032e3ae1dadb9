//! Training that keeps its work: `neurochip run --save FILE` with
//! `--checkpoint-every N` and interrupts.
//!
//! The snapshot a run leaves always holds the chip at an **epoch boundary** (after the
//! epoch's test samples), with the number of epochs done, so `--resume` continues it
//! to the bits of the uninterrupted run:
//!
//! - a run that ends saves its final state, as before;
//! - with `checkpoint_every = N`, the state is also written (atomically) each time the
//!   number of epochs done in all is a multiple of N;
//! - a run stopped by a signal ([`crate::stop`]) stops after the sample under way, and
//!   saves the state of the **last finished epoch** (or, before the first one, the
//!   state it started from): the samples of the unfinished epoch are lost, the
//!   finished epochs are kept, and resuming with the remaining epochs gives the digest
//!   of the uninterrupted run. To do that, the run keeps the snapshot bytes of the
//!   last boundary in memory (one copy of the chip state) while it trains.

use std::num::NonZeroU32;
use std::path::Path;
use std::time::Instant;

use crate::build::{self, BuildError};
use crate::config::Config;
use crate::learn::{self, TrainReport};
use crate::stop::Signal;
use crate::task::{AnySample, Pick};
use crate::train::{ChipModel, Epoch, Learn, Scorer, Trainable};
use crate::{snapshot, HostChip};
use neurochip_core::semantic;
use neurochip_tasks::SpikeSource;

/// How a chip training run starts, what it keeps, and when it stops.
#[derive(Clone, Copy, Default)]
pub struct Options<'a> {
    /// Start from this snapshot and continue its epochs (`--resume`).
    pub resume: Option<&'a Path>,
    /// Save the chip state here at the end, or at the last epoch boundary when
    /// stopped (`--save`).
    pub save: Option<&'a Path>,
    /// Also save every this many epochs (counted in all, a resumed run's included);
    /// needs `save`.
    pub checkpoint_every: Option<NonZeroU32>,
    /// Asked before every sample: a signal stops the run there
    /// ([`crate::stop::requested`]). `None`: the run never stops early.
    pub stop: Option<&'a dyn Fn() -> Option<Signal>>,
    /// Epochs the chip has done already ([`train_built`] on a chip trained before):
    /// the sample order continues from there, as after `resume`, whose snapshot's
    /// own count replaces this.
    pub start_epoch: u32,
}

/// The chip model, keeping the snapshot of the last epoch boundary.
struct Keeper<'a> {
    model: ChipModel,
    save: Option<&'a Path>,
    every: Option<NonZeroU32>,
    /// Snapshot bytes at the last epoch boundary (kept only with `save`).
    last: Option<Vec<u8>>,
    /// The first checkpoint that could not be written.
    failed: Option<BuildError>,
}

impl Trainable for Keeper<'_> {
    fn sample(&mut self, sample: &AnySample<'_>, learn: Learn, acc: &mut Scorer) {
        self.model.sample(sample, learn, acc);
    }

    fn set_rate_step(&mut self, k: u8) {
        self.model.set_rate_step(k);
    }

    fn end_epoch(&mut self, epochs_done: u32) {
        let Some(path) = self.save else {
            return;
        };
        let bytes = snapshot::encode(&mut self.model.chip, epochs_done);
        let due = self
            .every
            .is_some_and(|n| epochs_done.is_multiple_of(n.get()));
        if due && self.failed.is_none() {
            if let Err(err) = snapshot::write_atomic(path, &bytes) {
                self.failed = Some(checkpoint_error(path, epochs_done, &err));
            }
        }
        self.last = Some(bytes);
    }
}

fn checkpoint_error(path: &Path, epochs: u32, err: &std::io::Error) -> BuildError {
    BuildError {
        file: path.display().to_string(),
        field: "--checkpoint-every".into(),
        message: format!("cannot write the snapshot after epoch {epochs}: {err}"),
    }
}

/// Train the chip of `cfg` on its task as `opts` says; `on_epoch` sees each finished
/// epoch. A stopped run returns `Ok` with a report marked `interrupted` (its finished
/// epochs, and `epochs_done` = what the saved snapshot holds). A checkpoint that
/// could not be written fails the run at its end (after the final save).
pub fn train_chip(
    cfg: &Config,
    quiet: bool,
    opts: &Options<'_>,
    on_epoch: impl FnMut(&Epoch),
) -> Result<(TrainReport, HostChip), BuildError> {
    check_options(cfg, opts)?;
    let (_, chip) = build::chip(cfg)?;
    train_built(cfg, chip, quiet, opts, on_epoch)
}

/// `checkpoint_every` needs `save`.
fn check_options(cfg: &Config, opts: &Options<'_>) -> Result<(), BuildError> {
    if opts.checkpoint_every.is_some() && opts.save.is_none() {
        return Err(BuildError {
            file: cfg.origin.clone(),
            field: "--checkpoint-every".into(),
            message: "needs --save FILE, where the checkpoints are written".into(),
        });
    }
    Ok(())
}

/// [`train_chip`] on `chip`, a chip of `cfg` as it is now (built from `cfg`, perhaps
/// with weights written since, [`crate::weights`]): the plan of `cfg` from its
/// current state, as `opts` says. The trained chip comes back with the report.
pub fn train_built(
    cfg: &Config,
    mut chip: HostChip,
    quiet: bool,
    opts: &Options<'_>,
    on_epoch: impl FnMut(&Epoch),
) -> Result<(TrainReport, HostChip), BuildError> {
    check_options(cfg, opts)?;
    let task = build::task(cfg)?;
    let mut plan = learn::plan(cfg);
    plan.start_epoch = opts.start_epoch;
    learn::check_save(opts.save)?;
    if let Some(p) = opts.resume {
        plan.start_epoch =
            snapshot::load_file(p, &mut chip).map_err(|e| learn::snap_err("--resume", p, e))?;
        // The plan's steps must not wrap the restored step counter.
        let steps = u64::from(task.sample(Pick::Run(0)).steps());
        let samples = u64::from(plan.epochs.max(1))
            .saturating_mul((plan.train_per_epoch as u64).saturating_add(plan.test_samples as u64));
        semantic::check_room(
            "snapshot ",
            "steps",
            chip.chip().steps(),
            samples.saturating_mul(steps),
        )
        .map_err(|e| BuildError {
            file: p.display().to_string(),
            field: "--resume".into(),
            message: e.to_string(),
        })?;
    }
    let mut keeper = Keeper {
        model: ChipModel::new(chip, task.n_inputs()),
        save: opts.save,
        every: opts.checkpoint_every,
        last: None,
        failed: None,
    };
    if opts.save.is_some() {
        // Stopped before the first epoch ends: the state it started from.
        keeper.last = Some(snapshot::encode(&mut keeper.model.chip, plan.start_epoch));
    }
    let never = || None;
    let stop = opts.stop.unwrap_or(&never);
    let t0 = Instant::now();
    let trained =
        learn::train_model_until(&mut keeper, &task, &plan, quiet, "chip", stop, on_epoch);
    let secs = t0.elapsed().as_secs_f64();
    let Keeper {
        mut model,
        last,
        failed,
        ..
    } = keeper;
    let stopped = trained.stopped;
    let done = match stopped {
        None => plan.start_epoch.saturating_add(plan.epochs),
        Some(_) => plan
            .start_epoch
            .saturating_add(u32::try_from(trained.epochs.len()).unwrap_or(u32::MAX)),
    };
    let rep = learn::report(cfg, trained, &mut model, &task, &plan, secs, done);
    let mut chip = model.chip;
    match (stopped, opts.save, last) {
        (None, save, _) => learn::save_snapshot(save, &mut chip, done)?,
        (Some(_), Some(p), Some(bytes)) => snapshot::write_atomic(p, &bytes).map_err(|err| {
            learn::snap_err(
                "--save",
                p,
                snapshot::SnapshotError::Io {
                    path: p.to_path_buf(),
                    what: "cannot write the snapshot",
                    err,
                },
            )
        })?,
        (Some(_), _, _) => {}
    }
    match failed {
        Some(e) => Err(e),
        None => Ok((rep, chip)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(epochs: u32) -> Config {
        crate::config::parse(
            &format!(
                "[network]\ninputs = 40\nneurons = 12\noutputs = 2\n\
                 [task]\nkind = \"cue\"\nn_cues = 1\ndelay_ms = 50\n\
                 [learning]\nengine = \"exact\"\neta = 1e-3\n\
                 [train]\nepochs = {epochs}\ntrain_samples = 3\ntest_samples = 2\n"
            ),
            "split.toml",
        )
        .unwrap()
    }

    /// A chip trained for one epoch and trained on from there (`start_epoch`) ends
    /// where the chip trained for both epochs in one run ends.
    #[test]
    fn training_a_built_chip_on_continues_its_epochs() {
        let quiet = |_: &Epoch| {};
        let (whole, _) = train_chip(&cfg(2), true, &Options::default(), quiet).unwrap();
        let (first, chip) = train_chip(&cfg(1), true, &Options::default(), quiet).unwrap();
        assert_eq!(first.epochs_done, 1);
        let opts = Options {
            start_epoch: 1,
            ..Default::default()
        };
        let (rest, _) = train_built(&cfg(1), chip, true, &opts, quiet).unwrap();
        assert_eq!(rest.epochs_done, 2);
        assert_eq!(rest.digest, whole.digest);
        // From epoch 0 again, the second run repeats the first epoch's samples.
        let (_, chip) = train_chip(&cfg(1), true, &Options::default(), quiet).unwrap();
        let (again, _) = train_built(&cfg(1), chip, true, &Options::default(), quiet).unwrap();
        assert_ne!(again.digest, whole.digest);
    }
}
