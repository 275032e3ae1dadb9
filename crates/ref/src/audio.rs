//! The audio front end in `f64`: the filter-bank design (mel-spaced RBJ band-pass
//! sections) and the float twin of `neurochip_core::audio`, the same equations with
//! the float coefficients and parameters.
//!
//! The twin works in the chip's units (signal units of `2^-8` PCM LSB, levels in
//! log2 of signal units), so the chip's values compare to it after dividing by
//! their scale and nothing else:
//!
//! ```text
//! u[n]  = 256 (x[n] - pre x[n-1])
//! y[n]  = b0 (u[n] - u[n-2]) - a1 y[n-1] - a2 y[n-2]          per band
//! m     = mean |y| over the step's samples
//! e1   += k (m - e1);  e2 += k (e1 - e2)                       k = 1 - exp(-dt/tau)
//! L     = log2(max(e2, floor))
//! ON  if L >= r + theta_on  (r += theta_on)
//! OFF if L <= r - theta_off (r -= theta_off)                  r starts at log2(floor)
//! ```

use std::f64::consts::PI;

/// The front end's settings in real units; the one description from which the
/// float twin ([`Twin::new`]) and the chip's integers (`neurochip_emu::audio`) are
/// both made.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Settings {
    /// Sample rate, Hz (16000).
    pub sample_rate: f64,
    /// Number of mel bands (32; the chip holds 1 to 64).
    pub bands: usize,
    /// Lowest band edge, Hz (100).
    pub f_lo: f64,
    /// Highest band edge, Hz (7600).
    pub f_hi: f64,
    /// Samples per step, a power of two (16: 1 ms at 16 kHz).
    pub samples_per_step: usize,
    /// Pre-emphasis coefficient in `[0, 1)` (0.97; 0 = none).
    pub pre_emphasis: f64,
    /// Time constant of each of the two envelope low-passes, ms (5).
    pub env_tau_ms: f64,
    /// Envelope floor, dB against full scale of the mean |x| (-60).
    pub floor_dbfs: f64,
    /// Level rise for an ON spike, dB (3).
    pub theta_on_db: f64,
    /// Level fall for an OFF spike, dB (3).
    pub theta_off_db: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            sample_rate: 16000.0,
            bands: 32,
            f_lo: 100.0,
            f_hi: 7600.0,
            samples_per_step: 16,
            pre_emphasis: 0.97,
            env_tau_ms: 5.0,
            floor_dbfs: -60.0,
            theta_on_db: 3.0,
            theta_off_db: 3.0,
        }
    }
}

/// Signal units per PCM LSB (the chip's `2^SIGNAL_FRAC`).
pub const SIGNAL_SCALE: f64 = 256.0;

/// Mel of a frequency in Hz (O'Shaughnessy: `2595 log10(1 + f / 700)`).
pub fn hz_to_mel(f: f64) -> f64 {
    2595.0 * (1.0 + f / 700.0).log10()
}

/// Frequency in Hz of a mel value.
pub fn mel_to_hz(m: f64) -> f64 {
    700.0 * (10f64.powf(m / 2595.0) - 1.0)
}

/// One band's float section: `H(z) = b0 (1 - z^-2) / (1 + a1 z^-1 + a2 z^-2)`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Section {
    /// Centre frequency, Hz.
    pub fc: f64,
    /// Quality factor `fc / bandwidth`.
    pub q: f64,
    /// Numerator gain.
    pub b0: f64,
    /// First feedback coefficient (`a1`).
    pub a1: f64,
    /// Second feedback coefficient (`a2`).
    pub a2: f64,
}

impl Settings {
    /// The bands: `bands + 2` points evenly spaced in mel from `f_lo` to `f_hi`;
    /// band `k` is centred on point `k + 1` with a -3 dB bandwidth of half the span
    /// from point `k` to `k + 2` (the half-height width of the triangular mel
    /// filter it stands for), as an RBJ band-pass with 0 dB peak gain:
    /// `w0 = 2 pi fc / fs`, `alpha = sin(w0) / 2Q`, `b0 = alpha / (1 + alpha)`,
    /// `a1 = -2 cos(w0) / (1 + alpha)`, `a2 = (1 - alpha) / (1 + alpha)`.
    pub fn sections(&self) -> Vec<Section> {
        let (m_lo, m_hi) = (hz_to_mel(self.f_lo), hz_to_mel(self.f_hi));
        let n = self.bands;
        let point = |i: usize| mel_to_hz(m_lo + (m_hi - m_lo) * i as f64 / (n + 1) as f64);
        (0..n)
            .map(|k| {
                let fc = point(k + 1);
                let bw = 0.5 * (point(k + 2) - point(k));
                let q = fc / bw;
                let w0 = 2.0 * PI * fc / self.sample_rate;
                let alpha = w0.sin() / (2.0 * q);
                let a0 = 1.0 + alpha;
                Section {
                    fc,
                    q,
                    b0: alpha / a0,
                    a1: -2.0 * w0.cos() / a0,
                    a2: (1.0 - alpha) / a0,
                }
            })
            .collect()
    }

    /// The step, seconds.
    pub fn dt(&self) -> f64 {
        self.samples_per_step as f64 / self.sample_rate
    }

    /// The envelope low-pass gain `k = 1 - exp(-dt / tau)`.
    pub fn env_k(&self) -> f64 {
        1.0 - (-self.dt() * 1000.0 / self.env_tau_ms).exp()
    }

    /// The floor in signal units: `32768 * 10^(dBFS / 20) * 256`.
    pub fn floor(&self) -> f64 {
        32768.0 * 10f64.powf(self.floor_dbfs / 20.0) * SIGNAL_SCALE
    }

