//! The audio front end on the host: the settings in real units
//! ([`neurochip_ref::audio::Settings`], the same ones the float twin takes) become
//! the chip's integers ([`chip_config`]), and a clip's PCM becomes a spike raster
//! ([`encode_clip`], `2 * bands` channels a step). WAV files are read by
//! [`crate::wav`], Speech Commands folders by [`crate::speech`].
//!
//! | setting | chip integer | rounding |
//! |---|---|---|
//! | band `b0`, `a1`, `a2` (`Settings::sections`) | `Band { b0, c1 = -a1, c2 = -a2 }`, Q2.30 | nearest |
//! | `pre_emphasis` | `pre`, Q1.15 | nearest |
//! | `env_tau_ms` | `env_k = 1 - exp(-dt/tau)`, Q1.15 | nearest, at least 1 |
//! | `floor_dbfs` | `floor = 32768 * 10^(dBFS/20) * 256`, signal units | nearest, at least 1 |
//! | `theta_on_db`, `theta_off_db` | `dB / 20log10(2)`, Q16.16 log2 units | nearest |
//! | `samples_per_step` | `step_shift = log2(samples)` | must be a power of two |

use neurochip_core::audio::{self as fe, AudioError, Band, Config, FrontEnd};
use neurochip_ref::audio::Settings;
use neurochip_tasks::audio::{encode, words_per_step, Raster};

/// Why front-end settings cannot become a chip front end.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SettingsError {
    /// A setting outside its range.
    #[error("audio.{key} = {value}; allowed {allowed}")]
    Range {
        /// The setting.
        key: &'static str,
        /// Its value.
        value: String,
        /// What is allowed.
        allowed: String,
    },
    /// The core refused the integers (a band that quantised unstable, ...).
    #[error(transparent)]
    Core(#[from] AudioError),
}

fn range(key: &'static str, value: impl ToString, allowed: impl ToString) -> SettingsError {
    SettingsError::Range {
        key,
        value: value.to_string(),
        allowed: allowed.to_string(),
    }
}

/// Check `s` in real units: 1 to 64 bands, `0 < f_lo < f_hi < fs / 2`, a power of
/// two of 1 to 64 samples a step, pre-emphasis in `[0, 1)`, `tau > 0`, floor in
/// `-138..=0` dBFS, thresholds in `(0, 96]` dB.
pub fn check(s: &Settings) -> Result<(), SettingsError> {
    let nyq = s.sample_rate / 2.0;
    if !(s.sample_rate.is_finite() && s.sample_rate > 0.0) {
        return Err(range("sample_rate", s.sample_rate, "a positive rate in Hz"));
    }
    if s.bands == 0 || s.bands > fe::MAX_BANDS {
        return Err(range("bands", s.bands, format!("1..={}", fe::MAX_BANDS)));
    }
    if !(s.f_lo > 0.0 && s.f_lo < s.f_hi) {
        return Err(range(
            "f_lo",
            s.f_lo,
            format!("0 < f_lo < f_hi ({})", s.f_hi),
        ));
    }
    if s.f_hi.is_nan() || s.f_hi >= nyq {
        return Err(range(
            "f_hi",
            s.f_hi,
            format!("f_hi < {nyq} (half the sample rate)"),
        ));
    }
    let n = s.samples_per_step;
    if !n.is_power_of_two() || n > 1 << fe::MAX_STEP_SHIFT {
        return Err(range(
            "samples_per_step",
            n,
            "a power of two, 1..=64 (16 = 1 ms at 16 kHz)",
        ));
    }
    if !(0.0..1.0).contains(&s.pre_emphasis) {
        return Err(range("pre_emphasis", s.pre_emphasis, "0 <= pre < 1"));
    }
    if !(s.env_tau_ms > 0.0 && s.env_tau_ms.is_finite()) {
        return Err(range("env_tau_ms", s.env_tau_ms, "a positive time in ms"));
    }
    if !(-138.0..=0.0).contains(&s.floor_dbfs) {
        return Err(range("floor_dbfs", s.floor_dbfs, "-138..=0 dBFS"));
    }
    for (key, v) in [
        ("theta_on_db", s.theta_on_db),
        ("theta_off_db", s.theta_off_db),
    ] {
        if !(v > 0.0 && v <= 96.0) {
            return Err(range(key, v, "0 < theta <= 96 dB"));
        }
    }
    Ok(())
}

/// `v * 2^frac` rounded to nearest and clamped to `lo..=hi`.
fn fixed(v: f64, frac: u32, lo: i64, hi: i64) -> i64 {
    ((v * (1u64 << frac) as f64).round() as i64).clamp(lo, hi)
}

