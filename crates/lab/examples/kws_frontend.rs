//! The audio front end on spoken words: the chip against its float twin on clips of a
//! Speech Commands folder, and one word's levels and spikes as figures.
//!
//! ```sh
//! make data-kws
//! cargo run --release -p neurochip-lab --example kws_frontend -- data/kws 50 docs/results/kws
//! ```
//!
//! Arguments: the folder (`data/kws`), how many test clips (50, spread evenly over
//! the test split, so over its classes), a folder for the figures (none when absent
//! or `-`), and a keyword-spotting configuration whose `[audio]` settings to use
//! (default: the front end's defaults), for example
//! `-- data/kws 50 - examples/kws.toml`. Prints the agreement
//! (`neurochip_emu::audio::Agreement`) and the spike rates of the chip's code.

use std::path::{Path, PathBuf};

use neurochip_emu::audio::{agreement, chip_config, encode_clip};
use neurochip_emu::speech::{open, read_clip, Options};
use neurochip_lab::plot::{heatmap, raster, Axes, RasterGroup};
use neurochip_ref::audio::Settings;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = PathBuf::from(args.first().map_or("data/kws", String::as_str));
    let n: usize = args.get(1).map_or(Ok(50), |s| s.parse())?;
    let figs = args.get(2).filter(|a| *a != "-").map(PathBuf::from);
    let corpus = open(&dir, &Options::default())?;
    let test = &corpus.test;
    if test.is_empty() {
        return Err(format!("{}: no test clips", dir.display()).into());
    }
    let picked: Vec<_> = (0..n.min(test.len()))
        .map(|i| &test[i * test.len() / n.min(test.len())])
        .collect();
    let clips = picked
        .iter()
        .map(|c| read_clip(c))
        .collect::<Result<Vec<_>, _>>()?;
    let s = match args.get(3) {
        Some(path) => {
            let cfg = neurochip_emu::config::load(Path::new(path))?;
            let Some(audio) = cfg.task.audio else {
                return Err(format!("{path}: not a keyword-spotting configuration").into());
            };
            audio.front_end.settings()
        }
        None => Settings::default(),
    };
    let t0 = std::time::Instant::now();
    let a = agreement(&s, &clips)?;
    println!(
        "front end: {} bands {:.0}-{:.0} Hz, {} samples a step; {} test clips of {} ({} classes)",
        s.bands,
        s.f_lo,
        s.f_hi,
        s.samples_per_step,
        a.clips,
        dir.display(),
        corpus.classes.len()
    );
    println!(
        "log level |chip - twin|: max {:.4} dB, mean {:.5} dB (above the floor)",
        a.level_err_max_db, a.level_err_mean_db
    );
    println!(
        "envelope |chip - twin| / band peak: max {:.2e}, mean {:.2e}",
        a.env_err_max, a.env_err_mean
    );
    println!(
        "spike counts per clip and channel: correlation {:.4}; spikes chip {} twin {}; \
         same (step, channel) {:.4} of those where either spikes",
        a.count_corr, a.spikes_chip, a.spikes_twin, a.spike_match
    );
    let steps = clips
        .iter()
        .map(|c| c.len() / s.samples_per_step)
        .sum::<usize>();
    println!(
        "chip code: {:.2} spikes a step over {} channels ({:.1} Hz a channel); measured in {:.1} s",
        a.spikes_chip as f64 / steps as f64,
        2 * s.bands,
        a.spikes_chip as f64 / steps as f64 / (2 * s.bands) as f64 * 1000.0,
        t0.elapsed().as_secs_f64()
    );
    if let Some(out) = figs {
        let yes = corpus.classes.iter().position(|c| c == "yes").unwrap_or(2);
        let clip = test.iter().find(|c| c.class == yes).unwrap_or(&test[0]);
        figures(&out, &s, &read_clip(clip)?, &clip.path)?;
    }
    Ok(())
}

/// The levels of every band (a spectrogram of the front end) and the spikes of one clip.
fn figures(
    out: &Path,
    s: &Settings,
    pcm: &[i16],
    path: &Path,
) -> Result<(), Box<dyn std::error::Error>> {
    std::fs::create_dir_all(out)?;
    let cfg = chip_config(s)?;
    let mut fe = neurochip_core::audio::FrontEnd::new(&cfg);
    let n = cfg.samples_per_step();
    let mut bits = bitvec::bitvec![u32, bitvec::order::Lsb0; 0; cfg.n_channels()];
    // Levels in dB above the floor, 4 steps a cell.
    let floor = f64::from(neurochip_core::audio::log2_q16(cfg.settings().floor));
    let db = 20.0 * 2f64.log10() / 65536.0;
    let mut cells = vec![Vec::new(); cfg.n_bands()];
    for (t, step) in pcm.chunks_exact(n).enumerate() {
        fe.push(step, &mut bits)?;
        if t % 4 == 0 {
            for (b, row) in cells.iter_mut().enumerate() {
                row.push((f64::from(fe.level(b)) - floor) * db);
            }
        }
    }
    let name = path
        .file_name()
        .map_or(String::new(), |f| f.to_string_lossy().into_owned());
    let title = format!("front-end levels, \"yes\" ({name}), dB above the floor");
    heatmap(
        &out.join("yes_levels"),
        &Axes {
            title: &title,
            x: "time (ms)",
            y: "band (mel, low to high)",
        },
        &cells,
        0.0,
        4.0,
    )?;
    let train = encode_clip(&cfg, pcm);
    let group = |on: bool| RasterGroup {
        label: (if on { "ON" } else { "OFF" }).into(),
        rows: (0..cfg.n_bands())
            .rev()
            .map(|b| {
                let c = 2 * b + usize::from(!on);
                (0..train.steps())
                    .filter(|&t| {
                        let w = train.words()[t as usize * cfg.n_channels().div_ceil(32) + c / 32];
                        (w >> (c % 32)) & 1 == 1
                    })
                    .collect()
            })
            .collect(),
        of: cfg.n_bands(),
    };
    let title = format!("front-end spikes, \"yes\" ({name}), high bands on top");
    raster(
        &out.join("yes_spikes"),
        &Axes {
            title: &title,
            x: "time step (1 ms)",
            y: "",
        },
        &[group(true), group(false)],
        train.steps(),
    )?;
    println!(
        "figures: {}/yes_levels.png, {}/yes_spikes.png",
        out.display(),
        out.display()
    );
    Ok(())
}
