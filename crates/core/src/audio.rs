//! The audio front end: 16 kHz PCM in, ON/OFF spikes per mel band out, once per chip
//! time step (a cochlea-like encoder that the firmware runs too).
//!
//! Per input sample (16 a step at 1 ms and 16 kHz):
//!
//! 1. **Input and pre-emphasis** (once per sample, shared by the bands):
//!    `u[n] = round((x[n] * 2^15 - pre * x[n-1]) / 2^7)`: the PCM sample `x` (`i16`)
//!    in *signal units* of `2^-8` PCM LSB ([`Signal`]), with a first-order
//!    high-pass `1 - pre z^-1` (`pre` Q1.15, 0 = off) that lifts the weak upper
//!    formants. `|u| < 2^24`.
//! 2. **Band-pass filter bank** (per band, per sample): one second-order IIR section
//!    (RBJ band-pass, 0 dB peak) in direct form I with error feedback,
//!    `acc = b0 (u[n] - u[n-2]) + c1 y[n-1] + c2 y[n-2] + f[n-1]`,
//!    `y[n] = floor(acc / 2^30)` saturated to `i32`, `f[n] = acc mod 2^30` (the
//!    fraction the floor dropped, carried into the next sample: no zero-input limit
//!    cycles, no rounding bias). The band-pass numerator `b0 (1 - z^-2)` costs one
//!    multiply, so a band is three 32x32+64 multiply-accumulates per sample (one
//!    `SMLAL` each on a Cortex-M4). The coefficients ([`Band`], Q2.30: `c1 = -a1`,
//!    `c2 = -a2`) are computed on the host from mel-spaced centres and handed in as
//!    integers; the input history `u[n-1], u[n-2]` is shared by every band.
//! 3. **Rectify and decimate** (per band): `s = sum |y|` over the step's samples,
//!    then the step mean `m = round(s / 2^step_shift)`.
//! 4. **Envelope** (per band, per step): two cascaded first-order low-passes,
//!    `e1 += round(k (m - e1) / 2^15)`, `e2 += round(k (e1 - e2) / 2^15)`, with
//!    `k = 1 - exp(-dt / tau)` in Q1.15 ([`Envelope`], signal units, saturating at
//!    0 and `u32::MAX`). Two stages take the rectified ripple of the low bands
//!    (twice the band's frequency) down without slowing the onsets much.
//! 5. **Log compression** (per band, per step): `L = log2(max(e2, floor))` in
//!    Q16.16 ([`Level`]): the position of the leading one, and the fraction from a
//!    33-entry table of `log2(1 + i/32)` interpolated linearly (error below
//!    `2e-4`, i.e. `0.001 dB`).
//! 6. **Spike code** (per band, per step): a delta modulator on the level. Each band
//!    keeps a reference `r` (starting at `log2(floor)`). If `L >= r + theta_on` the
//!    band's ON channel spikes and `r += theta_on`; else if `L <= r - theta_off` its
//!    OFF channel spikes and `r -= theta_off`. At most one spike per channel and
//!    step, so a rise of `D` (log2 units) gives about `D / theta_on` ON spikes spread
//!    over as many steps: the code carries the envelope's changes, in both
//!    directions, independent of the absolute loudness; below the floor it is silent.
//!
//! Channel `2b` is band `b`'s ON channel and `2b + 1` its OFF channel, so `n_bands`
//! bands give `2 n_bands` input channels.
//!
//! # Arithmetic
//! Every sum provably fits its width, so the wrapping operations below never wrap
//! (each says why), and the only saturation is the one the format asks for (the
//! band output to `i32`, the envelope to `u32`, the level reference). The products
//! of one band are at most `2^30 * 2^25 + 2^31 * 2^31 + 2^30 * 2^31 < 2^63` even
//! with saturated outputs, so an `i64` accumulator holds them with the carried
//! fraction (`< 2^30`). Debug and release
//! builds, x86-64 and thumbv7em compute the same bits.
//!
//! # Cost
//! Per sample and band: three `SMLAL`, the shift and the clamp of the 64-bit sum to
//! 32 bits, the fraction kept, an absolute value and a 64-bit add: about 26
//! Cortex-M4 instructions as `rustc` compiles it for thumbv7em (release, the sample
//! loop unrolled four times; counted in the disassembly, not yet run). The bands
//! are the outer loop, so a band's coefficients and state stay in registers for the
//! step's 16 samples. Per step and band: two envelope updates, one log and two
//! comparisons (about 80 instructions). 32 bands at 1 ms: about 16,000
//! instructions a step, 16 MHz for real time (`make qemu-cost` is to measure it
//! once the firmware runs the front end).

