//! The semantic check of chip images and snapshots: a file whose header, CRC and
//! configuration check can still hold values no chip reaches. Every reader runs the
//! same check after loading the memories (`crate::image::Decoded::load`,
//! `crate::persist::restore_with`), so `neurochip inspect`, `neurochip run-image`,
//! `--resume` and the firmware's boot refuse the same files, each with one
//! [`Invalid`] that names the place, the index, the value and what is allowed.
//!
//! What is checked ([`check_memory`]), each an invariant the datapath keeps (a state
//! that passes, stepped and trained, passes again: the `step` fuzz target holds it).
//! The LIF neuron pass relies on `v` and `thr` in the membrane format to choose
//! 32-bit sums without reading them (`neuron::Plain::fits_32`), and the trace
//! update on traces in their format (`trace::decay_add`):
//!
//! | region | allowed |
//! |---|---|
//! | `w_in`, `w_rec`, `w_out`, `b_fb` | the weight format |
//! | a synapse whose mask bit is clear | weight 0 (the builder writes 0, learning and rewiring never change it), and update accumulator `g_*` 0 (sample mode) |
//! | `w_rec` under Dale's law (`learning.dale`) | `>= 0` in the rows of excitatory neurons (`exc` set), `<= 0` in the others |
//! | `v`, `thr`, `beta` | the membrane format |
//! | `beta` of a chip without adaptive neurons (`alif` off) | 0 (the builder writes 0; the neuron pass then does not read it) |
//! | `refr` | `0..=refractory` |
//! | `acc_in`, `acc_rec`, `acc_out` | the sum of the layer's fan-in of weights: `fan_in * weight min ..= fan_in * weight max` |
//! | `y`, `bias` | the readout format |
//! | `ebar_*`, `eps_*` | the eligibility format |
//! | `alpha`, `rho`, `kappa` | a decay factor in `[0, 1]`: Q1.15 raw `0..=32768` |
//! | `xbar`, `zbar`, `zk` | the trace format, unsigned |
//! | `psi` | U4F12: `0..=65535` |
//! | `tclass`, `kclass` | a class index: `0..C` and `0..K` (`crate::classes`) |
//! | bits past the end of `z`, `exc`, `mask_*` in their last word | 0 ([`check_padding`]) |
//!
//! Not checked, because every value is one the datapath can hold: the adaptation
//! variable `b` and the rate estimate `rbar` (Q16.16, saturating at `u32::MAX`), the
//! pseudo-derivative gain, the learning signals `l` and errors `err` (saturating
//! `i32`), the update accumulators `g_*` of connected synapses, spike and
//! excitatory bits.
//!
//! Snapshot counters ([`check_counters`]): the epoch counter within
//! [`crate::ranges::EPOCHS_DONE`] and at most the step counter (every epoch takes at
//! least one step); [`check_room`] refuses a step counter that a plan would wrap.

use core::fmt;

use crate::config::ChipConfig;
use crate::format::{Format, DECAY_FRAC};
use crate::memory::{Bits, Layout, Memory};
use crate::ranges;

/// A number as a refusal shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Value {
    /// A signed integer.
    Int(i64),
    /// A count or a counter.
    Count(u64),
    /// An `f32`, as its bits (so the type stays `Eq`).
    Real(u32),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Value::Int(v) => write!(f, "{v}"),
            Value::Count(v) => write!(f, "{v}"),
            Value::Real(b) => real(f, f32::from_bits(b)),
        }
    }
}

/// `x` in decimal to the thousandth, with `~` when that rounds it, without the
/// float formatting of `core::fmt` (which would add kilobytes to the firmware).
fn real(f: &mut fmt::Formatter<'_>, x: f32) -> fmt::Result {
    if x.is_nan() {
        return f.write_str("NaN");
    }
    let sign = if x.is_sign_negative() { "-" } else { "" };
    let scaled = x.abs() * 1000.0;
    if scaled >= 1e18 {
        return write!(f, "{sign}1e15 or more");
    }
    // Below 1e18 the conversion is exact up to the f32's own precision.
    let milli = scaled as u64;
    let approx = if milli as f32 == scaled { "" } else { "~" };
    let (int, frac) = (milli / 1000, milli % 1000);
    write!(f, "{approx}{sign}{int}")?;
    if frac != 0 {
        let mut digits = frac;
        let mut width = 3usize;
        while digits % 10 == 0 {
            digits /= 10;
            width = width.saturating_sub(1);
        }
        write!(f, ".{digits:0width$}")?;
    }
    Ok(())
}