/// The chip's band coefficients for `s` (Q2.30, nearest).
pub fn bands(s: &Settings) -> Vec<Band> {
    let q = |v: f64| fixed(v, fe::COEFF_FRAC, i32::MIN.into(), i32::MAX.into()) as i32;
    s.sections()
        .iter()
        .map(|b| Band {
            b0: q(b.b0),
            c1: q(-b.a1),
            c2: q(-b.a2),
        })
        .collect()
}

/// The chip's per-step integers for `s` (table in the module docs).
pub fn chip_settings(s: &Settings) -> fe::Settings {
    let gain = |v: f64, lo: i64| fixed(v, 15, lo, 32768) as u16;
    let level = |db: f64| {
        fixed(
            Settings::db_to_log2(db),
            fe::LEVEL_FRAC,
            1,
            fe::MAX_THRESHOLD.into(),
        ) as u32
    };
    fe::Settings {
        step_shift: s.samples_per_step.trailing_zeros().min(255) as u8,
        pre: gain(s.pre_emphasis, 0).min(32767),
        env_k: gain(s.env_k(), 1),
        floor: fixed(s.floor(), 0, 1, 1 << 31) as u32,
        theta_on: level(s.theta_on_db),
        theta_off: level(s.theta_off_db),
    }
}

/// The checked chip front end for `s`.
pub fn chip_config(s: &Settings) -> Result<Config, SettingsError> {
    check(s)?;
    Ok(Config::new(&bands(s), chip_settings(s))?)
}

/// A clip's spikes: `steps` steps of `channels` channels, a step's bits in
/// `words_per_step(channels)` words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpikeTrain {
    words: Vec<u32>,
    channels: usize,
    steps: u32,
}

impl SpikeTrain {
    /// The words, step after step.
    pub fn words(&self) -> &[u32] {
        &self.words
    }

    /// Channels (`2 * bands`).
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// Steps.
    pub fn steps(&self) -> u32 {
        self.steps
    }

    /// The train as a [`neurochip_tasks::SpikeSource`].
    pub fn raster(&self) -> Raster<'_> {
        Raster::new(&self.words, self.channels, self.steps)
            .expect("encode_clip sizes the words for its steps")
    }

    /// Spikes of channel `c` over the clip.
    pub fn count(&self, c: usize) -> u32 {
        let w = words_per_step(self.channels);
        if c >= self.channels || w == 0 {
            return 0;
        }
        self.words
            .chunks_exact(w)
            .map(|s| (s[c / 32] >> (c % 32)) & 1)
            .sum()
    }
}

/// A clip through a front end at rest: one spike vector per whole step of `pcm`
/// (16,000 samples at 16 samples a step: 1,000 steps).
pub fn encode_clip(cfg: &Config, pcm: &[i16]) -> SpikeTrain {
    let mut fe = FrontEnd::new(cfg);
    let steps = pcm.len() / cfg.samples_per_step();
    let channels = cfg.n_channels();
    let mut words = vec![0u32; steps * words_per_step(channels)];
    // The slices are a step's length by construction: `encode` cannot fail here.
    let steps = encode(&mut fe, pcm, &mut words).unwrap_or(0);
    SpikeTrain {
        words,
        channels,
        steps,
    }
}

/// How closely the chip's front end follows its float twin over some clips (both
/// from the same [`Settings`]; [`agreement`]).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Agreement {
    /// Clips compared.
    pub clips: usize,
    /// Band-steps compared (clips x steps x bands).
    pub band_steps: u64,
    /// Largest `|L_chip - L_twin|` of the log level, dB (both clamp at the floor).
    pub level_err_max_db: f64,
    /// Mean `|L_chip - L_twin|`, dB, over the band-steps where the twin's envelope
    /// is above the floor.
    pub level_err_mean_db: f64,
    /// Largest `|e_chip - e_twin|` over the band's largest twin envelope in the clip
    /// (band-clips whose peak is under the floor left out).
    pub env_err_max: f64,
    /// Mean of that ratio over every band-step counted.
    pub env_err_mean: f64,
    /// Pearson correlation of the spike counts per clip and channel, chip against
    /// twin.
    pub count_corr: f64,
    /// Spikes of the chip, all clips.
    pub spikes_chip: u64,
    /// Spikes of the twin, all clips.
    pub spikes_twin: u64,
    /// Of the (step, channel) pairs where either spikes, the fraction where both do.
    pub spike_match: f64,
}

/// Pearson correlation of `a` and `b` ([`crate::sim::pearson`]), 1 when either is
/// empty (nothing to disagree on).
pub fn pearson(a: &[f64], b: &[f64]) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 1.0;
    }
    crate::sim::pearson(a, b)
}