use crate::memory::Bits;

/// Most bands a front end holds (state and coefficients are fixed arrays of this
/// length, about 2.6 KB in all, so the firmware keeps a front end in a static).
pub const MAX_BANDS: usize = 64;
/// Most samples a step: `2^MAX_STEP_SHIFT` (64, 4 ms at 16 kHz).
pub const MAX_STEP_SHIFT: u8 = 6;
/// Fractional bits of the filter coefficients ([`Coeff`], Q2.30).
pub const COEFF_FRAC: u32 = 30;
/// Fractional bits of a signal against the PCM LSB ([`Signal`]).
pub const SIGNAL_FRAC: u32 = 8;
/// Fractional bits of a log level ([`Level`], Q16.16).
pub const LEVEL_FRAC: u32 = 16;
/// The fraction a band output drops (`2^30 - 1`), saved for the next sample.
const FRACTION_MASK: i64 = (1 << COEFF_FRAC) - 1;
/// One in a Q1.15 gain ([`Gain`]).
pub const GAIN_ONE: u16 = 1 << 15;
/// The largest threshold: 16 octaves of envelope (log2 units, Q16.16).
pub const MAX_THRESHOLD: Level = 16 << LEVEL_FRAC;

/// A PCM sample: signed 16-bit, full scale `±32768`.
pub type Pcm = i16;
/// A filter coefficient: signed 32-bit, Q2.30 (`[-2, 2)`), fixed when the front end
/// is configured.
pub type Coeff = i32;
/// A band signal: signed 32-bit in units of `2^-8` PCM LSB (Q23.8 against the PCM
/// scale), saturating at `i32::MIN..=i32::MAX`.
pub type Signal = i32;
/// A band envelope: unsigned 32-bit, signal units (`2^-8` PCM LSB), saturating at
/// `0..=u32::MAX`.
pub type Envelope = u32;
/// A log level, `log2` of an envelope in signal units: unsigned Q16.16, values
/// `0..32 << 16`; the spike reference and thresholds use it too.
pub type Level = u32;
/// A gain or decay in `[0, 1]`: unsigned Q1.15 (raw `0..=32768`).
pub type Gain = u16;

/// One band's second-order section: `H(z) = b0 (1 - z^-2) / (1 - c1 z^-1 - c2 z^-2)`,
/// every coefficient Q2.30.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Band {
    /// Numerator gain `b0` (the RBJ band-pass's `alpha / a0`), `|b0| <= 1`.
    pub b0: Coeff,
    /// Feedback on `y[n-1]`: `c1 = -a1 = 2 cos(w0) / a0`.
    pub c1: Coeff,
    /// Feedback on `y[n-2]`: `c2 = -a2 = -(1 - alpha) / a0`.
    pub c2: Coeff,
}

/// The per-step settings of a front end, plain integers (the host computes them
/// from real units; `neurochip_emu::audio`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Settings {
    /// Samples a step are `2^step_shift`: `0..=6` (4 = 16 samples, 1 ms at 16 kHz).
    pub step_shift: u8,
    /// Pre-emphasis `pre`, Q1.15, `0..=32767` (0 = none; 0.97 = 31785).
    pub pre: Gain,
    /// Envelope low-pass gain `k = 1 - exp(-dt/tau)`, Q1.15, `1..=32768`.
    pub env_k: Gain,
    /// Envelope floor in signal units, `1..=2^31`: quieter is silence.
    pub floor: Envelope,
    /// Rise of the level that makes an ON spike, Q16.16 log2 units, `1..=16 << 16`.
    pub theta_on: Level,
    /// Fall of the level that makes an OFF spike, as `theta_on`.
    pub theta_off: Level,
}

