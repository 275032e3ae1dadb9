//! An arbitrary small chip (sizes, formats, widths, shifts, decays, thresholds,
//! learning engine and rounding, inside and just outside the valid ranges) through
//! `ConfigBuilder`; memories carved and filled with arbitrary words (weights only,
//! over sensible parameters, or every word); then up to 64 steps of `Chip::step`,
//! `learn` and `end_sample` with arbitrary inputs and targets. The core is built with
//! overflow checks, so an unintended overflow is a panic here; any panic is a bug.
//! A configuration that builds also survives an image and a snapshot round trip.
//!
//! The semantic check (`neurochip_core::semantic`) is held to two properties: a state
//! it accepts, stepped and trained, is accepted again (every invariant it checks is one
//! the datapath keeps); and restoring a snapshot and loading an image of the final
//! state refuse exactly what it refuses, with the same refusal.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use neurochip_core::format::Format;
use neurochip_core::image::ImageError;
use neurochip_core::learning::{Learning, Loss};
use neurochip_core::persist::PersistError;
use neurochip_core::{
    image, persist, semantic, Chip, ChipConfig, ChipLimits, ConfigBuilder, Formats, Memory,
    Rounding, Shifts, Target,
};
use neurochip_emu::snapshot::VecFlash;

mod common;

#[derive(Arbitrary, Debug)]
struct Fmt {
    bits: u8,
    frac: u8,
    signed: bool,
}

