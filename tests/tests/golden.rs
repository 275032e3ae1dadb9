//! Golden digests: each example configuration, and a set of pseudo-random chips,
//! must reproduce the recorded trace digest bit for bit. `make test` runs this file in
//! debug (overflow checks on) and in release, against the same files: debug and
//! release builds compute the same bits.

use bitvec::prelude::*;
use neurochip_core::format::Format;
use neurochip_core::{ChipLimits, ConfigBuilder, Formats, Rounding, Shifts};
use neurochip_emu::HostChip;
use neurochip_emu::{config, sim};
use neurochip_tasks::rng::hash;
use neurochip_tests::{check_golden, root};

fn example_digest(name: &str) -> String {
    let cfg = config::load(&root().join("examples").join(format!("{name}.toml")))
        .unwrap_or_else(|e| panic!("{e}"));
    let rep = sim::run(&cfg, None).unwrap_or_else(|e| panic!("{e}"));
    format!("{} steps={} spikes={}\n", rep.digest, rep.steps, rep.spikes)
}

#[test]
fn lif_example() {
    check_golden("lif.digest", &example_digest("lif"));
}

#[test]
fn alif_example() {
    check_golden("alif.digest", &example_digest("alif"));
}

#[test]
fn sparse_ei_example() {
    check_golden("sparse_ei.digest", &example_digest("sparse_ei"));
}

/// A pseudo-random chip from `seed`: sizes, widths, shifts, rounding, parameters and
/// weights all drawn from the seed, so the set covers stochastic rounding, ALIF,
/// refractoriness and saturation.
fn random_chip_digest(seed: u64) -> u64 {
    let r = |k: u64, m: u64| hash(seed, 77, k, 0) % m;
    let (ni, nr, no) = (
        1 + r(1, 32) as usize,
        1 + r(2, 64) as usize,
        1 + r(3, 8) as usize,
    );
    let mb = 8 + r(4, 17) as u32;
    let wb = 2 + r(5, 15) as u32;
    let rb = 8 + r(6, 24) as u32;
    let formats = Formats {
        membrane: Format::signed(mb, mb - 6).unwrap(),
        weight: Format::signed(wb, 0).unwrap(),
        trace: Format::unsigned(12, 8).unwrap(),
        readout: Format::signed(rb, rb / 2).unwrap(),
    };
    let cfg = ConfigBuilder::new(ni, nr, no)
        .limits(ChipLimits::default())
        .formats(formats)
        .shifts(Shifts {
            input: r(7, 8) as i8 - 2,
            recurrent: r(8, 8) as i8 - 3,
            output: r(9, 8) as i8 - 4,
        })
        .refractory(r(10, 4) as u8)
        .leak_rounding(Rounding::from_code(r(11, 3) as u8).unwrap())
        // Half the neurons adapt (their beta below).
        .alif(true)
        .seed(seed)
        .build()
        .unwrap();
    let mut chip = HostChip::build(cfg, |mem| {
        mem.init_default_params(&cfg);
        let h = |s: u64, k: usize| hash(seed, s, k as u64, 1);
        for (k, w) in mem.w_in.iter_mut().enumerate() {
            *w = formats.weight.saturate((h(20, k) as i64 % 256) - 100) as i16;
        }
        for (k, w) in mem.w_rec.iter_mut().enumerate() {
            *w = formats.weight.saturate((h(21, k) as i64 % 256) - 128) as i16;
        }
        for (k, w) in mem.w_out.iter_mut().enumerate() {
            *w = formats.weight.saturate((h(22, k) as i64 % 256) - 128) as i16;
        }
        for (k, b) in mem.beta.iter_mut().enumerate() {
            *b = if k % 2 == 0 {
                (h(23, k) % 64) as i32
            } else {
                0
            };
        }
        for (k, a) in mem.alpha.iter_mut().enumerate() {
            *a = 28_000 + (h(24, k) % 4_768) as u32;
        }
        for (k, a) in mem.rho.iter_mut().enumerate() {
            *a = 32_000 + (h(25, k) % 768) as u32;
        }
    });
    let mut x = bitvec![u32, Lsb0; 0; ni];
    for t in 0..300u64 {
        for (c, mut b) in x.iter_mut().enumerate() {
            *b = hash(seed, 99, t, c as u64).is_multiple_of(4);
        }
        chip.step(&x).unwrap();
    }
    chip.digest()
}

#[test]
fn random_chips() {
    let mut out = String::new();
    for seed in 0..48u64 {
        out.push_str(&format!("{seed:3} {:016x}\n", random_chip_digest(seed)));
    }
    check_golden("random_chips.digests", &out);
}

/// Digest, actions and TD errors of 6 short reward-cue episodes on the chip.
#[test]
fn reward_cue_digest_golden() {
    let mut cfg = config::load(&root().join("examples/reward_cue.toml")).unwrap();
    cfg.task.n_cues = 3;
    cfg.task.delay_ms = 200;
    let (_, mut chip) = neurochip_emu::build::chip(&cfg).unwrap();
    let neurochip_emu::reward::Env::Cue(cue) = neurochip_emu::reward::environment(&cfg).unwrap()
    else {
        panic!("a cue environment");
    };
    let p = neurochip_emu::reward::params(cfg.reward.as_ref().unwrap());
    let mut x = bitvec![u32, Lsb0; 0; cue.sample(0).n_inputs()];
    let mut out = String::new();
    {
        let (c, mut mem) = chip.parts();
        for e in 0..6 {
            let ep =
                neurochip_tasks::reward_cue::run_episode(c, &mut mem, &cue, &p, e, &mut x, true)
                    .unwrap();
            out.push_str(&format!(
                "episode {e} action {} label {} reward {} delta {} value {}\n",
                ep.action, ep.label, ep.reward, ep.delta, ep.value
            ));
        }
    }
    out.push_str(&format!("digest {:016x}\n", chip.digest()));
    check_golden("reward_cue.digest", &out);
}