impl Default for Settings {
    /// 1 ms steps at 16 kHz, pre-emphasis 0.97, `tau = 5 ms` per stage, floor at
    /// -60 dBFS (mean |x| of 32.8 LSB), thresholds of 3 dB (0.498 octave).
    fn default() -> Self {
        Self {
            step_shift: 4,
            pre: 31785,
            env_k: 5940,
            floor: 8389,
            theta_on: 32656,
            theta_off: 32656,
        }
    }
}

/// Why a front-end configuration or a step was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AudioError {
    /// Number of bands outside `1..=MAX_BANDS`.
    #[error("audio bands = {0}; allowed 1..={MAX_BANDS}")]
    Bands(usize),
    /// `step_shift` above [`MAX_STEP_SHIFT`].
    #[error("audio step_shift = {0}; allowed 0..={MAX_STEP_SHIFT}")]
    StepShift(u8),
    /// Pre-emphasis at or above 1 (32768).
    #[error("audio pre-emphasis = {0} (Q1.15); allowed 0..=32767")]
    PreEmphasis(Gain),
    /// Envelope gain 0 or above 1.
    #[error("audio envelope gain = {0} (Q1.15); allowed 1..=32768")]
    EnvGain(Gain),
    /// Floor 0 or above `2^31`.
    #[error("audio floor = {0}; allowed 1..=2147483648")]
    Floor(Envelope),
    /// A threshold 0 or above [`MAX_THRESHOLD`] (`on` says which).
    #[error(
        "audio theta_{} = {value} (Q16.16); allowed 1..={MAX_THRESHOLD}",
        if *.on { "on" } else { "off" }
    )]
    Threshold {
        /// The ON threshold (else the OFF one).
        on: bool,
        /// Its value.
        value: Level,
    },
    /// A band's numerator gain above 1 in magnitude.
    #[error("audio band {band}: b0 = {b0} (Q2.30); allowed -1073741824..=1073741824")]
    Gain {
        /// The band.
        band: usize,
        /// Its `b0`.
        b0: Coeff,
    },
    /// A band whose poles are not inside the unit circle (`|a2| < 1` and
    /// `|a1| < 1 + a2` fail).
    #[error(
        "audio band {band}: poles outside the unit circle; allowed |a2| < 1 and |a1| < 1 + a2"
    )]
    Unstable {
        /// The band.
        band: usize,
    },
    /// A step's PCM slice of the wrong length.
    #[error("audio step of {got} samples; allowed exactly {want}")]
    PcmLength {
        /// Samples given.
        got: usize,
        /// Samples a step.
        want: usize,
    },
    /// A spike buffer shorter than the channels.
    #[error("audio spike buffer of {got} bits; allowed at least {want}")]
    OutputLength {
        /// Bits given.
        got: usize,
        /// Channels (`2 * bands`).
        want: usize,
    },
}

/// A checked front-end configuration: coefficients and settings that passed
/// [`Config::new`]; a [`FrontEnd`] built from it cannot fail except on a wrongly
/// sized step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Config {
    bands: [Band; MAX_BANDS],
    n_bands: usize,
    settings: Settings,
}

