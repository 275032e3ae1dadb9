//! Structure-aware chip images: `arbitrary` draws a configuration (sizes, formats,
//! refractory period, rounding, ALIF, learning engine, apply mode, feedback, Dale's
//! law, release), memories with in-format values (weights, masks with their
//! masked-out weights at 0, Dale signs, thresholds, decays, traces), a task (Poisson,
//! cue accumulation, digits compiled in, reward-based cue accumulation and navigation) and a plan;
//! the core's encoder writes a valid image of them. Then a list of mutations changes
//! memory words, plan fields, task fields, compiled digits, or raw bytes of the
//! configuration and the application block (with the CRC recomputed), so only the
//! decoders and the semantic check stand between the bytes and the chip.
//!
//! Every image must either be refused with one line naming a field
//! (`HostChip::open_image`, the check of `neurochip inspect`, `run-image` and the
//! firmware; `inspect`'s `export::describe` must refuse it with the same line) or run:
//! its plan, cut to a few samples of a bounded number of steps, without a panic, and
//! the memories after it still pass the check. Unmutated memories always pass.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use neurochip_core::format::Format;
use neurochip_core::image::{self, crc32, ImageError};
use neurochip_core::learning::{Engine, Learning};
use neurochip_core::release::Release;
use neurochip_core::reward::RewardParams;
use neurochip_core::{semantic, ChipConfig, ConfigBuilder, Formats, Memory, Rounding};
use neurochip_emu::budget;
use neurochip_emu::{export, HostChip};
use neurochip_tasks::app::{AppSpec, PlanSpec, TaskSpec, DIGIT_BYTES};
use neurochip_tasks::digits::RateEncoder;
use neurochip_tasks::navigation::NavConfig;
use neurochip_tasks::{CueConfig, PoissonInput};

mod common;

/// Chip steps one input may run.
const STEP_BUDGET: u32 = 256;

#[derive(Arbitrary, Debug)]
enum TaskIn {
    Poisson {
        n: u8,
        rate: u8,
        steps: u8,
    },
    Cue {
        per_pop: u8,
        cue_ms: u8,
        delay_ms: u8,
    },
    Digits {
        steps: u8,
        window: u8,
        digits: Vec<[u8; 65]>,
    },
    Reward {
        per_pop: u8,
        actions: u8,
        gamma: u16,
        c_v: u16,
    },
    Navigation {
        size: u8,
        action_steps: u8,
        max_moves: u8,
        gamma: u16,
    },
}

#[derive(Arbitrary, Debug)]
struct PlanIn {
    samples: u8,
    epochs: u8,
    train: u8,
    test: u8,
    batch: u8,
    learn: bool,
}

#[derive(Arbitrary, Debug)]
enum Mutation {
    /// Memory word `at` (modulo the arena) of the `i16`, `i32` or `u32` arena.
    W16 {
        at: u16,
        v: i16,
    },
    W32 {
        at: u16,
        v: i32,
    },
    Wu {
        at: u16,
        v: u32,
    },
    /// A plan field (0 samples, 1 epochs, 2 train_per_epoch, 3 test_samples, 4 batch,
    /// 5 learn) set to `v`.
    Plan {
        field: u8,
        v: u32,
    },
    /// A byte of the encoded application block (task fields, compiled digits).
    AppByte {
        at: u16,
        v: u8,
    },
    /// A byte of the encoded configuration (image body offset `at`, modulo 96).
    ConfigByte {
        at: u8,
        v: u8,
    },
}

#[derive(Arbitrary, Debug)]
struct Input {
    task: TaskIn,
    n_rec: u8,
    n_out: u8,
    weight_bits: u8,
    membrane: (u8, u8),
    trace: (u8, u8),
    readout: (u8, u8),
    refractory: u8,
    rounding: u8,
    seed: u64,
    alif: bool,
    engine: u8,
    sample_mode: bool,
    random_feedback: bool,
    dale: bool,
    release: u16,
    /// In-format memory values: (region code, index, raw value).
    values: Vec<(u8, u16, i32)>,
    plan: PlanIn,
    mutations: Vec<Mutation>,
}

fn signed(bits: u8, frac: u8, lo: u32, hi: u32) -> Option<Format> {
    let b = lo + u32::from(bits) % (hi - lo + 1);
    Format::signed(b, u32::from(frac) % (b - 1))
}

