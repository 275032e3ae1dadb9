//! Arbitrary bytes as a chip configuration file: the TOML parser and checker
//! (`neurochip_emu::config::parse`), the error message of every refusal, and for a
//! configuration that passes, the build steps (`build::chip`, `build::task`), a few
//! chip steps on the task's input, and the exported image, which must decode again.
//! Nothing may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use neurochip_emu::config;
use neurochip_emu::{build, export};

/// Synapses above which the build is skipped: the float network and the chip of a
/// 4096-neuron configuration take seconds and hundreds of MB, which would only slow
/// the fuzzer down; every size up to this one is built.
const MAX_SYNAPSES: u64 = 1 << 16;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let cfg = match config::parse(text, "fuzz.toml") {
        Ok(c) => c,
        Err(e) => {
            // The message is built from spans into the text: it must not panic either.
            let msg = e.to_string();
            assert!(!msg.is_empty());
            let _ = (e.line(), e.column(), e.field(), e.file(), e.message());
            return;
        }
    };
    let n = &cfg.network;
    let (ni, nr, no) = (
        u64::from(n.inputs),
        u64::from(n.neurons),
        u64::from(n.outputs),
    );
    if (ni + nr + no) * nr > MAX_SYNAPSES {
        return;
    }
    // A weights file is a path too: the fuzzer reads no file it names.
    if cfg.network.weights.is_some() {
        return;
    }
    let chip = match build::chip(&cfg) {
        Ok((_, chip)) => chip,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    // The digits task and a user's data sets read the file named by `task.data`, the
    // audio task the folder named by `task.folder`: a fuzzer must not read arbitrary
    // paths (or /dev/zero), so they stop at the chip.
    if cfg.task.kind.reads_data() || cfg.task.kind == config::TaskKind::Audio {
        return;
    }
    let task = match build::task(&cfg) {
        Ok(t) => t,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    // A few steps of the task's input on the chip.
    let mut chip = chip;
    let mut x = bitvec::bitvec![u32, bitvec::order::Lsb0; 0; chip.config().n_in()];
    let sample = task.sample(neurochip_emu::task::Pick::Run(0));
    let steps = neurochip_tasks::SpikeSource::steps(&sample).min(16);
    for t in 0..steps {
        neurochip_tasks::SpikeSource::spikes(&sample, t, &mut x);
        chip.step(&x).expect("the task drives the chip's inputs");
    }
    // The exported image of a valid configuration decodes again and runs.
    match export::image_bytes(&cfg) {
        Ok(bytes) => {
            // Export checks its image as run-image does, so it opens.
            neurochip_emu::HostChip::open_image(&bytes).expect("an exported image opens");
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