impl Config {
    /// Check `bands` (1 to [`MAX_BANDS`] of them, each stable with `|b0| <= 1`) and
    /// `settings` (ranges on [`Settings`]' fields).
    pub fn new(bands: &[Band], settings: Settings) -> Result<Self, AudioError> {
        let n = bands.len();
        if n == 0 || n > MAX_BANDS {
            return Err(AudioError::Bands(n));
        }
        let s = settings;
        if s.step_shift > MAX_STEP_SHIFT {
            return Err(AudioError::StepShift(s.step_shift));
        }
        if s.pre >= GAIN_ONE {
            return Err(AudioError::PreEmphasis(s.pre));
        }
        if s.env_k == 0 || s.env_k > GAIN_ONE {
            return Err(AudioError::EnvGain(s.env_k));
        }
        if s.floor == 0 || s.floor > 1 << 31 {
            return Err(AudioError::Floor(s.floor));
        }
        for (on, value) in [(true, s.theta_on), (false, s.theta_off)] {
            if value == 0 || value > MAX_THRESHOLD {
                return Err(AudioError::Threshold { on, value });
            }
        }
        let one = 1i64 << COEFF_FRAC;
        let mut table = [Band::default(); MAX_BANDS];
        for (band, (slot, b)) in table.iter_mut().zip(bands).enumerate() {
            if i64::from(b.b0).abs() > one {
                return Err(AudioError::Gain { band, b0: b.b0 });
            }
            // a1 = -c1, a2 = -c2 (all Q2.30 in i64: no overflow).
            let a2 = i64::from(b.c2).wrapping_neg();
            let a1 = i64::from(b.c1).wrapping_neg();
            if a2.abs() >= one || a1.abs() >= one.wrapping_add(a2) {
                return Err(AudioError::Unstable { band });
            }
            *slot = *b;
        }
        Ok(Self {
            bands: table,
            n_bands: n,
            settings,
        })
    }

    /// Number of bands.
    pub fn n_bands(&self) -> usize {
        self.n_bands
    }

    /// Input channels of the spike code: `2 * n_bands` (ON, OFF per band).
    pub fn n_channels(&self) -> usize {
        self.n_bands.wrapping_mul(2)
    }

    /// Samples a step: `2^step_shift`.
    pub fn samples_per_step(&self) -> usize {
        1usize << self.settings.step_shift
    }

    /// The settings.
    pub fn settings(&self) -> Settings {
        self.settings
    }

    /// The bands' coefficients.
    pub fn bands(&self) -> &[Band] {
        self.bands.get(..self.n_bands).unwrap_or(&[])
    }
}

/// One band's state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
struct State {
    y1: Signal,
    y2: Signal,
    rest: u32,
    e1: Envelope,
    e2: Envelope,
    level: Level,
    reference: Level,
}

/// The front end: a [`Config`] and its state (input history and, per band, filter
/// outputs, envelopes, level and spike reference). No allocation; about 2.6 KB.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FrontEnd {
    cfg: Config,
    x1: Pcm,
    u1: Signal,
    u2: Signal,
    state: [State; MAX_BANDS],
}

/// `log2(1 + i/32)` in Q0.16, `i = 0..=32` (nearest).
const LOG2_TABLE: [u32; 33] = [
    0, 2909, 5732, 8473, 11136, 13727, 16248, 18704, 21098, 23433, 25711, 27936, 30109, 32234,
    34312, 36346, 38336, 40286, 42196, 44068, 45904, 47705, 49472, 51207, 52911, 54584, 56229,
    57845, 59434, 60997, 62534, 64047, 65536,
];

/// `log2(e)` in Q16.16 for `e >= 1` (0 for 0): the leading one's position, and the
/// next 21 bits' fraction by linear interpolation in `LOG2_TABLE`.
pub fn log2_q16(e: Envelope) -> Level {
    if e == 0 {
        return 0;
    }
    let lz = e.leading_zeros();
    let int = 31u32.wrapping_sub(lz);
    let m = e << lz; // leading one at bit 31
    let idx = ((m >> 26) & 31) as usize;
    let frac = (m >> 10) & 0xFFFF;
    let lo = LOG2_TABLE.get(idx).copied().unwrap_or(0);
    let hi = LOG2_TABLE.get(idx.wrapping_add(1)).copied().unwrap_or(lo);
    // hi - lo < 2^12 and frac < 2^16: the product fits u32; rounded to nearest.
    let step = hi.wrapping_sub(lo).wrapping_mul(frac).wrapping_add(1 << 15) >> 16;
    (int << LEVEL_FRAC).wrapping_add(lo).wrapping_add(step)
}

