//! Dump the front end's spikes of a keyword-spotting configuration's clips as raw
//! bytes, for offline analysis: `kws_dump CONFIG OUT` writes `OUT.train` and
//! `OUT.test`: per clip, a label byte, then `steps * channels` bytes (0 or 1). Each
//! file is written whole and atomically (a failed write leaves the old one).
use neurochip_emu::{build, config, export, task::Task};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(cfg), Some(out)) = (args.first(), args.get(1)) else {
        return Err("usage: kws_dump CONFIG OUT".into());
    };
    let cfg = config::load(std::path::Path::new(cfg))?;
    let task = build::task(&cfg)?;
    let Task::Audio { corpus, .. } = &task else {
        return Err("not an audio task".into());
    };
    for (name, set) in [("train", &corpus.train), ("test", &corpus.test)] {
        let mut f = Vec::new();
        for e in set.iter() {
            f.push(e.label);
            let ch = e.spikes.channels();
            let w = ch.div_ceil(32);
            for step in e.spikes.words().chunks_exact(w) {
                let row: Vec<u8> = (0..ch)
                    .map(|c| ((step[c / 32] >> (c % 32)) & 1) as u8)
                    .collect();
                f.extend_from_slice(&row);
            }
        }
        let path = format!("{out}.{name}");
        export::write_atomic(std::path::Path::new(&path), &f)
            .map_err(|e| format!("{path}: cannot write: {e}"))?;
        eprintln!(
            "{name}: {} clips, {} steps x {} channels",
            set.len(),
            corpus.steps,
            corpus.channels()
        );
    }
    Ok(())
}