/// What a refused value may be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Allowed {
    /// `lo..=hi`.
    Range(i64, i64),
    /// `0..=hi`.
    UpTo(u64),
    /// A rule in words.
    Text(&'static str),
}

impl fmt::Display for Allowed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Allowed::Range(lo, hi) => write!(f, "{lo}..={hi}"),
            Allowed::UpTo(hi) => write!(f, "0..={hi}"),
            Allowed::Text(t) => f.write_str(t),
        }
    }
}

/// A value a chip image or snapshot holds that no chip can: one line,
/// `PLACE KEY[INDEX] = VALUE: RULE; allowed ALLOWED`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub struct Invalid {
    /// Where, with its separator: `"arena "`, `"app.plan."`, `"snapshot "`.
    pub place: &'static str,
    /// The field or memory region: `"w_in"`, `"test_samples"`.
    pub key: &'static str,
    /// The element of a region or list.
    pub index: Option<usize>,
    /// The value found.
    pub value: Value,
    /// Why it is refused.
    pub rule: &'static str,
    /// What is allowed.
    pub allowed: Allowed,
}

impl Invalid {
    /// A refused integer field.
    pub const fn int(
        place: &'static str,
        key: &'static str,
        value: i64,
        rule: &'static str,
        lo: i64,
        hi: i64,
    ) -> Self {
        Self {
            place,
            key,
            index: None,
            value: Value::Int(value),
            rule,
            allowed: Allowed::Range(lo, hi),
        }
    }

    /// The same refusal at element `index`.
    pub const fn at(mut self, index: usize) -> Self {
        self.index = Some(index);
        self
    }
}

// Written by hand: `[INDEX]` only when there is an index, which an `#[error]`
// format string cannot say.
impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.place, self.key)?;
        if let Some(i) = self.index {
            write!(f, "[{i}]")?;
        }
        write!(
            f,
            " = {}: {}; allowed {}",
            self.value, self.rule, self.allowed
        )
    }
}

/// `Ok` when `range` admits `v`, else the refusal of `key` (a [`ranges`] key:
/// `"train.epochs"`) found at `place` + `field`.
pub fn in_range(
    place: &'static str,
    field: &'static str,
    v: i64,
    range: ranges::Range,
    rule: &'static str,
) -> Result<(), Invalid> {
    if range.admits(v) {
        Ok(())
    } else {
        Err(Invalid::int(place, field, v, rule, range.lo, range.hi))
    }
}

const ARENA: &str = "arena ";

/// The first element of `s` outside `lo..=hi`, as a refusal of region `key`.
fn each<T: Copy + Into<i64>>(
    key: &'static str,
    s: &[T],
    lo: i64,
    hi: i64,
    rule: &'static str,
) -> Result<(), Invalid> {
    match s
        .iter()
        .map(|&x| x.into())
        .enumerate()
        .find(|&(_, v)| v < lo || v > hi)
    {
        Some((i, v)) => Err(Invalid::int(ARENA, key, v, rule, lo, hi).at(i)),
        None => Ok(()),
    }
}