/// One low-pass update `e + round(k (target - e) / 2^15)`, saturated to `u32`.
#[inline]
fn smooth(e: Envelope, target: Envelope, k: Gain) -> Envelope {
    // |target - e| < 2^32 and k <= 2^15: the product is below 2^47.
    let d = i64::from(target).wrapping_sub(i64::from(e));
    let step = i64::from(k).wrapping_mul(d).wrapping_add(1 << 14) >> 15;
    let v = i64::from(e).wrapping_add(step);
    v.clamp(0, i64::from(u32::MAX)) as u32
}

impl FrontEnd {
    /// A front end at rest: zero history, envelopes 0, references at the floor.
    pub fn new(cfg: &Config) -> Self {
        let mut fe = Self {
            cfg: *cfg,
            x1: 0,
            u1: 0,
            u2: 0,
            state: [State::default(); MAX_BANDS],
        };
        fe.reset();
        fe
    }

    /// Back to rest (between clips).
    pub fn reset(&mut self) {
        let floor = log2_q16(self.cfg.settings.floor);
        self.x1 = 0;
        self.u1 = 0;
        self.u2 = 0;
        for s in self.state.iter_mut() {
            *s = State {
                level: floor,
                reference: floor,
                ..State::default()
            };
        }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.cfg
    }

    /// Band `b`'s envelope after the last step (0 for a band past the configured ones).
    pub fn envelope(&self, b: usize) -> Envelope {
        self.state.get(b).map_or(0, |s| s.e2)
    }

    /// Band `b`'s log level after the last step, `log2(max(envelope, floor))`.
    pub fn level(&self, b: usize) -> Level {
        self.state.get(b).map_or(0, |s| s.level)
    }

