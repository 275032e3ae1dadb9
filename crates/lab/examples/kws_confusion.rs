//! The confusion matrix of a trained chip on its test samples, from a snapshot.
//!
//! ```sh
//! neurochip run examples/kws.toml --save kws.snap
//! cargo run --release -p neurochip-lab --example kws_confusion -- examples/kws.toml kws.snap docs/results/kws
//! ```
//!
//! Arguments: the configuration, the snapshot `neurochip run --save` wrote of its
//! trained chip, and a folder for the figure (`confusion.png` and `.svg`). Every test
//! sample of the plan (`train.test_samples`, at most the test split) runs through the
//! run loop with learning off, as `neurochip run` tests
//! ([`neurochip_emu::confusion`]; a run folder draws the same figure). Prints the
//! accuracy, and the matrix with each class's recall as a markdown table.

use std::path::{Path, PathBuf};

use neurochip_emu::confusion::confusion;
use neurochip_emu::{build, config, snapshot};

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
    let Some(c) = confusion(&chip, &task, cfg.train.test_samples as usize) else {
        return Err(format!("{}: not a classification task", cfg.origin).into());
    };
    let pct = 100.0 * c.accuracy();
    println!(
        "{}: {}/{} test samples correct ({pct:.1}%)\n",
        cfg.name,
        c.correct(),
        c.total()
    );
    print!("{}", c.markdown());
    if let Some(dir) = out {
        std::fs::create_dir_all(&dir)?;
        let title = format!(
            "{}: {} test samples, {pct:.1}% correct",
            cfg.name,
            c.total()
        );
        neurochip_lab::plot::confusion(&dir.join("confusion"), &title, &c.classes, &c.counts)?;
        println!("\nwrote {}/confusion.png and .svg", dir.display());
    }
    Ok(())
}