    /// A level change in dB as log2 units (octaves of amplitude): `dB / 20log10(2)`.
    pub fn db_to_log2(db: f64) -> f64 {
        db / (20.0 * 2f64.log10())
    }
}

/// One band's twin state.
#[derive(Clone, Copy, Debug, Default)]
struct Band {
    s: Section,
    y1: f64,
    y2: f64,
    e1: f64,
    e2: f64,
    level: f64,
    reference: f64,
}

/// The float twin of the chip's front end.
#[derive(Clone, Debug)]
pub struct Twin {
    pre: f64,
    k: f64,
    floor: f64,
    theta_on: f64,
    theta_off: f64,
    samples: usize,
    x1: f64,
    u1: f64,
    u2: f64,
    bands: Vec<Band>,
}

impl Twin {
    /// A twin at rest for `s`.
    pub fn new(s: &Settings) -> Self {
        let mut t = Self {
            pre: s.pre_emphasis,
            k: s.env_k(),
            floor: s.floor(),
            theta_on: Settings::db_to_log2(s.theta_on_db),
            theta_off: Settings::db_to_log2(s.theta_off_db),
            samples: s.samples_per_step,
            x1: 0.0,
            u1: 0.0,
            u2: 0.0,
            bands: s
                .sections()
                .into_iter()
                .map(|s| Band {
                    s,
                    ..Band::default()
                })
                .collect(),
        };
        t.reset();
        t
    }

    /// Back to rest.
    pub fn reset(&mut self) {
        let l = self.floor.log2();
        (self.x1, self.u1, self.u2) = (0.0, 0.0, 0.0);
        for b in &mut self.bands {
            *b = Band {
                s: b.s,
                level: l,
                reference: l,
                ..Band::default()
            };
        }
    }

    /// Number of bands.
    pub fn n_bands(&self) -> usize {
        self.bands.len()
    }

    /// Samples a step.
    pub fn samples_per_step(&self) -> usize {
        self.samples
    }

    /// Band `b`'s envelope (signal units) after the last step.
    pub fn envelope(&self, b: usize) -> f64 {
        self.bands[b].e2
    }

    /// Band `b`'s level (log2 of signal units) after the last step.
    pub fn level(&self, b: usize) -> f64 {
        self.bands[b].level
    }

    /// One step of `pcm` (any length; the chip takes exactly a step's samples):
    /// the spikes into `out`, ON of band `b` at `2b`, OFF at `2b + 1`.
    pub fn push(&mut self, pcm: &[i16], out: &mut [bool]) {
        let u: Vec<f64> = [self.u2, self.u1]
            .into_iter()
            .chain(pcm.iter().map(|&x| {
                let x = f64::from(x);
                let u = SIGNAL_SCALE * (x - self.pre * self.x1);
                self.x1 = x;
                u
            }))
            .collect();
        let n = u.len() - 2;
        self.u2 = u[n];
        self.u1 = u[n + 1];
        for (i, b) in self.bands.iter_mut().enumerate() {
            let mut sum = 0.0;
            for j in 0..n {
                let y = b.s.b0 * (u[j + 2] - u[j]) - b.s.a1 * b.y1 - b.s.a2 * b.y2;
                b.y2 = b.y1;
                b.y1 = y;
                sum += y.abs();
            }
            let m = sum / n.max(1) as f64;
            b.e1 += self.k * (m - b.e1);
            b.e2 += self.k * (b.e1 - b.e2);
            b.level = b.e2.max(self.floor).log2();
            let on = b.level >= b.reference + self.theta_on;
            let off = !on && b.level <= b.reference - self.theta_off;
            if on {
                b.reference += self.theta_on;
            } else if off {
                b.reference -= self.theta_off;
            }
            if let Some(o) = out.get_mut(2 * i) {
                *o = on;
            }
            if let Some(o) = out.get_mut(2 * i + 1) {
                *o = off;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_are_mel_spaced_and_peak_at_0_db() {
        let s = Settings::default();
        let sec = s.sections();
        assert_eq!(sec.len(), 32);
        assert!(sec[0].fc > 100.0 && sec[31].fc < 7600.0);
        for w in sec.windows(2) {
            let d = hz_to_mel(w[1].fc) - hz_to_mel(w[0].fc);
            assert!((d - (hz_to_mel(7600.0) - hz_to_mel(100.0)) / 33.0).abs() < 1e-9);
        }
        for b in &sec {
            // |H(e^jw0)| = 1 at the centre.
            let w = 2.0 * PI * b.fc / s.sample_rate;
            let (c1, s1, c2, s2) = (w.cos(), w.sin(), (2.0 * w).cos(), (2.0 * w).sin());
            let num = (b.b0 * (1.0 - c2), b.b0 * s2);
            let den = (1.0 + b.a1 * c1 + b.a2 * c2, -(b.a1 * s1 + b.a2 * s2));
            let g = (num.0.hypot(num.1)) / den.0.hypot(den.1);
            assert!((g - 1.0).abs() < 1e-9, "{}: {g}", b.fc);
        }
    }

    #[test]
    fn a_tone_lights_its_band() {
        let s = Settings::default();
        let mut t = Twin::new(&s);
        let f = t.bands[20].s.fc;
        let mut out = vec![false; 64];
        let mut n = 0usize;
        for step in 0..200 {
            let pcm: Vec<i16> = (0..16)
                .map(|i| {
                    let ph = 2.0 * PI * f * (step * 16 + i) as f64 / 16000.0;
                    (4000.0 * ph.sin()) as i16
                })
                .collect();
            t.push(&pcm, &mut out);
            n += out.iter().filter(|&&b| b).count();
        }
        let best = (0..32)
            .max_by(|&a, &b| t.envelope(a).total_cmp(&t.envelope(b)))
            .unwrap();
        assert_eq!(best, 20);
        assert!(n > 10);
    }
}