fn in_format<T: Copy + Into<i64>>(
    keys: &[(&'static str, &[T])],
    f: Format,
    rule: &'static str,
) -> Result<(), Invalid> {
    for &(key, s) in keys {
        each(key, s, f.min().into(), f.max().into(), rule)?;
    }
    Ok(())
}

/// A synapse its mask switches off holds 0 in `w` (its weight, or its update
/// accumulator).
fn masked_zero<T: Copy + Into<i64>>(
    key: &'static str,
    w: &[T],
    mask: &Bits,
    rule: &'static str,
) -> Result<(), Invalid> {
    let bad = w
        .iter()
        .map(|&x| x.into())
        .zip(mask.iter().by_vals())
        .enumerate()
        .find(|&(_, (x, on))| !on && x != 0);
    match bad {
        Some((i, (x, _))) => Err(Invalid::int(ARENA, key, x, rule, 0, 0).at(i)),
        None => Ok(()),
    }
}

/// Dale's law: row `i` of `w_rec` (the weights out of neuron `i`) keeps the sign of
/// `exc[i]`.
fn dale(w_rec: &[i16], exc: &Bits, n: usize, wf: Format) -> Result<(), Invalid> {
    let n = n.max(1);
    for (i, (row, e)) in w_rec.chunks(n).zip(exc.iter().by_vals()).enumerate() {
        let bad = row
            .iter()
            .enumerate()
            .find(|&(_, &x)| if e { x < 0 } else { x > 0 });
        if let Some((j, &x)) = bad {
            let (lo, hi, rule) = if e {
                (
                    0,
                    wf.max().into(),
                    "Dale's law (learning.dale): the neuron of this row is excitatory (exc bit set), its weights are >= 0",
                )
            } else {
                (
                    wf.min().into(),
                    0,
                    "Dale's law (learning.dale): the neuron of this row is inhibitory (exc bit clear), its weights are <= 0",
                )
            };
            let k = i.saturating_mul(n).saturating_add(j);
            return Err(Invalid::int(ARENA, "w_rec", x.into(), rule, lo, hi).at(k));
        }
    }
    Ok(())
}

/// The largest raw value of a decay factor: 1.0 in Q1.15.
pub const DECAY_ONE: u32 = 1 << DECAY_FRAC;

/// The largest raw pseudo-derivative (U4F12 in 16 bits).
pub const PSI_MAX: u32 = u16::MAX as u32;

/// Check every value of `mem` against what the chip of `cfg` can hold (the table in
/// the module docs). Returns the first value refused.
pub fn check_memory(cfg: &ChipConfig, mem: &Memory<'_>) -> Result<(), Invalid> {
    let f = cfg.formats();
    let (wf, mf, rf, tf) = (f.weight, f.membrane, f.readout, f.trace);
    let ef = cfg.learning().elig;
    let l = mem.layout;
    let weights = [
        ("w_in", &*mem.w_in),
        ("w_rec", &*mem.w_rec),
        ("w_out", &*mem.w_out),
        ("b_fb", &*mem.b_fb),
    ];
    in_format(&weights, wf, "outside the weight format")?;
    const OFF: &str = "the synapse's mask bit is clear (no connection), so its weight is 0";
    masked_zero("w_in", mem.w_in, mem.mask_in, OFF)?;
    masked_zero("w_rec", mem.w_rec, mem.mask_rec, OFF)?;
    masked_zero("w_out", mem.w_out, mem.mask_out, OFF)?;
    const G: &str =
        "the synapse's mask bit is clear (no connection), so its update accumulator is 0";
    masked_zero("g_in", mem.g_in, mem.mask_in, G)?;
    masked_zero("g_rec", mem.g_rec, mem.mask_rec, G)?;
    masked_zero("g_out", mem.g_out, mem.mask_out, G)?;
    if cfg.learning().dale {
        dale(mem.w_rec, mem.exc, l.n_rec, wf)?;
    }
    let m = [("v", &*mem.v), ("thr", &*mem.thr), ("beta", &*mem.beta)];
    in_format(&m, mf, "outside the membrane format")?;
    if !cfg.alif() {
        const LIF: &str = "the chip has no adaptive neurons (alif is off), so beta is 0";
        each("beta", mem.beta, 0, 0, LIF)?;
    }
    each(
        "refr",
        mem.refr,
        0,
        cfg.refractory().into(),
        "a refractory counter counts down from network.refractory_steps",
    )?;
    // A step's accumulator holds the sum of at most fan-in weights.
    let sum = |fan_in: usize| {
        let k = i64::try_from(fan_in).unwrap_or(i64::MAX);
        (
            k.saturating_mul(wf.min().into()),
            k.saturating_mul(wf.max().into()),
        )
    };
    const ACC: &str = "a synaptic sum of at most fan-in weights";
    let (lo, hi) = sum(l.n_in);
    each("acc_in", mem.acc_in, lo, hi, ACC)?;
    let (lo, hi) = sum(l.n_rec);
    each("acc_rec", mem.acc_rec, lo, hi, ACC)?;
    each("acc_out", mem.acc_out, lo, hi, ACC)?;
    let r = [("y", &*mem.y), ("bias", &*mem.bias)];
    in_format(&r, rf, "outside the readout format")?;
    let e = [("ebar_in", &*mem.ebar_in), ("ebar_rec", &*mem.ebar_rec)];
    let e2 = [("eps_in", &*mem.eps_in), ("eps_rec", &*mem.eps_rec)];
    const E: &str = "outside the eligibility format (learning.elig_bits)";
    in_format(&e, ef, E)?;
    in_format(&e2, ef, E)?;
    const D: &str = "a decay factor exp(-dt/tau) is in [0, 1] (Q1.15 raw)";
    let one = DECAY_ONE.into();
    each("alpha", mem.alpha, 0, one, D)?;
    each("rho", mem.rho, 0, one, D)?;
    each("kappa", mem.kappa, 0, one, D)?;
    let t = [("xbar", &*mem.xbar), ("zbar", &*mem.zbar), ("zk", &*mem.zk)];
    in_format(&t, tf, "outside the trace format (unsigned)")?;
    each(
        "psi",
        mem.psi,
        0,
        PSI_MAX.into(),
        "a pseudo-derivative is U4F12 (16 bits)",
    )?;
    let last = |classes: usize| i64::try_from(classes).unwrap_or(1).saturating_sub(1);
    each(
        "tclass",
        mem.tclass,
        0,
        last(l.trace_classes),
        "a neuron's membrane-decay class is one of learning's trace classes",
    )?;
    each(
        "kclass",
        mem.kclass,
        0,
        last(l.readout_classes),
        "a readout's decay class is one of learning's readout classes",
    )?;
    Ok(())
}

/// Check that the bits past the end of each bit vector (`z`, `exc`, `mask_in`,
/// `mask_rec`, `mask_out`) in its last word are 0, in the raw `u32` arena `wu` of
/// `layout` (as an image stores it; [`Memory`] does not show them).
pub fn check_padding(layout: &Layout, wu: &[u32]) -> Result<(), Invalid> {
    let (mut at, vectors) = layout.bit_vectors();
    for (key, bits) in vectors {
        let words = crate::memory::words_for(bits);
        let used = bits.checked_rem(32).unwrap_or(0);
        let last = at.saturating_add(words).saturating_sub(1);
        if used != 0 {
            let w = wu.get(last).copied().unwrap_or(0);
            let pad = w.checked_shr(used as u32).unwrap_or(0);
            if pad != 0 {
                return Err(padding(key, bits, pad));
            }
        }
        at = at.saturating_add(words);
    }
    Ok(())
}

/// The refusal of a bit vector `key` of `len` bits whose last word has the bits
/// `pad` (shifted down to bit `len`) set past its end.
pub fn padding(key: &'static str, len: usize, pad: u32) -> Invalid {
    Invalid {
        place: ARENA,
        key,
        index: Some(len.saturating_add(pad.trailing_zeros() as usize)),
        value: Value::Int(1),
        rule: "past the last bit of the vector, in its last word, bits are 0",
        allowed: Allowed::Range(0, 0),
    }
}

/// Check a snapshot's counters: the epochs done (the caller word the host stores)
/// within [`ranges::EPOCHS_DONE`], and at most the steps taken, since every epoch
/// trains at least one sample of at least one step.
pub fn check_counters(steps: u64, epochs_done: u32) -> Result<(), Invalid> {
    in_range(
        "snapshot ",
        "epochs_done",
        epochs_done.into(),
        ranges::EPOCHS_DONE,
        "the epoch counter leaves room for a resumed run of train.epochs more (it would wrap)",
    )?;
    if u64::from(epochs_done) > steps {
        return Err(Invalid {
            place: "snapshot ",
            key: "epochs_done",
            index: None,
            value: Value::Count(epochs_done.into()),
            rule: "more epochs than the chip took steps (each epoch takes at least one step)",
            allowed: Allowed::UpTo(steps),
        });
    }
    Ok(())
}

/// Check that `more` steps (a plan's, from a chip at `steps`) do not wrap the step
/// counter; `place`/`key` name what holds the counter.
pub fn check_room(
    place: &'static str,
    key: &'static str,
    steps: u64,
    more: u64,
) -> Result<(), Invalid> {
    if steps.checked_add(more).is_some() {
        return Ok(());
    }
    Err(Invalid {
        place,
        key,
        index: None,
        value: Value::Count(steps),
        rule: "the plan's steps would wrap the 64-bit step counter",
        allowed: Allowed::UpTo(u64::MAX.saturating_sub(more)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ConfigBuilder, Learning};

    fn with_mem(cfg: &ChipConfig, f: impl FnOnce(&mut Memory<'_>)) -> Result<(), Invalid> {
        let l = cfg.layout();
        let (mut a, mut b, mut c) = l.zeroed_arenas();
        let mut mem = Memory::carve(&l, &mut a, &mut b, &mut c).unwrap();
        mem.init_default_params(cfg);
        f(&mut mem);
        check_memory(cfg, &mem)
    }

    #[test]
    fn defaults_pass_and_each_region_is_named() {
        let learn = Learning {
            engine: crate::Engine::Exact,
            dale: true,
            ..Learning::DEFAULT
        };
        let cfg = ConfigBuilder::new(3, 4, 2)
            .refractory(2)
            .learning(learn)
            .build()
            .unwrap();
        assert_eq!(with_mem(&cfg, |_| {}), Ok(()));
        let e = with_mem(&cfg, |m| m.w_rec[5] = 200).unwrap_err();
        assert_eq!(
            e.to_string(),
            "arena w_rec[5] = 200: outside the weight format; allowed -128..=127"
        );
        let e = with_mem(&cfg, |m| m.mask_in.set(7, false)).map(|_| ());
        assert_eq!(e, Ok(()), "a masked-out zero weight is fine");
        let e = with_mem(&cfg, |m| {
            m.mask_in.set(7, false);
            m.w_in[7] = 3;
        })
        .unwrap_err();
        assert_eq!((e.key, e.index), ("w_in", Some(7)));
        let e = with_mem(&cfg, |m| m.w_rec[6] = -1).unwrap_err();
        assert!(e.to_string().contains("excitatory"), "{e}");
        let e = with_mem(&cfg, |m| m.refr[1] = 3).unwrap_err();
        assert_eq!(e.allowed, Allowed::Range(0, 2));
        let e = with_mem(&cfg, |m| m.alpha[0] = 40_000).unwrap_err();
        assert_eq!((e.key, e.allowed), ("alpha", Allowed::Range(0, 32768)));
        let e = with_mem(&cfg, |m| m.psi[3] = 70_000).unwrap_err();
        assert_eq!(e.key, "psi");
        let e = with_mem(&cfg, |m| m.zbar[0] = 4096).unwrap_err();
        assert_eq!(e.allowed, Allowed::Range(0, 4095));
        let e = with_mem(&cfg, |m| m.acc_in[0] = 3 * 127 + 1).unwrap_err();
        assert_eq!(e.allowed, Allowed::Range(-384, 381));
        let e = with_mem(&cfg, |m| m.ebar_rec[2] = 1 << 24).unwrap_err();
        assert_eq!(e.key, "ebar_rec");
        // A LIF chip's adaptation strengths are 0; an ALIF chip's any in the format.
        let e = with_mem(&cfg, |m| m.beta[3] = 1).unwrap_err();
        assert_eq!(
            (e.key, e.index, e.allowed),
            ("beta", Some(3), Allowed::Range(0, 0))
        );
        let alif = ConfigBuilder::new(3, 4, 2).alif(true).build().unwrap();
        assert_eq!(with_mem(&alif, |m| m.beta[3] = 1), Ok(()));
    }

    #[test]
    fn padding_bits_are_zero() {
        let cfg = ConfigBuilder::new(3, 5, 2).build().unwrap();
        let l = cfg.layout();
        let (mut a, mut b, mut c) = l.zeroed_arenas();
        {
            let mut mem = Memory::carve(&l, &mut a, &mut b, &mut c).unwrap();
            mem.init_default_params(&cfg);
        }
        assert_eq!(check_padding(&l, &c), Ok(()));
        let (start, v) = l.bit_vectors();
        // mask_in: 15 bits in the third vector's word.
        assert_eq!(v[2], ("mask_in", 15));
        c[start + 2] |= 1 << 20;
        let e = check_padding(&l, &c).unwrap_err();
        assert_eq!((e.key, e.index), ("mask_in", Some(20)));
    }

    #[test]
    fn reals_without_float_formatting() {
        let show = |x: f32| Value::Real(x.to_bits()).to_string();
        assert_eq!(show(0.0), "0");
        assert_eq!(show(1.5), "1.5");
        assert_eq!(show(-2000.25), "-2000.25");
        assert_eq!(show(0.001), "0.001");
        assert_eq!(show(0.1), "0.1");
        assert_eq!(show(0.0005), "~0");
        assert_eq!(show(1.0001), "~1");
        assert_eq!(show(1e-7), "~0");
        assert_eq!(show(f32::NAN), "NaN");
        assert_eq!(show(f32::INFINITY), "1e15 or more");
        assert_eq!(show(f32::NEG_INFINITY), "-1e15 or more");
    }

    #[test]
    fn counters() {
        assert_eq!(check_counters(10, 3), Ok(()));
        assert!(check_counters(2, 3).is_err());
        let e = check_counters(u64::MAX, u32::MAX).unwrap_err();
        assert_eq!(
            e.to_string(),
            "snapshot epochs_done = 4294967295: the epoch counter leaves room for a resumed \
             run of train.epochs more (it would wrap); allowed 0..=4294867295"
        );
        assert_eq!(check_room("snapshot ", "steps", 5, 10), Ok(()));
        assert!(check_room("snapshot ", "steps", u64::MAX - 3, 10).is_err());
    }
}
