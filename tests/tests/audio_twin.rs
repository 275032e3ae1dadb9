//! The audio front end: the chip (`neurochip_core::audio`) against its float twin
//! (`neurochip_ref::audio::Twin`) on synthetic sound, and the chip never panicking on
//! any PCM and any valid parameters.
//!
//! The bounds (docs/kws.md): on the clips below, the chip's log level stays within
//! `LEVEL_DB_MAX` of the twin's, its envelope within `ENV_REL_MAX` of the band's peak,
//! and the spike counts per clip and channel correlate at `CORR_MIN` or better.

use bitvec::prelude::*;
use neurochip_core::audio::{Band, Config, FrontEnd, Settings as ChipSettings, MAX_BANDS};
use neurochip_emu::audio::{agreement, Agreement};
use neurochip_ref::audio::Settings;
use proptest::prelude::*;

/// Largest difference of the log level, dB.
const LEVEL_DB_MAX: f64 = 0.05;
/// Largest envelope difference, relative to the band's peak in the clip.
const ENV_REL_MAX: f64 = 5e-3;
/// Smallest spike-count correlation.
const CORR_MIN: f64 = 0.95;

/// A counter-based uniform in [-1, 1).
fn noise(seed: u64, i: u64) -> f64 {
    let h = neurochip_tasks::rng::hash(seed, i, 0, 0);
    (h >> 11) as f64 / (1u64 << 52) as f64 - 1.0
}

fn clip(f: impl Fn(f64, usize) -> f64) -> Vec<i16> {
    (0..16000)
        .map(|i| f(i as f64 / 16000.0, i).round().clamp(-32768.0, 32767.0) as i16)
        .collect()
}

/// Chirps, tones, noise and a buzz, from -70 to -1 dBFS.
fn synthetic() -> Vec<Vec<i16>> {
    use std::f64::consts::PI;
    let mut v = Vec::new();
    for (k, amp) in [(0, 12000.0), (1, 600.0), (2, 30000.0)] {
        // Log chirp 100 Hz -> 7.5 kHz (rising, then falling for k = 1).
        let (f0, f1): (f64, f64) = if k == 1 {
            (7500.0, 100.0)
        } else {
            (100.0, 7500.0)
        };
        let r = (f1 / f0).ln();
        v.push(clip(|t, _| {
            amp * (2.0 * PI * f0 * ((r * t).exp() - 1.0) / r).sin()
        }));
    }
    for (f, amp) in [
        (150.0, 8000.0),
        (440.0, 300.0),
        (1000.0, 16000.0),
        (3100.0, 3000.0),
        (6800.0, 20000.0),
    ] {
        // Tone bursts: 150 ms on, 100 ms off, growing.
        v.push(clip(|t, _| {
            let on = (t * 4.0).fract() < 0.6;
            f64::from(u8::from(on)) * amp * (0.3 + t) * (2.0 * PI * f * t).sin()
        }));
    }
    for (seed, amp) in [(1u64, 100.0), (2, 2000.0), (3, 25000.0)] {
        // White noise, amplitude-modulated at 4 Hz (syllables).
        v.push(clip(|t, i| {
            amp * (0.5 - 0.5 * (2.0 * PI * 4.0 * t).cos()) * noise(seed, i as u64)
        }));
    }
    // A 120 Hz buzz (glottal pulses) with a rising then falling level.
    v.push(clip(|t, i| {
        let pulse = if i % 133 < 3 { 1.0 } else { -0.02 };
        20000.0 * (PI * t).sin() * pulse
    }));
    // Near the floor: -70 to -50 dBFS noise.
    v.push(clip(|t, i| 10.0 * (1.0 + 9.0 * t) * noise(9, i as u64)));
    v
}

fn report(a: &Agreement) -> String {
    format!(
        "clips {} level max {:.4} dB mean {:.5} dB env max {:.2e} mean {:.2e} corr {:.4} spikes {} / {} match {:.4}",
        a.clips, a.level_err_max_db, a.level_err_mean_db, a.env_err_max, a.env_err_mean,
        a.count_corr, a.spikes_chip, a.spikes_twin, a.spike_match
    )
}

#[test]
fn chip_follows_its_float_twin_on_synthetic_sound() {
    for s in [
        Settings::default(),
        Settings {
            bands: 40,
            f_lo: 60.0,
            f_hi: 7900.0,
            pre_emphasis: 0.0,
            env_tau_ms: 2.0,
            theta_on_db: 1.5,
            theta_off_db: 4.0,
            ..Settings::default()
        },
        Settings {
            bands: 16,
            samples_per_step: 32,
            env_tau_ms: 10.0,
            floor_dbfs: -80.0,
            ..Settings::default()
        },
    ] {
        let a = agreement(&s, &synthetic()).unwrap();
        eprintln!("{} bands: {}", s.bands, report(&a));
        assert!(a.level_err_max_db <= LEVEL_DB_MAX, "{}", report(&a));
        assert!(a.env_err_max <= ENV_REL_MAX, "{}", report(&a));
        assert!(a.count_corr >= CORR_MIN, "{}", report(&a));
        assert!(a.spikes_chip > 1000, "{}", report(&a));
    }
}

