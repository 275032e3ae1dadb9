//! Arbitrary bytes as a chip image, an application image (solver, assembly), a snapshot
//! file, a flash holding two snapshot slots, and an application block: every decoder the host and the firmware run on
//! untrusted bytes (`neurochip_core::image`, `neurochip_emu::snapshot`,
//! `neurochip_core::persist`, `neurochip_tasks::app`). Whatever decodes is loaded
//! into a chip and run for a bounded number of steps (the image's own plan, cut
//! short). Nothing may panic.
//!
//! The first byte picks how the rest is used, so the fuzzer also gets past the CRCs:
//! 0 the raw bytes; 1 an image body, framed with a valid header and CRC; 2 a snapshot
//! payload, framed the same way; 3 an application block alone; 4 an application
//! image's block, framed as kind 3.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use neurochip_core::image::{self, crc32, KIND_APP, KIND_IMAGE, VERSION};
use neurochip_core::persist::{self, KIND_SNAPSHOT};
use neurochip_core::Target;
use neurochip_emu::budget;
use neurochip_emu::snapshot::{self, VecFlash};
use neurochip_emu::HostChip;
use neurochip_tasks::app::{AppSpec, Standalone};

/// Chip steps one input may run.
const STEP_BUDGET: u32 = 256;

/// The chip of `examples/cue.toml`: the snapshots of the seed corpus are its.
static CUE: LazyLock<HostChip> = LazyLock::new(|| {
    let cfg = neurochip_emu::config::parse(include_str!("../../examples/cue.toml"), "cue.toml")
        .expect("examples/cue.toml is valid");
    neurochip_emu::build::chip(&cfg)
        .expect("examples/cue.toml builds")
        .1
});

/// A few steps of a restored chip, with learning.
fn run_restored(chip: &mut HostChip) {
    let n_in = chip.config().n_in();
    let n_out = chip.config().n_out();
    let mut x = bitvec::bitvec![u32, bitvec::order::Lsb0; 0; n_in];
    let vals = vec![1i32 << 8; n_out];
    for t in 0..8usize {
        if let Some(mut b) = x.get_mut(t % n_in.max(1)) {
            *b = true;
        }
        let (c, mut mem) = chip.parts();
        c.step(&mut mem, &x).expect("input sized for the chip");
        let target = match t % 3 {
            0 => Target::None,
            1 => Target::Class(t % n_out.max(1)),
            _ => Target::Values(&vals),
        };
        c.learn(&mut mem, target)
            .expect("memory carved for the chip");
    }
    let (c, mut mem) = chip.parts();
    c.end_sample(&mut mem).expect("memory carved for the chip");
}

/// `magic`, version, `kind`, (a sequence number for snapshots,) the length, `body`
/// and its CRC: a frame the header and CRC checks accept.
fn frame(magic: &[u8; 4], kind: u16, seq: Option<u32>, body: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(body.len() + 20);
    v.extend_from_slice(magic);
    v.extend_from_slice(&VERSION.to_le_bytes());
    v.extend_from_slice(&kind.to_le_bytes());
    if let Some(s) = seq {
        v.extend_from_slice(&s.to_le_bytes());
    }
    v.extend_from_slice(&(body.len() as u32).to_le_bytes());
    v.extend_from_slice(body);
    let crc = crc32(&v);
    v.extend_from_slice(&crc.to_le_bytes());
    v
}

fn app_block(bytes: &[u8]) {
    if let Ok(a) = AppSpec::decode(bytes) {
        let _ = format!("{a:?}");
        let mut buf = vec![0u8; bytes.len() + 64];
        let n = a.encode(&mut buf).expect("a decoded block encodes");
        assert_eq!(
            AppSpec::decode(&buf[..n]).expect("and decodes again"),
            a,
            "application blocks round-trip"
        );
    }
}

/// An application image's block (the solver, an assembly area): decodes,
/// round-trips, and runs a few steps in buffers of its size.
fn standalone(bytes: &[u8]) {
    let Ok(app) = Standalone::decode(bytes) else {
        return;
    };
    let mut buf = vec![0u8; bytes.len() + 64];
    let n = app.encode(&mut buf).expect("a decoded block encodes");
    assert_eq!(
        Standalone::decode(&buf[..n]).expect("and decodes again"),
        app,
        "application blocks round-trip"
    );
    let mut spec = match app {
        Standalone::Solver(spec) => spec,
        Standalone::Assembly(mut spec) => {
            // At most 20 steps of an area of at most a million weights.
            let a = spec.area;
            if a.n * (a.n + a.n_in) <= 1_000_000 {
                spec.steps = spec.steps.min(20);
                let _ = neurochip_emu::apps::run_assembly(&spec);
            }
            return;
        }
    };
    // At most 200 steps, and about 2^21 neuron and neighbour visits in all: a block of
    // 33 bytes can ask for 65,535 nodes of 16 colours (a million neurons a step).
    let p = &spec.problem;
    let per_step = (p.variables() * p.values() + p.neighbour_entries()).max(1) as u64;
    spec.budget = spec.budget.min(200).min(((1 << 21) / per_step).max(1));
    let _ = neurochip_emu::apps::run_solver(&spec);
}

fn everything(bytes: &[u8]) {
    // As an application image (`neurochip inspect`, the `solver` firmware's boot).
    let _ = neurochip_emu::apps::describe(bytes);
    if let Ok(block) = image::decode_app(bytes) {
        standalone(block);
    }
    // As a chip image (`neurochip inspect`, `neurochip run-image`, the firmware's boot).
    let _ = image::check(bytes);
    match image::decode(bytes) {
        Ok(d) => {
            let app = AppSpec::decode(d.app);
            app_block(d.app);
            match HostChip::from_image(d) {
                Ok(mut chip) => {
                    if let Ok(app) = app {
                        budget::run_app_bounded(&mut chip, &app, 3, STEP_BUDGET);
                    }
                }
                Err(e) => {
                    let _ = e.to_string();
                }
            }
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
    // As a snapshot file (`neurochip inspect`, `neurochip run --resume`).
    let _ = snapshot::describe(bytes);
    if snapshot::check(bytes).is_ok() {
        let mut chip = CUE.clone();
        if snapshot::decode_into(bytes, &mut chip).is_ok() {
            run_restored(&mut chip);
        }
    }
    // As the flash of the firmware: two slots of half the bytes each.
    if bytes.len() >= 2 {
        let mut chip = CUE.clone();
        let cfg = *chip.config();
        let mut flash = VecFlash(bytes.to_vec());
        let slot = bytes.len() / 2;
        let _ = persist::newest(&mut flash, slot);
        let mut mem = chip.mem();
        let _ = persist::restore_with(&mut flash, slot, cfg, &mut mem);
    }
    // As an application block.
    app_block(bytes);
    standalone(bytes);
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    match mode % 5 {
        0 => everything(rest),
        1 => everything(&frame(b"NCHP", KIND_IMAGE, None, rest)),
        2 => everything(&frame(b"NCSS", KIND_SNAPSHOT, Some(1), rest)),
        3 => app_block(rest),
        _ => everything(&frame(b"NCHP", KIND_APP, None, rest)),
    }
});