/// The task, and the number of inputs it drives.
fn task<'a>(t: &TaskIn, data: &'a [u8]) -> (TaskSpec<'a>, usize) {
    let cue = |per_pop: u8, cue_ms: u8, delay_ms: u8| CueConfig {
        n_cues: 1,
        cue_ms: 1 + u32::from(cue_ms % 8),
        gap_ms: 1,
        delay_ms: u32::from(delay_ms % 8),
        recall_ms: 3,
        channels_per_pop: 1 + usize::from(per_pop % 4),
        ..CueConfig::default()
    };
    match *t {
        TaskIn::Poisson { n, rate, steps } => {
            let gen = PoissonInput {
                n: 1 + usize::from(n % 16),
                rate_hz: f32::from(rate),
                dt_ms: 1.0,
                seed: 7,
            };
            let steps = 1 + u32::from(steps % 16);
            (TaskSpec::Poisson { gen, steps }, gen.n)
        }
        TaskIn::Cue {
            per_pop,
            cue_ms,
            delay_ms,
        } => {
            let c = cue(per_pop, cue_ms, delay_ms);
            (TaskSpec::Cue(c), 4 * c.channels_per_pop)
        }
        TaskIn::Digits { steps, window, .. } => {
            let steps = 1 + u32::from(steps % 12);
            let enc = RateEncoder {
                steps,
                ..RateEncoder::default()
            };
            let window = 1 + u32::from(window) % steps;
            (TaskSpec::Digits { enc, window, data }, 64)
        }
        TaskIn::Reward {
            per_pop,
            actions,
            gamma,
            c_v,
        } => {
            let c = cue(per_pop, 2, 2);
            let params = RewardParams {
                n_actions: 2 + usize::from(actions % 3),
                gamma: gamma % 32_769,
                c_v: c_v % 32_769,
            };
            (
                TaskSpec::RewardCue { cue: c, params },
                4 * c.channels_per_pop,
            )
        }
        TaskIn::Navigation {
            size,
            action_steps,
            max_moves,
            gamma,
        } => {
            let nav = NavConfig {
                size: 2 + u32::from(size % 3),
                action_steps: 1 + u32::from(action_steps % 8),
                max_moves: 1 + u32::from(max_moves % 8),
                ..NavConfig::default()
            };
            let params = RewardParams {
                n_actions: 4,
                gamma: gamma % 32_769,
                c_v: 16_384,
            };
            (TaskSpec::RewardNav { nav, params }, nav.n_inputs())
        }
    }
}

/// Write in-format values into the memories: each `(region, index, value)` saturated
/// or folded into what the region may hold, masks with their weights.
fn fill(cfg: &ChipConfig, mem: &mut Memory<'_>, values: &[(u8, u16, i32)]) {
    mem.init_default_params(cfg);
    let f = cfg.formats();
    let ef = cfg.learning().elig;
    let wsat = |v: i32| f.weight.saturate(v.into()) as i16;
    let dale = cfg.learning().dale;
    let n = cfg.n_rec();
    for &(region, at, v) in values.iter().take(256) {
        let at = usize::from(at);
        let set16 = |s: &mut [i16], x: i16| {
            if !s.is_empty() {
                let k = at % s.len();
                s[k] = x;
            }
        };
        let set32 = |s: &mut [i32], x: i32| {
            if !s.is_empty() {
                let k = at % s.len();
                s[k] = x;
            }
        };
        let setu = |s: &mut [u32], x: u32| {
            if !s.is_empty() {
                let k = at % s.len();
                s[k] = x;
            }
        };
        match region % 14 {
            0 => set16(mem.w_in, wsat(v)),
            1 => set16(mem.w_rec, wsat(v)),
            2 => set16(mem.w_out, wsat(v)),
            3 => set16(mem.b_fb, wsat(v)),
            4 => set32(mem.v, f.membrane.saturate(v.into())),
            5 => set32(mem.thr, f.membrane.saturate(v.into()).max(1)),
            6 => set32(mem.y, f.readout.saturate(v.into())),
            7 => set32(mem.bias, f.readout.saturate(v.into())),
            8 => setu(mem.alpha, v.unsigned_abs() % 32_769),
            9 => setu(mem.kappa, v.unsigned_abs() % 32_769),
            10 => setu(mem.zbar, v.unsigned_abs() % (f.trace.max() as u32 + 1)),
            11 => set32(mem.ebar_rec, ef.saturate(v.into())),
            12 => {
                if !mem.mask_rec.is_empty() {
                    let k = at % mem.mask_rec.len();
                    let on = !mem.mask_rec[k];
                    mem.mask_rec.set(k, on);
                }
            }
            _ => {
                if !mem.exc.is_empty() {
                    let k = at % mem.exc.len();
                    let e = v & 1 == 1;
                    mem.exc.set(k, e);
                }
            }
        }
    }
    // What the chip keeps: masked-out weights at 0, Dale signs, no self-connections.
    for (k, w) in mem.w_rec.iter_mut().enumerate() {
        if !mem.mask_rec[k] {
            *w = 0;
        } else if dale {
            let e = mem.exc[k / n];
            *w = if e { (*w).max(0) } else { (*w).min(0) };
        }
    }
    for (k, w) in mem.w_in.iter_mut().enumerate() {
        if !mem.mask_in[k] {
            *w = 0;
        }
    }
}