/// Run every clip through the chip's front end and the float twin of `s`, step by
/// step, and measure their agreement ([`Agreement`]).
pub fn agreement(s: &Settings, clips: &[Vec<i16>]) -> Result<Agreement, SettingsError> {
    let cfg = chip_config(s)?;
    let nb = cfg.n_bands();
    let nc = cfg.n_channels();
    let n = cfg.samples_per_step();
    let floor = s.floor();
    let db = 20.0 * 2f64.log10() / f64::from(1u32 << fe::LEVEL_FRAC);
    let mut a = Agreement {
        clips: clips.len(),
        ..Agreement::default()
    };
    let (mut counts_chip, mut counts_twin) = (Vec::new(), Vec::new());
    let (mut level_sum, mut level_n, mut env_sum, mut env_n) = (0.0, 0u64, 0.0, 0u64);
    let (mut both, mut either) = (0u64, 0u64);
    for pcm in clips {
        let mut chip = FrontEnd::new(&cfg);
        let mut twin = neurochip_ref::audio::Twin::new(s);
        let mut bits = vec![0u32; words_per_step(nc)];
        let mut tbits = vec![false; nc];
        let (mut cc, mut ct) = (vec![0u32; nc], vec![0u32; nc]);
        let mut env: Vec<(Vec<f64>, Vec<f64>)> = vec![(Vec::new(), Vec::new()); nb];
        for step in pcm.chunks_exact(n) {
            let out =
                bitvec::slice::BitSlice::<u32, bitvec::order::Lsb0>::from_slice_mut(&mut bits);
            chip.push(step, out)?;
            twin.push(step, &mut tbits);
            for c in 0..nc {
                let (x, y) = (out[c], tbits[c]);
                cc[c] += u32::from(x);
                ct[c] += u32::from(y);
                both += u64::from(x && y);
                either += u64::from(x || y);
            }
            for (b, (ec, et)) in env.iter_mut().enumerate() {
                let lc = f64::from(chip.level(b)) * db;
                let lt = twin.level(b) * 20.0 * 2f64.log10();
                let le = (lc - lt).abs();
                a.level_err_max_db = a.level_err_max_db.max(le);
                if twin.envelope(b) > floor {
                    level_sum += le;
                    level_n += 1;
                }
                ec.push(f64::from(chip.envelope(b)));
                et.push(twin.envelope(b));
            }
            a.band_steps += nb as u64;
        }
        for (ec, et) in &env {
            let peak = et.iter().copied().fold(0.0, f64::max);
            if peak <= floor {
                continue;
            }
            for (x, y) in ec.iter().zip(et) {
                let r = (x - y).abs() / peak;
                a.env_err_max = a.env_err_max.max(r);
                env_sum += r;
                env_n += 1;
            }
        }
        a.spikes_chip += cc.iter().map(|&v| u64::from(v)).sum::<u64>();
        a.spikes_twin += ct.iter().map(|&v| u64::from(v)).sum::<u64>();
        counts_chip.extend(cc.iter().map(|&v| f64::from(v)));
        counts_twin.extend(ct.iter().map(|&v| f64::from(v)));
    }
    a.level_err_mean_db = level_sum / level_n.max(1) as f64;
    a.env_err_mean = env_sum / env_n.max(1) as f64;
    a.count_corr = pearson(&counts_chip, &counts_twin);
    a.spike_match = if either == 0 {
        1.0
    } else {
        both as f64 / either as f64
    };
    Ok(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_settings_give_the_cores_defaults() {
        let s = Settings::default();
        assert_eq!(chip_settings(&s), fe::Settings::default());
        let cfg = chip_config(&s).unwrap();
        assert_eq!(cfg.n_bands(), 32);
        assert_eq!(cfg.n_channels(), 64);
    }

    #[test]
    fn refusals_name_the_setting() {
        let refusal = |s: Settings| chip_config(&s).unwrap_err().to_string();
        let d = Settings::default;
        assert_eq!(
            refusal(Settings {
                samples_per_step: 12,
                ..d()
            }),
            "audio.samples_per_step = 12; allowed a power of two, 1..=64 (16 = 1 ms at 16 kHz)"
        );
        assert_eq!(
            refusal(Settings {
                f_hi: 9000.0,
                ..d()
            }),
            "audio.f_hi = 9000; allowed f_hi < 8000 (half the sample rate)"
        );
        assert!(refusal(Settings { bands: 65, ..d() }).contains("1..=64"));
    }

    #[test]
    fn a_clip_is_a_thousand_steps() {
        let cfg = chip_config(&Settings::default()).unwrap();
        let pcm: Vec<i16> = (0..16000)
            .map(|i| ((i as f64 * 0.3).sin() * 5000.0 * (i as f64 / 16000.0)) as i16)
            .collect();
        let t = encode_clip(&cfg, &pcm);
        assert_eq!(t.steps(), 1000);
        assert_eq!(t.words().len(), 2000);
        let total: u32 = (0..64).map(|c| t.count(c)).sum();
        assert!(total > 0);
        let r = t.raster();
        assert_eq!(neurochip_tasks::SpikeSource::steps(&r), 1000);
    }
}
