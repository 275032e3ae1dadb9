//! The confusion matrix of a trained chip on a classification task's test samples:
//! each sample counted by its label and the class the chip predicts (the readout with
//! the largest sum over the target window, the run loop's `Outcome::predicted`). A
//! training run keeps its final test's ([`Confusion::from_pairs`] of
//! `train::Trained::classified`: the run folder's `confusion` plot and
//! `report.json`); [`confusion`] runs the test samples again, for a chip loaded from
//! a snapshot.

use bitvec::prelude::*;
use serde::{Deserialize, Serialize};

use crate::task::{Pick, Task};
use crate::HostChip;
use neurochip_tasks::model::OnChip;
use neurochip_tasks::runner::{run_scored, Learn};
use neurochip_tasks::sample::Sample;

/// Test samples counted by true class (rows) and predicted class (columns).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Confusion {
    /// The class names, in label order.
    pub classes: Vec<String>,
    /// `counts[true][predicted]`.
    pub counts: Vec<Vec<u32>>,
}

impl Confusion {
    /// The matrix of `classes` from each scored sample's (label, predicted class);
    /// a pair outside the classes is not counted.
    pub fn from_pairs(classes: Vec<String>, pairs: &[(usize, usize)]) -> Self {
        let k = classes.len();
        let mut counts = vec![vec![0u32; k]; k];
        for &(label, pred) in pairs {
            if let Some(cell) = counts.get_mut(label).and_then(|r| r.get_mut(pred)) {
                *cell += 1;
            }
        }
        Self { classes, counts }
    }

    /// Samples counted.
    pub fn total(&self) -> u32 {
        self.counts.iter().flatten().sum()
    }

    /// Samples on the diagonal.
    pub fn correct(&self) -> u32 {
        self.counts
            .iter()
            .enumerate()
            .filter_map(|(c, row)| row.get(c))
            .sum()
    }

    /// The fraction of samples on the diagonal (0 without samples): the test accuracy
    /// of the samples counted.
    pub fn accuracy(&self) -> f64 {
        f64::from(self.correct()) / f64::from(self.total().max(1))
    }

    /// The fraction of each class's samples predicted as that class (0 for a class
    /// without samples).
    pub fn recall(&self) -> Vec<f64> {
        self.counts
            .iter()
            .enumerate()
            .map(|(c, row)| {
                let n: u32 = row.iter().sum();
                f64::from(row.get(c).copied().unwrap_or(0)) / f64::from(n.max(1))
            })
            .collect()
    }

    /// The matrix as a markdown table, with each class's recall.
    pub fn markdown(&self) -> String {
        let mut s = format!(
            "| true \\ predicted | {} | recall |\n",
            self.classes.join(" | ")
        );
        s += &format!("|---|{}---|\n", "---|".repeat(self.classes.len()));
        for ((name, row), r) in self.classes.iter().zip(&self.counts).zip(self.recall()) {
            let cells: Vec<String> = row.iter().map(u32::to_string).collect();
            s += &format!("| {name} | {} | {:.0}% |\n", cells.join(" | "), 100.0 * r);
        }
        s
    }
}

/// The confusion matrix of `chip` (run on a copy: the chip is not changed) on the
/// first `n` test samples of `task` (at most its test split); `None` for a task
/// without classes.
pub fn confusion(chip: &HostChip, task: &Task, n: usize) -> Option<Confusion> {
    confusion_on(&mut chip.clone(), task, n)
}

/// [`confusion`] on `chip` itself: its state (and digest) is the chip's after the
/// samples, as an inference run leaves it.
pub fn confusion_on(chip: &mut HostChip, task: &Task, n: usize) -> Option<Confusion> {
    let classes = task.class_names()?;
    let n = task.test_size().map_or(n, |m| n.min(m));
    let mut pairs = Vec::with_capacity(n);
    let mut x = bitvec![u32, Lsb0; 0; task.n_inputs()];
    let mut sums = vec![0i64; chip.config().n_out()];
    let (c, mut mem) = chip.parts();
    let mut m = OnChip::new(c, &mut mem, &mut []);
    for i in 0..n {
        let s = task.sample(Pick::Test(i as u32));
        // A step the chip refuses ends the count there; the counts so far stand.
        let Ok(o) = run_scored(
            &mut m,
            &s,
            Learn::Off,
            &mut x,
            &mut [],
            &mut sums,
            |_, _, _, _| {},
        ) else {
            break;
        };
        if let (Some(label), Some(pred)) = (s.label(), o.predicted) {
            pairs.push((label, pred));
        }
    }
    Some(Confusion::from_pairs(classes, &pairs))
}