fn plan(p: &PlanIn, learns: bool) -> PlanSpec {
    PlanSpec {
        samples: u32::from(p.samples % 5),
        epochs: u32::from(p.epochs % 4),
        train_per_epoch: 1 + u32::from(p.train % 4),
        test_samples: u32::from(p.test % 4),
        batch: 1 + u32::from(p.batch % 3),
        learn: p.learn && learns,
        halve_every: u32::from(p.batch % 3),
    }
}

/// `bytes` with the CRC at the end recomputed.
fn recrc(mut v: Vec<u8>) -> Vec<u8> {
    if v.len() >= 16 {
        let n = v.len() - 4;
        let crc = crc32(&v[..n]);
        v[n..].copy_from_slice(&crc.to_le_bytes());
    }
    v
}

fn encode(cfg: &ChipConfig, app: &[u8], w16: &[i16], w32: &[i32], wu: &[u32]) -> Vec<u8> {
    let mut out = vec![0u8; 512 + app.len() + 2 * w16.len() + 4 * (w32.len() + wu.len())];
    let n = image::encode(&mut out, cfg, app, w16, w32, wu).expect("the buffer is sized");
    out.truncate(n);
    out
}

fn run(input: &Input) {
    let mut digits: Vec<u8> = Vec::new();
    if let TaskIn::Digits { digits: d, .. } = &input.task {
        for x in d.iter().take(4) {
            digits.extend(x[..64].iter().map(|p| p % 17));
            digits.push(x[64] % 10);
        }
    }
    let (spec, n_in) = task(&input.task, &digits);
    let n_rec = 1 + usize::from(input.n_rec % 12);
    let n_out = match spec {
        TaskSpec::RewardCue { params, .. } | TaskSpec::RewardNav { params, .. } => {
            params.n_actions + 1
        }
        _ => 1 + usize::from(input.n_out % 11),
    };
    let d = Formats::default();
    let formats = Formats {
        membrane: signed(input.membrane.0, input.membrane.1, 8, 24).unwrap_or(d.membrane),
        weight: Format::signed(2 + u32::from(input.weight_bits % 15), 0).unwrap_or(d.weight),
        trace: Format::unsigned(
            6 + u32::from(input.trace.0 % 11),
            u32::from(input.trace.1 % 7),
        )
        .unwrap_or(d.trace),
        readout: signed(input.readout.0, input.readout.1, 8, 31).unwrap_or(d.readout),
    };
    let learning = Learning {
        dale: input.dale,
        ..common::learning(input.engine, input.sample_mode, input.random_feedback)
    };
    let engine = learning.engine;
    let release = Release {
        p_in: u32::from(input.release) << 16,
        p_rec: neurochip_core::release::ALWAYS,
    };
    let Ok(cfg) = ConfigBuilder::new(n_in, n_rec, n_out)
        .formats(formats)
        .refractory(input.refractory % 8)
        .leak_rounding(Rounding::from_code(input.rounding % 3).unwrap_or_default())
        .seed(input.seed)
        .alif(input.alif)
        .learning(learning)
        .release(if input.release % 2 == 1 {
            release
        } else {
            Release::ALWAYS
        })
        .build()
    else {
        return;
    };
    let chip = HostChip::build(cfg, |mem| fill(&cfg, mem, &input.values));
    {
        let mut c = chip.clone();
        let mem = c.mem();
        assert_eq!(
            semantic::check_memory(&cfg, &mem),
            Ok(()),
            "memories written in their formats pass the check"
        );
    }
    let learns = engine != Engine::Off;
    let app = AppSpec {
        task: spec,
        plan: plan(&input.plan, learns),
    };
    let mut app_buf = vec![0u8; 256 + digits.len()];
    let n = app.encode(&mut app_buf).expect("the buffer is sized");
    app_buf.truncate(n);

    // Mutations: structured ones re-encode, byte ones recompute the CRC.
    let (a, b, c) = chip.arenas();
    let (mut w16, mut w32, mut wu) = (a.to_vec(), b.to_vec(), c.to_vec());
    let mut app_bytes = app_buf;
    let mut raw: Vec<(usize, u8, bool)> = Vec::new();
    for m in input.mutations.iter().take(4) {
        match *m {
            Mutation::W16 { at, v } => {
                if !w16.is_empty() {
                    let k = usize::from(at) % w16.len();
                    w16[k] = v;
                }
            }
            Mutation::W32 { at, v } => {
                if !w32.is_empty() {
                    let k = usize::from(at) % w32.len();
                    w32[k] = v;
                }
            }
            Mutation::Wu { at, v } => {
                if !wu.is_empty() {
                    let k = usize::from(at) % wu.len();
                    wu[k] = v;
                }
            }
            Mutation::Plan { field, v } => {
                let mut spec = AppSpec::decode(&app_bytes).expect("our block decodes");
                let p = &mut spec.plan;
                match field % 6 {
                    0 => p.samples = v,
                    1 => p.epochs = v,
                    2 => p.train_per_epoch = v,
                    3 => p.test_samples = v,
                    4 => p.batch = v,
                    _ => p.learn = v & 1 == 1,
                }
                let mut buf = vec![0u8; 256 + app_bytes.len()];
                let n = spec.encode(&mut buf).expect("the buffer is sized");
                buf.truncate(n);
                app_bytes = buf;
            }
            Mutation::AppByte { at, v } => raw.push((usize::from(at), v, true)),
            Mutation::ConfigByte { at, v } => raw.push((usize::from(at % 96), v, false)),
        }
    }
    let mut bytes = encode(&cfg, &app_bytes, &w16, &w32, &wu);
    if !raw.is_empty() {
        // The configuration starts the body; the application block follows its length.
        let cfg_len = {
            let mut buf = [0u8; 128];
            let mut w = image::Writer::new(&mut buf);
            image::put_config(&mut w, &cfg);
            w.len()
        };
        for &(at, v, in_app) in &raw {
            let off = if in_app {
                if app_bytes.is_empty() {
                    continue;
                }
                image::HEADER + cfg_len + 4 + at % app_bytes.len()
            } else {
                image::HEADER + at % cfg_len
            };
            bytes[off] = v;
        }
        bytes = recrc(bytes);
    }

    let opened = HostChip::open_image(&bytes);
    let described = export::describe(&bytes);
    if std::env::var_os("TRACE_OUTCOME").is_some() {
        match &opened {
            Ok(_) => eprintln!("OUTCOME ok"),
            Err(e) => eprintln!("OUTCOME {e}"),
        }
    }
    match opened {
        Err(e) => {
            let msg = e.to_string();
            assert!(!msg.contains('\n'), "one line: {msg}");
            assert_eq!(
                described,
                Err(msg.clone()),
                "inspect refuses as run-image does"
            );
            if let ImageError::Invalid(inv) = e {
                assert!(!inv.key.is_empty(), "a refusal names its field: {msg}");
            }
        }
        Ok((mut chip, app)) => {
            assert!(described.is_ok(), "inspect accepts what run-image accepts");
            budget::run_app_bounded(&mut chip, &app, 2, STEP_BUDGET);
            {
                let cfg = *chip.config();
                let mem = chip.mem();
                assert_eq!(
                    semantic::check_memory(&cfg, &mem),
                    Ok(()),
                    "a checked image still passes after running"
                );
            }
            let _ = chip.digest();
        }
    }
    let _ = DIGIT_BYTES;
}

fuzz_target!(|input: Input| run(&input));