impl Fmt {
    /// The format, with widths folded to 0..=33 and fractions to 0..=33 so that most
    /// draws land in or next to the valid ranges.
    fn format(&self) -> Option<Format> {
        let (b, f) = (u32::from(self.bits % 34), u32::from(self.frac % 34));
        if self.signed {
            Format::signed(b, f)
        } else {
            Format::unsigned(b, f)
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Fill {
    /// `init_default_params`, then the weights from the fuzzer.
    Weights,
    /// `init_default_params`, then weights and per-neuron parameters.
    Params,
    /// Every word of every arena from the fuzzer.
    Raw,
}

#[derive(Arbitrary, Debug)]
enum Want {
    None,
    Class(u8),
    Values(Vec<i32>),
}

#[derive(Arbitrary, Debug)]
struct StepIn {
    input: u32,
    /// An input of the wrong length now and then (the step must refuse it).
    wrong_len: bool,
    want: Want,
    learn: bool,
    end_sample: bool,
    reset: bool,
}

#[derive(Arbitrary, Debug)]
struct Case {
    n_in: u8,
    n_rec: u8,
    n_out: u8,
    limits: (u8, u8, u8),
    membrane: Fmt,
    weight: Fmt,
    trace: Fmt,
    readout: Fmt,
    shifts: (i8, i8, i8),
    refractory: u8,
    rounding: u8,
    seed: u64,
    alif: bool,
    engine: u8,
    apply: bool,
    feedback: bool,
    regression: bool,
    trace_decay: u16,
    elig_decay: u16,
    elig: Fmt,
    learn_shifts: [u8; 4],
    psi_levels: u8,
    reg_shift: u8,
    reg_target: u32,
    rate_decay: u16,
    dale: bool,
    learn_readout: bool,
    learn_hidden: bool,
    fill: Fill,
    words16: Vec<i16>,
    words32: Vec<i32>,
    wordsu: Vec<u32>,
    steps: Vec<StepIn>,
}

/// Word `i` of `v` (cycled), or `d` when `v` is empty.
fn pick<T: Copy>(v: &[T], i: usize, d: T) -> T {
    if v.is_empty() {
        d
    } else {
        v[i % v.len()]
    }
}

/// The words of `parts`, one after the other, from `v` (cycled, `d` when empty).
fn fill_words<T: Copy, const N: usize>(parts: [&mut [T]; N], v: &[T], d: T) {
    for (i, w) in parts.into_iter().flatten().enumerate() {
        *w = pick(v, i, d);
    }
}

/// `init_default_params`, then the weights (and with `Fill::Params` thresholds,
/// adaptation strengths, biases, decays, gains, masks and Dale flags) from the fuzzer.
fn fill(c: &Case, cfg: &ChipConfig, mem: &mut Memory<'_>) {
    mem.init_default_params(cfg);
    let weights = [
        &mut *mem.w_in,
        &mut *mem.w_rec,
        &mut *mem.w_out,
        &mut *mem.b_fb,
    ];
    fill_words(weights, &c.words16, 0);
    if matches!(c.fill, Fill::Params) {
        fill_words(
            [&mut *mem.thr, &mut *mem.beta, &mut *mem.bias],
            &c.words32,
            1,
        );
        let decays = [
            &mut *mem.alpha,
            &mut *mem.rho,
            &mut *mem.kappa,
            &mut *mem.psi_gain,
        ];
        fill_words(decays, &c.wordsu, 0);
        for i in 0..mem.mask_rec.len() {
            mem.mask_rec.set(i, pick(&c.wordsu, i, 1) & 1 == 1);
        }
        for i in 0..mem.exc.len() {
            mem.exc.set(i, pick(&c.wordsu, i, 1) & 2 == 2);
        }
    }
}

fn run(c: &Case) {
    let d = Formats::default();
    let dl = Learning::DEFAULT;
    let (n_in, n_rec, n_out) = (
        usize::from(c.n_in % 17),
        usize::from(c.n_rec % 33),
        usize::from(c.n_out % 5),
    );
    // Limits near the sizes: equal, one below (too small) or the default.
    let limit = |n: usize, k: u8| -> u16 {
        match k % 4 {
            0 => n as u16,
            1 => (n as u16).saturating_sub(1),
            2 => n as u16 + u16::from(k / 4),
            _ => 256,
        }
    };
    let learning = Learning {
        loss: if c.regression {
            Loss::Regression
        } else {
            Loss::Classification
        },
        trace_decay: c.trace_decay,
        elig_decay: c.elig_decay,
        elig: c.elig.format().unwrap_or(dl.elig),
        shift_in: c.learn_shifts[0] % 70,
        shift_rec: c.learn_shifts[1] % 70,
        shift_out: c.learn_shifts[2] % 70,
        shift_bias: c.learn_shifts[3] % 70,
        psi_levels: c.psi_levels % 20,
        reg_shift: c.reg_shift % 70,
        reg_target: c.reg_target,
        rate_decay: c.rate_decay,
        dale: c.dale,
        learn_readout: c.learn_readout,
        learn_hidden: c.learn_hidden,
        // 0..=31 from the top bits of rate_decay: in and out of the allowed 0..=16.
        lr_spread: (c.rate_decay >> 11) as u8,
        ..common::learning(c.engine, c.apply, c.feedback)
    };
    let built = ConfigBuilder::new(n_in, n_rec, n_out)
        .limits(ChipLimits {
            max_inputs: limit(n_in, c.limits.0),
            max_neurons: limit(n_rec, c.limits.1),
            max_outputs: limit(n_out, c.limits.2),
        })
        .formats(Formats {
            membrane: c.membrane.format().unwrap_or(d.membrane),
            weight: c.weight.format().unwrap_or(d.weight),
            trace: c.trace.format().unwrap_or(d.trace),
            readout: c.readout.format().unwrap_or(d.readout),
        })
        .shifts(Shifts {
            input: c.shifts.0 % 30,
            recurrent: c.shifts.1 % 30,
            output: c.shifts.2 % 30,
        })
        .refractory(c.refractory)
        .leak_rounding(Rounding::from_code(c.rounding % 3).unwrap_or_default())
        .seed(c.seed)
        .alif(c.alif)
        .learning(learning)
        .build();
    let cfg = match built {
        Ok(cfg) => cfg,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    let l = cfg.layout();
    let mut w16 = vec![0i16; l.words16()];
    let mut w32 = vec![0i32; l.words32()];
    let mut wu = vec![0u32; l.wordsu()];
    if matches!(c.fill, Fill::Raw) {
        for (i, x) in w16.iter_mut().enumerate() {
            *x = pick(&c.words16, i, 0);
        }
        for (i, x) in w32.iter_mut().enumerate() {
            *x = pick(&c.words32, i, 0);
        }
        for (i, x) in wu.iter_mut().enumerate() {
            *x = pick(&c.wordsu, i, 0);
        }
    }
    let mut mem =
        Memory::carve(&l, &mut w16, &mut w32, &mut wu).expect("arenas sized from the layout");
    if !matches!(c.fill, Fill::Raw) {
        fill(c, &cfg, &mut mem);
    }
    let valid_before = semantic::check_memory(&cfg, &mem).is_ok();
    let mut chip = Chip::new(cfg, &mem).expect("memory carved for this configuration");
    let mut x = bitvec::bitvec![u32, bitvec::order::Lsb0; 0; n_in];
    let mut wrong = bitvec::bitvec![u32, bitvec::order::Lsb0; 0; n_in + 1];
    let mut vals = Vec::new();
    for s in c.steps.iter().take(64) {
        if s.reset {
            mem.reset_state();
        }
        if s.wrong_len {
            wrong.fill(true);
            assert!(
                chip.step(&mut mem, &wrong).is_err(),
                "a wrong input length is refused"
            );
            continue;
        }
        for i in 0..n_in {
            x.set(i, (s.input >> i) & 1 == 1);
        }
        chip.step(&mut mem, &x).expect("input sized for the chip");
        if s.learn {
            let target = match &s.want {
                Want::None => Target::None,
                Want::Class(k) => Target::Class(usize::from(*k % 6)),
                Want::Values(v) => {
                    vals.clear();
                    vals.extend(v.iter().take(8));
                    Target::Values(&vals)
                }
            };
            chip.learn(&mut mem, target)
                .expect("memory carved for the chip");
        }
        if s.end_sample {
            chip.end_sample(&mut mem)
                .expect("memory carved for the chip");
        }
    }
    let checked = semantic::check_memory(&cfg, &mem);
    drop(mem);
    let padding = semantic::check_padding(&l, &wu);
    // Stepping never writes bits past the end of a vector: the padding is as it was.
    let valid_before = valid_before && padding.is_ok();
    if valid_before {
        assert_eq!(
            checked,
            Ok(()),
            "the datapath keeps what the check requires"
        );
        assert_eq!(padding, Ok(()), "the datapath keeps padding bits at zero");
    }
    let mem = Memory::carve(&l, &mut w16, &mut w32, &mut wu).expect("arenas sized from the layout");
    // A snapshot of this state restores, and the restored chip saves the same bytes
    // (bits past the end of a bit vector are not state, so compare snapshots).
    let len = 16 + persist::payload_len(&mem) + 4;
    let mut flash = VecFlash(vec![0xFF; 2 * len]);
    persist::save(&mut flash, len, &chip, &mem).expect("the slot is sized for the state");
    let (mut r16, mut r32, mut ru) = (
        vec![0i16; w16.len()],
        vec![0i32; w32.len()],
        vec![0u32; wu.len()],
    );
    let mut back_mem =
        Memory::carve(&l, &mut r16, &mut r32, &mut ru).expect("arenas sized from the layout");
    let back = match (
        persist::restore(&mut flash, len, cfg, &mut back_mem),
        checked,
    ) {
        (Ok(back), Ok(())) => back,
        (Err(PersistError::Invalid(e)), Err(want)) => {
            assert_eq!(e, want, "restore refuses what the check refuses");
            return image_refused(&cfg, &w16, &w32, &wu, padding.and(checked));
        }
        (got, want) => panic!("restore gave {got:?}, the check {want:?}"),
    };
    assert_eq!(back, chip, "snapshot registers round-trip");
    let mut again = VecFlash(vec![0xFF; 2 * len]);
    persist::save(&mut again, len, &back, &back_mem).expect("the slot is sized for the state");
    assert!(again.0 == flash.0, "snapshots round-trip");
    // An image of it decodes to the same configuration and memories.
    let mut buf = vec![0u8; image::HEADER + 256 + 2 * w16.len() + 4 * (w32.len() + wu.len()) + 16];
    let n = image::encode(&mut buf, &cfg, b"", &w16, &w32, &wu).expect("the buffer is sized");
    let dec = image::decode(&buf[..n]).expect("an encoded image decodes");
    assert_eq!(dec.config, cfg, "image configuration round-trips");
    let (mut a, mut b, mut cc) = (vec![0; w16.len()], vec![0; w32.len()], vec![0; wu.len()]);
    match (dec.load(&mut a, &mut b, &mut cc), padding) {
        (Ok(()), Ok(())) => {}
        (Err(ImageError::Invalid(e)), Err(want)) => {
            assert_eq!(
                e, want,
                "an image load refuses the padding the check refuses"
            );
            return;
        }
        (got, want) => panic!("image load gave {got:?}, the padding check {want:?}"),
    }
    assert_eq!(
        (&a, &b, &cc),
        (&w16, &w32, &wu),
        "image memories round-trip"
    );
}

/// An image of memories the check refuses (`want`) is refused by `load` the same way.
fn image_refused(
    cfg: &ChipConfig,
    w16: &[i16],
    w32: &[i32],
    wu: &[u32],
    want: Result<(), semantic::Invalid>,
) {
    let mut buf = vec![0u8; image::HEADER + 256 + 2 * w16.len() + 4 * (w32.len() + wu.len()) + 16];
    let n = image::encode(&mut buf, cfg, b"", w16, w32, wu).expect("the buffer is sized");
    let dec = image::decode(&buf[..n]).expect("an encoded image decodes");
    let (mut a, mut b, mut c) = (vec![0; w16.len()], vec![0; w32.len()], vec![0; wu.len()]);
    let got = dec.load(&mut a, &mut b, &mut c);
    assert_eq!(
        got,
        want.map_err(ImageError::Invalid),
        "an image load refuses what the check refuses"
    );
}

fuzz_target!(|c: Case| run(&c));