/// Valid bands: poles at radius `r < 1`, any angle, any gain.
fn band() -> impl Strategy<Value = Band> {
    (0.0f64..0.99999, 0.0f64..std::f64::consts::PI, -1.0f64..=1.0).prop_map(|(r, th, g)| {
        let q = |v: f64| (v * f64::from(1u32 << 30)).round() as i32;
        Band {
            b0: q(g),
            c1: q(2.0 * r * th.cos()),
            c2: q(-r * r),
        }
    })
}

fn settings() -> impl Strategy<Value = ChipSettings> {
    (
        0u8..=6,
        0u16..32768,
        1u16..=32768,
        1u32..=1 << 31,
        1u32..=16 << 16,
        1u32..=16 << 16,
    )
        .prop_map(
            |(step_shift, pre, env_k, floor, theta_on, theta_off)| ChipSettings {
                step_shift,
                pre,
                env_k,
                floor,
                theta_on,
                theta_off,
            },
        )
}

/// PCM: random, full-scale extremes, or a square wave at a random period.
fn pcm(len: usize) -> impl Strategy<Value = Vec<i16>> {
    prop_oneof![
        proptest::collection::vec(any::<i16>(), len),
        proptest::collection::vec(prop_oneof![Just(i16::MIN), Just(i16::MAX)], len),
        (1usize..40).prop_map(move |p| (0..len)
            .map(|i| if (i / p) % 2 == 0 { i16::MIN } else { i16::MAX })
            .collect()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any valid configuration and any PCM: no panic (debug builds check every
    /// overflow), the spikes only on the configured channels, the counts returned.
    #[test]
    fn never_panics(
        bands in proptest::collection::vec(band(), 1..=MAX_BANDS),
        s in settings(),
        samples in pcm(64 * 12),
    ) {
        let cfg = Config::new(&bands, s).unwrap();
        let n = cfg.samples_per_step();
        let mut fe = FrontEnd::new(&cfg);
        let mut out = bitvec![u32, Lsb0; 1; 2 * MAX_BANDS + 5];
        for step in samples.chunks_exact(n).take(12) {
            let spikes = fe.push(step, &mut out).unwrap();
            prop_assert_eq!(spikes as usize, out.count_ones());
            prop_assert!(out[cfg.n_channels()..].not_any());
            for b in 0..cfg.n_bands() {
                prop_assert!(fe.level(b) < 32 << 16);
            }
        }
    }

    /// Any integers at all: refused with a reason, or accepted and stepped safely.
    #[test]
    fn any_integers_are_refused_or_run(
        raw in proptest::collection::vec((any::<i32>(), any::<i32>(), any::<i32>()), 0..=MAX_BANDS + 2),
        s in (any::<u8>(), any::<u16>(), any::<u16>(), any::<u32>(), any::<u32>(), any::<u32>()),
        samples in pcm(64),
    ) {
        let bands: Vec<Band> = raw.iter().map(|&(b0, c1, c2)| Band { b0, c1, c2 }).collect();
        let s = ChipSettings { step_shift: s.0, pre: s.1, env_k: s.2, floor: s.3, theta_on: s.4, theta_off: s.5 };
        match Config::new(&bands, s) {
            Err(e) => prop_assert!(!e.to_string().is_empty()),
            Ok(cfg) => {
                let mut fe = FrontEnd::new(&cfg);
                let mut out = bitvec![u32, Lsb0; 0; 2 * MAX_BANDS];
                let n = cfg.samples_per_step();
                prop_assert!(fe.push(&samples[..n], &mut out).is_ok());
            }
        }
    }
}

/// The chip's spikes and levels on the synthetic clips, folded: the same number in
/// debug (overflow checks on) and release builds (`make test` runs both), and on
/// the firmware once it runs the front end.
#[test]
fn front_end_digest_is_fixed() {
    let cfg = neurochip_emu::audio::chip_config(&Settings::default()).unwrap();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut fold = |v: u32| h = (h ^ u64::from(v)).wrapping_mul(0x0000_0100_0000_01b3);
    for c in synthetic() {
        let mut fe = FrontEnd::new(&cfg);
        let mut out = bitvec![u32, Lsb0; 0; 64];
        for step in c.chunks_exact(16) {
            fe.push(step, &mut out).unwrap();
            out.as_raw_slice().iter().for_each(|&w| fold(w));
            (0..32).for_each(|b| fold(fe.level(b)));
        }
    }
    assert_eq!(h, 0x4703_e1f3_1d5c_9676, "digest {h:#018x}");
}