    /// One step: `pcm` holds exactly [`Config::samples_per_step`] samples; the spikes
    /// go to the first [`Config::n_channels`] bits of `out` (ON of band `b` at `2b`,
    /// OFF at `2b + 1`) and any further bits are cleared. Returns the number of spikes.
    pub fn push(&mut self, pcm: &[Pcm], out: &mut Bits) -> Result<u32, AudioError> {
        let want = self.cfg.samples_per_step();
        if pcm.len() != want {
            return Err(AudioError::PcmLength {
                got: pcm.len(),
                want,
            });
        }
        let channels = self.cfg.n_channels();
        if out.len() < channels {
            return Err(AudioError::OutputLength {
                got: out.len(),
                want: channels,
            });
        }
        let s = self.cfg.settings;
        // u[0], u[1] = u[n-2], u[n-1]; then this step's samples.
        let mut u = [0 as Signal; (1 << MAX_STEP_SHIFT) + 2];
        let [u_a, u_b, rest @ ..] = &mut u;
        *u_a = self.u2;
        *u_b = self.u1;
        let mut x1 = i32::from(self.x1);
        let pre = i32::from(s.pre);
        for (slot, &x) in rest.iter_mut().zip(pcm) {
            let x = i32::from(x);
            // |x * 2^15| <= 2^30 and |pre * x1| < 2^30: no wrap, |v| < 2^31 - 2^16.
            let v = x.wrapping_mul(1 << 15).wrapping_sub(pre.wrapping_mul(x1));
            *slot = v.wrapping_add(1 << 6) >> 7;
            x1 = x;
        }
        self.x1 = x1 as Pcm;
        let n = want;
        let u = u.get(..n.wrapping_add(2)).unwrap_or(&[]);
        if let [.., p, q] = u {
            self.u2 = *p;
            self.u1 = *q;
        }
        let floor = s.floor;
        let mut spikes = 0u32;
        let bands = self.cfg.bands.iter().take(self.cfg.n_bands);
        let mut slots = out.iter_mut();
        for (b, st) in bands.zip(self.state.iter_mut()) {
            // 32-bit operands into a 64-bit accumulator: one SMULL/SMLAL each on a
            // Cortex-M4.
            let wide = |a: i32, b: i32| i64::from(a).wrapping_mul(i64::from(b));
            let (mut y1, mut y2, mut rest) = (st.y1, st.y2, st.rest);
            let mut sum = 0u64;
            for (old, new) in u.iter().zip(u.iter().skip(2)) {
                // |u| < 2^24, so |dx| < 2^25; products < 2^55, 2^62, 2^61, and the
                // saved fraction < 2^30: the sum fits i64.
                let dx = new.wrapping_sub(*old);
                let acc = wide(b.b0, dx)
                    .wrapping_add(wide(b.c1, y1))
                    .wrapping_add(wide(b.c2, y2))
                    .wrapping_add(i64::from(rest));
                // Floor, and the fraction it dropped goes into the next sample
                // (error feedback: no zero-input limit cycles, no bias).
                let y = floor_sat(acc);
                rest = (acc & FRACTION_MASK) as u32;
                y2 = y1;
                y1 = y;
                // |y| <= 2^31 and at most 64 samples: below 2^37.
                sum = sum.wrapping_add(u64::from(y.unsigned_abs()));
            }
            st.y1 = y1;
            st.y2 = y2;
            st.rest = rest;
            // Mean over the step, rounded; at most 2^31.
            let half = (1u64 << s.step_shift) >> 1;
            let m = (sum.wrapping_add(half) >> s.step_shift).min(u64::from(u32::MAX)) as u32;
            st.e1 = smooth(st.e1, m, s.env_k);
            st.e2 = smooth(st.e2, st.e1, s.env_k);
            let level = log2_q16(st.e2.max(floor));
            st.level = level;
            let on = level >= st.reference.saturating_add(s.theta_on);
            let off = !on && level.saturating_add(s.theta_off) <= st.reference;
            if on {
                st.reference = st.reference.saturating_add(s.theta_on);
            } else if off {
                st.reference = st.reference.saturating_sub(s.theta_off);
            }
            spikes = spikes
                .wrapping_add(u32::from(on))
                .wrapping_add(u32::from(off));
            if let Some(mut bit) = slots.next() {
                *bit = on;
            }
            if let Some(mut bit) = slots.next() {
                *bit = off;
            }
        }
        for mut bit in slots {
            *bit = false;
        }
        Ok(spikes)
    }
}

