//! Dump the front end's spikes of a keyword-spotting configuration's clips as raw
//! bytes, for offline analysis: `kws_dump CONFIG OUT` writes `OUT.train` and
//! `OUT.test`: per clip, a label byte, then `steps * channels` bytes (0 or 1).
use neurochip_emu::{build, config, task::Task};
use std::io::Write;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let cfg = config::load(std::path::Path::new(&args[0]))?;
    let task = build::task(&cfg)?;
    let Task::Audio { corpus, .. } = &task else {
        return Err("not an audio task".into());
    };
    for (name, set) in [("train", &corpus.train), ("test", &corpus.test)] {
        let mut f = std::io::BufWriter::new(std::fs::File::create(format!("{}.{name}", args[1]))?);
        for e in set.iter() {
            f.write_all(&[e.label])?;
            let ch = e.spikes.channels();
            let w = ch.div_ceil(32);
            for step in e.spikes.words().chunks_exact(w) {
                let row: Vec<u8> = (0..ch)
                    .map(|c| ((step[c / 32] >> (c % 32)) & 1) as u8)
                    .collect();
                f.write_all(&row)?;
            }
        }
        eprintln!(
            "{name}: {} clips, {} steps x {} channels",
            set.len(),
            corpus.steps,
            corpus.channels()
        );
    }
    Ok(())
}
