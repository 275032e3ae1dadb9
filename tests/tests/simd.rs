//! Every host SIMD path computes the same bits (`neurochip_emu::simd`): each path this
//! processor runs is forced in turn (baseline SSE2, AVX2, AVX-512), and every example
//! configuration (shortened plans) and 48 random learning chips give one digest on
//! all of them. The firmware tests compare the host's digests with QEMU's, so the
//! firmware agrees with every path too.
//!
//! One test function: forcing a path is process-wide.

use bitvec::prelude::*;
use neurochip_core::learning::{Apply, Engine, Learning};
use neurochip_core::{ChipConfig, ConfigBuilder, Formats, Shifts, Target};
use neurochip_emu::config::{self, Config};
use neurochip_emu::simd::{self, Isa};
use neurochip_emu::{learn, reward, sim, HostChip};
use neurochip_tests::root;

/// Each example with a plan short enough for every path (a few samples).
fn short(name: &str) -> Config {
    let mut cfg = config::load(&root().join("examples").join(format!("{name}.toml"))).unwrap();
    cfg.train.epochs = cfg.train.epochs.min(1);
    cfg.train.train_samples = cfg.train.train_samples.min(3);
    cfg.train.test_samples = cfg.train.test_samples.min(2);
    cfg.task.samples = cfg.task.samples.min(2);
    cfg
}

/// The digest of `neurochip run` for `cfg` on the current path.
fn digest(cfg: &Config) -> u64 {
    if cfg.reward.is_some() {
        let (_, chip) = reward::train_chip(cfg, None, &|| None, |_, _| {}).unwrap();
        chip.digest()
    } else if cfg.learning.engine != config::Engine::Off {
        let (_, chip) = learn::train_chip(cfg, true, |_| {}).unwrap();
        chip.digest()
    } else {
        u64::from_str_radix(&sim::run(cfg, Some(400)).unwrap().digest, 16).unwrap()
    }
}

/// A random learning chip: sizes across 64-column blocks, both engines, online and
/// per-sample application, Dale's law, ALIF, rate spreads, shifts below and above 16.
fn random_chip(i: u64) -> ChipConfig {
    let mut s = i.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = |n: u64| {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s % n
    };
    let (n_in, n_rec, n_out) = (
        1 + next(40) as usize,
        1 + next(150) as usize,
        1 + next(12) as usize,
    );
    let learning = Learning {
        engine: if next(2) == 0 {
            Engine::Exact
        } else {
            Engine::Light
        },
        apply: if next(3) == 0 {
            Apply::Sample
        } else {
            Apply::Online
        },
        dale: next(2) == 0,
        lr_spread: if next(3) == 0 { next(4) as u8 } else { 0 },
        shift_in: 8 + next(16) as u8,
        shift_rec: 8 + next(16) as u8,
        // Up to 47: the readout's one-shift rows (`update::ONE_SHIFT`) too.
        shift_out: 8 + next(40) as u8,
        shift_bias: 8 + next(16) as u8,
        ..Learning::DEFAULT
    };
    ConfigBuilder::new(n_in, n_rec, n_out)
        .formats(Formats::default())
        .shifts(Shifts {
            input: 4,
            recurrent: 4,
            output: 4,
        })
        .refractory(1)
        .alif(next(2) == 0)
        .learning(learning)
        .seed(i + 1)
        .build()
        .unwrap()
}

/// 300 steps of the random chip `i` with random inputs, random weights and masks,
/// learning at every step, a sample end every 100: its digest on the current path.
fn random_digest(i: u64) -> u64 {
    let cfg = random_chip(i);
    let mut s = i.wrapping_add(77) | 1;
    let mut next = || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    let mut chip = HostChip::build(cfg, |mem| {
        mem.init_default_params(&cfg);
        let wf = cfg.formats().weight;
        for w in mem
            .w_in
            .iter_mut()
            .chain(mem.w_rec.iter_mut())
            .chain(mem.w_out.iter_mut())
        {
            *w = wf.saturate((next() % 64) as i64 - 24) as i16;
        }
        let n = mem.layout.n_rec;
        for (k, mut m) in mem.mask_rec.iter_mut().enumerate() {
            *m = k / n != k % n && next() % 5 != 0;
        }
        // A third of the chips with absent readout synapses.
        let sparse_out = next() % 3 == 0;
        for mut m in mem.mask_out.iter_mut() {
            *m = !sparse_out || next() % 5 != 0;
        }
        for mut e in mem.exc.iter_mut() {
            *e = next() % 4 != 0;
        }
    });
    let mut x = bitvec![u32, Lsb0; 0; cfg.n_in()];
    let (c, mut mem) = chip.parts();
    for t in 0..300u64 {
        for mut b in x.iter_mut() {
            *b = next() % 8 == 0;
        }
        simd::step(c, &mut mem, &x).unwrap();
        let class = (t % cfg.n_out() as u64) as usize;
        simd::learn(c, &mut mem, Target::Class(class)).unwrap();
        if t % 100 == 99 {
            simd::end_sample(c, &mut mem).unwrap();
        }
    }
    chip.digest()
}

#[test]
fn every_simd_path_gives_the_same_bits() {
    // Data paths in the examples are relative to the project root.
    std::env::set_current_dir(root()).unwrap();
    let paths: Vec<Isa> = Isa::ALL.into_iter().filter(|i| i.available()).collect();
    eprintln!("paths on this processor: {paths:?}");
    let examples = [
        "cue",
        "cue_lif",
        "digits",
        "digits_light",
        "pattern",
        "store_recall",
        "cue_lsnn",
        "lif",
        "alif",
        "sparse_ei",
        "bench256",
        "reward_cue",
    ];
    for name in examples {
        let cfg = short(name);
        let digests: Vec<u64> = paths
            .iter()
            .map(|&isa| {
                assert!(simd::force(isa));
                digest(&cfg)
            })
            .collect();
        eprintln!("{name}: {:016x} on {} paths", digests[0], digests.len());
        assert!(
            digests.windows(2).all(|w| w[0] == w[1]),
            "{name}: {digests:x?}"
        );
    }
    for i in 0..48 {
        let digests: Vec<u64> = paths
            .iter()
            .map(|&isa| {
                assert!(simd::force(isa));
                random_digest(i)
            })
            .collect();
        assert!(
            digests.windows(2).all(|w| w[0] == w[1]),
            "random chip {i}: {digests:x?}"
        );
    }
}