/// `acc >> COEFF_FRAC` (30) saturated to `i32`, from the high word of `acc`: the
/// shift fits exactly when the high word `h` fits 30 bits (`4h + (lo >> 30)`), else
/// it saturates by the sign of `h`. One saturating instruction on a Cortex-M4
/// (`SSAT`) in place of a 64-bit compare each way: the front end's filter loop
/// runs this once a sample and band.
#[inline(always)]
fn floor_sat(acc: i64) -> i32 {
    const _: () = assert!(COEFF_FRAC == 30);
    let hi = (acc >> 32) as i32;
    if hi.clamp(-(1 << 29), (1 << 29) - 1) == hi {
        hi.wrapping_shl(2) | ((acc as u32) >> 30) as i32
    } else {
        (hi >> 31) ^ i32::MAX
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitvec::prelude::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn floor_sat_is_the_clamped_shift(acc in any::<i64>(), near in -(1i64 << 33)..(1i64 << 33)) {
            for a in [acc, near << 30, (near << 30) | 0x3FFF_FFFF, near] {
                let want = (a >> COEFF_FRAC).clamp(i64::from(i32::MIN), i64::from(i32::MAX));
                prop_assert_eq!(i64::from(floor_sat(a)), want, "{}", a);
            }
        }
    }

    #[test]
    fn floor_sat_at_the_edges() {
        for a in [
            i64::MIN,
            i64::MAX,
            0,
            -1,
            1 << 61,
            -(1 << 61),
            (1 << 61) - 1,
            -(1 << 61) - 1,
        ] {
            let want = (a >> COEFF_FRAC).clamp(i64::from(i32::MIN), i64::from(i32::MAX));
            assert_eq!(i64::from(floor_sat(a)), want, "{a}");
        }
    }

    #[test]
    fn log_table_is_log2() {
        for (i, &v) in LOG2_TABLE.iter().enumerate() {
            let f = (1.0 + i as f64 / 32.0).log2() * 65536.0;
            assert!((f - f64::from(v)).abs() <= 0.5, "{i}");
        }
        for e in [
            1u32,
            2,
            3,
            5,
            1000,
            8389,
            65535,
            1 << 20,
            123_456_789,
            u32::MAX,
        ] {
            let want = f64::from(e).log2();
            let got = f64::from(log2_q16(e)) / 65536.0;
            assert!((want - got).abs() < 2.5e-4, "{e}: {want} {got}");
        }
    }

    #[test]
    fn refuses_bad_settings_with_a_line() {
        let ok = [Band {
            b0: 1 << 20,
            c1: 1 << 30,
            c2: -(1 << 29),
        }];
        assert!(Config::new(&ok, Settings::default()).is_ok());
        let e = Config::new(&[], Settings::default()).unwrap_err();
        assert_eq!(e.to_string(), "audio bands = 0; allowed 1..=64");
        let bad = [Band {
            b0: 0,
            c1: 0,
            c2: 1 << 30,
        }];
        assert_eq!(
            Config::new(&bad, Settings::default()).unwrap_err(),
            AudioError::Unstable { band: 0 }
        );
        let s = Settings {
            theta_off: 0,
            ..Settings::default()
        };
        assert_eq!(
            Config::new(&ok, s).unwrap_err().to_string(),
            "audio theta_off = 0 (Q16.16); allowed 1..=1048576"
        );
        let cfg = Config::new(&ok, Settings::default()).unwrap();
        let mut fe = FrontEnd::new(&cfg);
        let mut out = bitarr![u32, Lsb0; 0; 32];
        assert_eq!(
            fe.push(&[0; 15], &mut out).unwrap_err(),
            AudioError::PcmLength { got: 15, want: 16 }
        );
        assert_eq!(
            fe.push(&[0; 16], &mut out[..1]).unwrap_err(),
            AudioError::OutputLength { got: 1, want: 2 }
        );
    }

    #[test]
    fn silence_is_silent_and_a_tone_spikes_on_then_off() {
        // One band near 1 kHz (w0 = 2 pi / 16, Q = 4), built in f64 here.
        let w0 = core::f64::consts::PI / 8.0;
        let alpha = w0.sin() / 8.0;
        let a0 = 1.0 + alpha;
        let q = |v: f64| (v * f64::from(1u32 << 30)).round() as i32;
        let band = Band {
            b0: q(alpha / a0),
            c1: q(2.0 * w0.cos() / a0),
            c2: q(-(1.0 - alpha) / a0),
        };
        let cfg = Config::new(&[band], Settings::default()).unwrap();
        let mut fe = FrontEnd::new(&cfg);
        let mut out = bitarr![u32, Lsb0; 1; 32];
        let (mut on, mut off) = (0, 0);
        for _ in 0..50 {
            assert_eq!(fe.push(&[0; 16], &mut out).unwrap(), 0);
        }
        assert!(out.not_any());
        for t in 0..300 {
            let pcm: [i16; 16] = core::array::from_fn(|i| {
                let n = (t * 16 + i) as f64;
                if t < 150 {
                    (8000.0 * (w0 * n).sin()) as i16
                } else {
                    0
                }
            });
            fe.push(&pcm, &mut out).unwrap();
            on += usize::from(out[0]);
            off += usize::from(out[1]);
        }
        // From the floor (-60 dBFS) to about -15 dBFS and back: some 15 spikes each way.
        assert!((10..=20).contains(&on), "{on}");
        assert!((10..=20).contains(&off), "{off}");
    }
}
