//! The confusion matrix of a trained keyword spotter on its test clips.
//!
//! ```sh
//! neurochip run examples/kws.toml --save kws.snap
//! cargo run --release -p neurochip-lab --example kws_confusion -- examples/kws.toml kws.snap docs/results/kws
//! ```
//!
//! Arguments: the configuration, the snapshot `neurochip run --save` wrote of its
//! trained chip, and a folder for the figure (`confusion.png` and `.svg`). Every test
//! clip of the configuration's task (`task.test_clips`) runs through the run loop with
//! learning off, as `neurochip run` tests; the prediction is the readout with the
//! largest sum over the target window. Prints the accuracy (the run's test accuracy
//! when `train.test_samples` covers the test split), each class's recall and the
//! matrix as a markdown table.

use std::path::{Path, PathBuf};

use bitvec::prelude::*;
use neurochip_emu::task::{Pick, Task};
use neurochip_emu::{build, config, snapshot};
use neurochip_lab::plot::confusion;
use neurochip_tasks::model::OnChip;
use neurochip_tasks::runner::{argmax, run_scored, Learn};
use neurochip_tasks::sample::Sample;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(cfg), Some(snap)) = (args.first(), args.get(1)) else {
        return Err("usage: kws_confusion CONFIG SNAPSHOT [FIGURE_FOLDER]".into());
    };
    let out = args.get(2).map(PathBuf::from);
    let cfg = config::load(Path::new(cfg))?;
    let (_, mut chip) = build::chip(&cfg)?;
    snapshot::load_file(Path::new(snap), &mut chip)?;
    let task = build::task(&cfg)?;
    let Task::Audio { corpus, .. } = &task else {
        return Err(format!("{}: not a keyword-spotting configuration", cfg.origin).into());
    };
    let classes = corpus.classes.clone();
    let k = classes.len();
    let n = corpus.test.len();
    let mut counts = vec![vec![0u32; k]; k];
    let mut x = bitvec![u32, Lsb0; 0; task.n_inputs()];
    let mut sums = vec![0i64; chip.config().n_out()];
    {
        let (c, mut mem) = chip.parts();
        let mut m = OnChip::new(c, &mut mem, &mut []);
        for i in 0..n {
            let s = task.sample(Pick::Test(i as u32));
            run_scored(
                &mut m,
                &s,
                Learn::Off,
                &mut x,
                &mut [],
                &mut sums,
                |_, _, _, _| {},
            )?;
            let (Some(label), Some(pred)) = (s.label(), argmax(&sums)) else {
                continue;
            };
            if let Some(cell) = counts.get_mut(label).and_then(|r| r.get_mut(pred)) {
                *cell += 1;
            }
        }
    }
    let correct: u32 = (0..k).map(|c| counts[c][c]).sum();
    println!(
        "{}: {correct}/{n} test clips correct ({:.1}%)",
        cfg.name,
        100.0 * f64::from(correct) / n.max(1) as f64
    );
    println!("\n| true \\ predicted | {} | recall |", classes.join(" | "));
    println!("|---|{}---|", "---|".repeat(k));
    for (c, row) in counts.iter().enumerate() {
        let total: u32 = row.iter().sum();
        let cells: Vec<String> = row.iter().map(u32::to_string).collect();
        println!(
            "| {} | {} | {:.0}% |",
            classes[c],
            cells.join(" | "),
            100.0 * f64::from(row[c]) / f64::from(total.max(1))
        );
    }
    if let Some(dir) = out {
        std::fs::create_dir_all(&dir)?;
        let title = format!(
            "{}: {} test clips, {:.1}% correct",
            cfg.name,
            n,
            100.0 * f64::from(correct) / n.max(1) as f64
        );
        confusion(&dir.join("confusion"), &title, &classes, &counts)?;
        println!("\nwrote {}/confusion.png and .svg", dir.display());
    }
    Ok(())
}
