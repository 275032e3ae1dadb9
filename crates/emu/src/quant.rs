//! Quantisation: a float network onto the chip, and back.
//!
//! | quantity | rule |
//! |---|---|
//! | weights of a layer | `w_q = round(w * 2^f)` saturated to the weight format, with `f` the largest integer such that `max|w| * 2^f <= 2^(bits-1) - 1`; the layer shift is `shift = frac_target - f` (target = membrane for input and recurrent, readout for output) |
//! | thresholds, `beta` | `round(x * 2^membrane_frac)`; `beta` per unit of `b` |
//! | decays `alpha`, `rho`, `kappa` | `round(a * 2^15)` (Q1.15), via `fixed` |
//! | readout bias | `round(b * 2^readout_frac)` |
//!
//! | decay classes of the learning circuits (`neurochip_core::classes`) | the distinct quantised `alpha` (membrane classes) and `kappa` (readout classes), in order of first appearance, when there are at most 8 of each: each neuron's (readout's) class is the one of its own decay, so the chip learns with exact e-prop; more than 8 distinct `alpha` fall back to one shared trace decay, the mean `alpha` (an approximation; `learning.tau_classes` puts the time constants on at most 8 values), and are refused when the readouts need more than one class |
//!
//! All roundings here are to nearest (ties away from zero, `f64::round`). Shifts are
//! clamped to the configured range `-24..=24`. Learning rates become learning shifts
//! as [`crate::rates`] describes.

use fixed::types::{U16F16, U1F15};
use neurochip_core::classes::{Classes, MAX_CLASSES};
use neurochip_core::format::{Format, ADAPT_FRAC};
use neurochip_core::learning::{Apply, Engine, Feedback, Learning, Loss};
use neurochip_core::neuron::PSI_GAIN_FRAC;
use neurochip_core::{
    ChipConfig, ChipLimits, ConfigBuilder, ConfigError, Formats, Rounding, Shifts,
};
use neurochip_ref::Network;

use crate::host::HostChip;
pub use crate::rates::{effective_rates, twin_rates, LayerRates};
use crate::rates::{rate_exponents, shift_for};

/// Choices the network does not carry.
#[derive(Clone, Debug)]
pub struct QuantOptions {
    /// Chip limits.
    pub limits: ChipLimits,
    /// Formats.
    pub formats: Formats,
    /// Decay rounding.
    pub rounding: Rounding,
    /// PRNG seed.
    pub seed: u64,
    /// Learning circuits, if any.
    pub learning: Option<LearnSpec>,
    /// Layer shifts to use instead of the ones the largest weights ask for (a weights
    /// file that holds its integers and their shifts: `crate::weights_file`); a
    /// weight that does not fit the weight format at its layer's shift is refused.
    pub shifts: Option<Shifts>,
}

/// Learning circuits in float terms; [`quantize`] turns learning rates into shifts
/// ([`crate::rates`]: the rates mean the same for both engines).
#[derive(Clone, Debug, PartialEq)]
pub struct LearnSpec {
    /// Engine.
    pub engine: Engine,
    /// Online or per sample.
    pub apply: Apply,
    /// Loss.
    pub loss: Loss,
    /// The learning rate of each layer.
    pub rates: LayerRates,
    /// Eligibility format: total bits.
    pub elig_bits: u32,
    /// Eligibility format: fractional bits.
    pub elig_frac: u32,
    /// Light engine: levels of the quantised pseudo-derivative.
    pub psi_levels: u8,
    /// Random feedback matrix `B[j * n_out + k]`; `None` = symmetric.
    pub feedback: Option<Vec<f64>>,
    /// Dale's law during learning.
    pub dale: bool,
    /// Learn readout weights and biases.
    pub learn_readout: bool,
    /// Learn input and recurrent weights.
    pub learn_hidden: bool,
    /// Per-synapse learning-rate spread (`neurochip_core::learning::Learning::lr_spread`).
    pub lr_spread: u8,
    /// Rate regularisation `(strength, target spikes per step)`; see
    /// `neurochip_ref::LearnParams::reg`.
    pub reg: Option<(f64, f64)>,
}

/// Why a network cannot be put on the chip.
#[derive(Debug, thiserror::Error)]
pub enum QuantError {
    /// The network vectors do not match its sizes.
    #[error("network shape: {0}")]
    Shape(String),
    /// The chip configuration was refused.
    #[error("{0}")]
    Config(#[from] ConfigError),
    /// The network's time constants do not fit the learning circuits' decay classes.
    #[error("learning: {0}")]
    Classes(String),
    /// The quantised memories hold a value no chip image may hold
    /// ([`neurochip_core::semantic::check_memory`]).
    #[error("quantised network: {invalid}")]
    Memory {
        /// The chip the network was quantised for.
        config: Box<ChipConfig>,
        /// The first value refused.
        invalid: neurochip_core::semantic::Invalid,
    },
    /// A parameter is outside what its format holds.
    #[error("{what} = {value} does not fit its format ({range})")]
    Range {
        /// The parameter.
        what: &'static str,
        /// The value.
        value: f64,
        /// What fits.
        range: String,
    },
}

fn pow2(e: i32) -> f64 {
    2f64.powi(e)
}

/// Fractional bits for a layer so that its largest weight fits.
fn layer_frac(w: &[f64], fmt: Format, target_frac: u32) -> i32 {
    let m = w.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    if m == 0.0 {
        return target_frac as i32;
    }
    let wmax = f64::from(fmt.max());
    (wmax / m).log2().floor() as i32
}

/// The largest layer shift (`shifts.*` in `neurochip_core::ranges`).
const MAX_LAYER_SHIFT: i32 = 24;

fn clamp_shift(s: i32) -> i8 {
    s.clamp(-MAX_LAYER_SHIFT, MAX_LAYER_SHIFT) as i8
}

fn q_weights(w: &[f64], fmt: Format, f: i32) -> Vec<i16> {
    w.iter()
        .map(|x| fmt.saturate((x * pow2(f)).round() as i64) as i16)
        .collect()
}

/// A decay factor in Q1.15, saturated. `fixed` panics on NaN, so NaN (which
/// [`quantize`] refuses before it gets here) gives 0.
fn q_decay(a: f64) -> u32 {
    if a.is_nan() {
        return 0;
    }
    u32::from(U1F15::saturating_from_num(a).to_bits())
}

/// Every decay of `net` is a number in `[0, 1]` (`exp(-dt / tau)`), so it can go
/// through `fixed` (which panics on NaN) and means what it says.
fn check_decays(net: &Network) -> Result<(), QuantError> {
    for (what, v) in [
        ("the membrane decay exp(-dt / tau_m)", &net.alpha),
        ("the adaptation decay exp(-dt / tau_a)", &net.rho),
        ("the readout decay exp(-dt / tau_out)", &net.kappa),
    ] {
        if let Some(&a) = v.iter().find(|a| !(0.0..=1.0).contains(*a)) {
            return Err(QuantError::Range {
                what,
                value: a,
                range: "a number in [0, 1]".into(),
            });
        }
    }
    Ok(())
}

/// With forced layer shifts, every weight must be on the weight format at its
/// layer's shift (within rounding): nothing saturates in silence.
fn forced_fit(net: &Network, f: Formats, s: Shifts) -> Result<(), QuantError> {
    let (mf, rf) = (f.membrane.frac() as i32, f.readout.frac() as i32);
    let (lo, hi) = (f64::from(f.weight.min()), f64::from(f.weight.max()));
    for (what, w, e) in [
        ("w_in", &net.w_in, i32::from(s.input) - mf),
        ("w_rec", &net.w_rec, i32::from(s.recurrent) - mf),
        ("w_out", &net.w_out, i32::from(s.output) - rf),
    ] {
        // Written so that NaN is refused too.
        let fits = |x: f64| (lo..=hi).contains(&(x / pow2(e)).round());
        if let Some(&x) = w.iter().find(|x| !fits(**x)) {
            return Err(QuantError::Range {
                what,
                value: x,
                range: format!(
                    "{}..={} units of {} at its layer shift",
                    f.weight.min(),
                    f.weight.max(),
                    pow2(e)
                ),
            });
        }
    }
    Ok(())
}

/// Units grouped by equal quantised decay: each class's decay (Q1.15 raw, in order of
/// first appearance) and each unit's class.
#[derive(Clone, Debug, PartialEq)]
struct DecayClasses {
    decays: Vec<u16>,
    of: Vec<usize>,
}

impl DecayClasses {
    fn of(decays: &[f64]) -> Self {
        let mut c = Self {
            decays: Vec::new(),
            of: Vec::with_capacity(decays.len()),
        };
        for &a in decays {
            let q = q_decay(a) as u16;
            match c.decays.iter().position(|&d| d == q) {
                Some(k) => c.of.push(k),
                None => {
                    c.of.push(c.decays.len());
                    c.decays.push(q);
                }
            }
        }
        c
    }
}

/// The learning circuits' decay classes of `net` ([`neurochip_core::classes`]): the
/// membrane classes (`None`: more than [`MAX_CLASSES`] distinct `alpha`, one shared
/// trace decay instead) and the readout classes; more than [`MAX_CLASSES`] distinct
/// `kappa`, or more than one readout class without membrane classes, is refused.
fn decay_classes(net: &Network) -> Result<(Option<DecayClasses>, DecayClasses), QuantError> {
    let tc = DecayClasses::of(&net.alpha);
    let kc = DecayClasses::of(&net.kappa);
    let fix = "set learning.tau_classes (1..=8) to put the time constants on that many values";
    if kc.decays.len() > MAX_CLASSES {
        return Err(QuantError::Classes(format!(
            "the readouts have {} distinct time constants, the learning circuits hold at most {MAX_CLASSES} readout-decay classes: {fix}",
            kc.decays.len()
        )));
    }
    if tc.decays.len() <= MAX_CLASSES {
        return Ok((Some(tc), kc));
    }
    if kc.decays.len() > 1 {
        return Err(QuantError::Classes(format!(
            "the neurons have {} distinct membrane time constants (more than the {MAX_CLASSES} classes the learning circuits hold) and the readouts {}: exact e-prop needs both in classes; {fix}",
            tc.decays.len(),
            kc.decays.len()
        )));
    }
    Ok((None, kc))
}

/// Put `net` on a chip.
pub fn quantize(net: &Network, opt: &QuantOptions) -> Result<HostChip, QuantError> {
    net.check_shapes().map_err(QuantError::Shape)?;
    check_decays(net)?;
    let f = opt.formats;
    let mf = f.membrane.frac();
    let rf = f.readout.frac();
    let fi = layer_frac(&net.w_in, f.weight, mf);
    let fr = layer_frac(&net.w_rec, f.weight, mf);
    let fo = layer_frac(&net.w_out, f.weight, rf);
    // A layer whose largest weight needs a right shift past the largest one would
    // only saturate: refused, naming the scale that drew it.
    for (what, w, frac, target) in [
        ("network.w_in_scale", &net.w_in, fi, mf),
        ("network.w_rec_scale", &net.w_rec, fr, mf),
        ("network.w_out_scale", &net.w_out, fo, rf),
    ] {
        if target as i32 - frac > MAX_LAYER_SHIFT {
            let largest = w.iter().fold(0.0f64, |m, x| m.max(x.abs()));
            let fits = f64::from(f.weight.max()) * pow2(MAX_LAYER_SHIFT - target as i32);
            return Err(QuantError::Range {
                what,
                value: largest,
                range: format!(
                    "weights up to {fits:.4e} at the largest layer shift ({MAX_LAYER_SHIFT})"
                ),
            });
        }
    }
    let shifts = match opt.shifts {
        Some(s) => {
            forced_fit(net, f, s)?;
            s
        }
        None => Shifts {
            input: clamp_shift(mf as i32 - fi),
            recurrent: clamp_shift(mf as i32 - fr),
            output: clamp_shift(rf as i32 - fo),
        },
    };
    // Effective fractional bits after clamping the shift.
    let fi = mf as i32 - i32::from(shifts.input);
    let fr = mf as i32 - i32::from(shifts.recurrent);
    let fo = rf as i32 - i32::from(shifts.output);
    let refractory = u8::try_from(net.refractory).map_err(|_| QuantError::Range {
        what: "refractory",
        value: f64::from(net.refractory),
        range: "0..=255".into(),
    })?;
    let alif = net.beta.iter().any(|&b| b != 0.0);
    let builder = ConfigBuilder::new(net.n_in, net.n_rec, net.n_out)
        .limits(opt.limits)
        .formats(f)
        .shifts(shifts)
        .refractory(refractory)
        .leak_rounding(opt.rounding)
        .alif(alif)
        .seed(opt.seed);
    // Decay classes: only the learning circuits have them.
    let classes = match &opt.learning {
        Some(_) => Some(decay_classes(net)?),
        None => None,
    };
    let cfg = match (&opt.learning, &classes) {
        (Some(ls), Some((tc, kc))) => {
            let mean_alpha = net.alpha.iter().sum::<f64>() / net.alpha.len().max(1) as f64;
            let trace_decay = match tc {
                Some(tc) => tc.decays[0],
                None => q_decay(mean_alpha) as u16,
            };
            let (k, _, _) = Classes::from_decays(
                tc.as_ref().map_or(&[trace_decay][..], |c| &c.decays),
                &kc.decays,
            )
            .ok_or_else(|| QuantError::Shape("no neuron or no readout".into()))?;
            let builder = builder.classes(k);
            let elig = Format::signed(ls.elig_bits, ls.elig_frac).ok_or(QuantError::Range {
                what: "learning.elig_bits",
                value: f64::from(ls.elig_bits),
                range: "8..=31 bits, frac <= bits - 2".into(),
            })?;
            let mut l = Learning {
                engine: ls.engine,
                apply: ls.apply,
                feedback: if ls.feedback.is_some() {
                    Feedback::Random
                } else {
                    Feedback::Symmetric
                },
                loss: ls.loss,
                trace_decay,
                elig_decay: kc.decays[0],
                elig,
                psi_levels: ls.psi_levels,
                dale: ls.dale,
                learn_readout: ls.learn_readout,
                learn_hidden: ls.learn_hidden,
                lr_spread: ls.lr_spread,
                ..Learning::DEFAULT
            };
            // First build to know the shifts' exponents, then set the shifts.
            let probe = builder.learning(l).build()?;
            let x = rate_exponents(&probe, ls.engine, ls.loss);
            let r = ls.rates;
            l.shift_in = shift_for(r.eta_in, x[0]);
            l.shift_rec = shift_for(r.eta_rec, x[1]);
            l.shift_out = shift_for(r.eta_out, x[2]);
            l.shift_bias = shift_for(r.eta_bias, x[3]);
            if let Some((c, target)) = ls.reg {
                // L_raw += (rbar_q16 - target_q16) >> reg_shift realises
                // L_real += c (rbar - target) when 2^(16 - reg_shift + so - rf - E) = c.
                let so = i32::from(probe.shifts().output);
                let rf = probe.formats().readout.frac() as i32;
                let e = match ls.loss {
                    Loss::Classification => 15,
                    Loss::Regression => rf,
                };
                let sh = (16.0 + f64::from(so - rf - e) - c.log2()).round();
                l.reg_shift = if c > 0.0 {
                    sh.clamp(1.0, 62.0) as u8
                } else {
                    0
                };
                l.reg_target = U16F16::saturating_from_num(target).to_bits();
            }
            builder.learning(l).build()?
        }
        _ => builder.build()?,
    };
    let b_fb = opt
        .learning
        .as_ref()
        .and_then(|l| l.feedback.as_ref())
        .map(|b| q_weights(b, f.weight, fo));
    let gamma = net.gamma;
    let thr_scale = pow2(mf as i32);
    for &t in &net.thr {
        let q = (t * thr_scale).round();
        // Written so that NaN is refused too.
        if !(q > 0.0 && q <= f64::from(f.membrane.max())) {
            return Err(QuantError::Range {
                what: "network.threshold",
                value: t,
                range: format!(
                    "({}, {}] at {} fractional membrane bits",
                    f.membrane.lsb(),
                    f64::from(f.membrane.max()) * f.membrane.lsb(),
                    mf
                ),
            });
        }
    }
    let w_in = q_weights(&net.w_in, f.weight, fi);
    let w_rec = q_weights(&net.w_rec, f.weight, fr);
    let w_out = q_weights(&net.w_out, f.weight, fo);
    let (tclass, kclass) = match classes {
        Some((tc, kc)) => (tc.map(|c| c.of).unwrap_or_default(), kc.of),
        None => (Vec::new(), Vec::new()),
    };
    HostChip::try_build(cfg, |mem| {
        // Class indices exist only with more than one class (empty regions else).
        for (d, &c) in mem.tclass.iter_mut().zip(&tclass) {
            *d = c as u32;
        }
        for (d, &c) in mem.kclass.iter_mut().zip(&kclass) {
            *d = c as u32;
        }
        mem.w_in.copy_from_slice(&w_in);
        mem.w_rec.copy_from_slice(&w_rec);
        mem.w_out.copy_from_slice(&w_out);
        for (d, &t) in mem.thr.iter_mut().zip(&net.thr) {
            *d = f.membrane.saturate((t * thr_scale).round() as i64);
        }
        for (d, &b) in mem.beta.iter_mut().zip(&net.beta) {
            *d = f.membrane.saturate((b * thr_scale).round() as i64);
        }
        for (d, &a) in mem.alpha.iter_mut().zip(&net.alpha) {
            *d = q_decay(a);
        }
        for (d, &a) in mem.rho.iter_mut().zip(&net.rho) {
            *d = q_decay(a);
        }
        for (d, &a) in mem.kappa.iter_mut().zip(&net.kappa) {
            *d = q_decay(a);
        }
        if let Some(b) = &b_fb {
            mem.b_fb.copy_from_slice(b);
        }
        for (g, &t) in mem.psi_gain.iter_mut().zip(mem.thr.iter()) {
            let thr = f64::from(t) / thr_scale;
            let v = (gamma / (thr * thr) * pow2(PSI_GAIN_FRAC as i32)).round();
            *g = v.clamp(0.0, f64::from(u32::MAX)) as u32;
        }
        for (d, &b) in mem.bias.iter_mut().zip(&net.bias) {
            *d = f.readout.saturate((b * pow2(rf as i32)).round() as i64);
        }
        for (j, &e) in net.exc.iter().enumerate() {
            mem.exc.set(j, e);
        }
        for (i, &m) in net.mask_in.iter().enumerate() {
            mem.mask_in.set(i, m);
        }
        for (i, &m) in net.mask_rec.iter().enumerate() {
            mem.mask_rec.set(i, m);
        }
        for (i, &m) in net.mask_out.iter().enumerate() {
            mem.mask_out.set(i, m);
        }
        mem.reset_state();
    })
    .map_err(|invalid| QuantError::Memory {
        config: Box::new(cfg),
        invalid,
    })
}

/// The float network that holds exactly the chip's weights and parameters.
pub fn dequantize(chip: &mut HostChip) -> Network {
    let cfg: ChipConfig = *chip.config();
    let f = cfg.formats();
    let s = cfg.shifts();
    let mf = f.membrane.frac() as i32;
    let rf = f.readout.frac() as i32;
    let mem = chip.mem();
    let wi = pow2(i32::from(s.input) - mf);
    let wr = pow2(i32::from(s.recurrent) - mf);
    let wo = pow2(i32::from(s.output) - rf);
    let dq = |a: &u32| f64::from(*a) / f64::from(1u32 << 15);
    let lsb = pow2(-mf);
    Network {
        n_in: cfg.n_in(),
        n_rec: cfg.n_rec(),
        n_out: cfg.n_out(),
        alpha: mem.alpha.iter().map(dq).collect(),
        rho: mem.rho.iter().map(dq).collect(),
        thr: mem.thr.iter().map(|&t| f64::from(t) * lsb).collect(),
        beta: mem.beta.iter().map(|&b| f64::from(b) * lsb).collect(),
        kappa: mem.kappa.iter().map(dq).collect(),
        refractory: u32::from(cfg.refractory()),
        gamma: mem
            .psi_gain
            .first()
            .zip(mem.thr.first())
            .map(|(&g, &t)| {
                let thr = f64::from(t) * lsb;
                f64::from(g) / pow2(PSI_GAIN_FRAC as i32) * thr * thr
            })
            .unwrap_or(0.3),
        w_in: mem.w_in.iter().map(|&w| f64::from(w) * wi).collect(),
        w_rec: mem.w_rec.iter().map(|&w| f64::from(w) * wr).collect(),
        w_out: mem.w_out.iter().map(|&w| f64::from(w) * wo).collect(),
        bias: mem.bias.iter().map(|&b| f64::from(b) * pow2(-rf)).collect(),
        exc: mem.exc.iter().by_vals().collect(),
        mask_in: mem.mask_in.iter().by_vals().collect(),
        mask_rec: mem.mask_rec.iter().by_vals().collect(),
        mask_out: mem.mask_out.iter().by_vals().collect(),
    }
}

/// One unit of the adaptation variable in Q16.16, re-exported for users scaling `b`.
pub const ADAPT_ONE: u32 = 1 << ADAPT_FRAC;

#[cfg(test)]
mod tests {
    use super::*;

    fn opts() -> QuantOptions {
        QuantOptions {
            limits: ChipLimits::default(),
            formats: Formats::default(),
            rounding: Rounding::Nearest,
            seed: 3,
            learning: None,
            shifts: None,
        }
    }

    #[test]
    fn roundtrip_is_a_fixed_point() {
        let mut net = Network::zeros(3, 4, 2);
        for (i, w) in net.w_in.iter_mut().enumerate() {
            *w = (i as f64 - 5.0) * 0.037;
        }
        for (i, w) in net.w_rec.iter_mut().enumerate() {
            *w = (i as f64 - 8.0) * 0.011;
        }
        net.w_out[1] = 0.3;
        let mut chip = quantize(&net, &opts()).unwrap();
        let back = dequantize(&mut chip);
        let mut chip2 = quantize(&back, &opts()).unwrap();
        assert_eq!(chip.arenas(), chip2.arenas());
        assert_eq!(chip.digest(), chip2.digest());
        let _ = chip2.mem();
        // Weights within half an LSB of the float ones.
        let lsb_in = pow2(i32::from(chip.config().shifts().input) - 10);
        for (a, b) in net.w_in.iter().zip(&back.w_in) {
            assert!((a - b).abs() <= lsb_in / 2.0 + 1e-12);
        }
    }

    /// Forced layer shifts take every integer of the weight format, its most negative
    /// one included, and refuse one past it, naming the layer.
    #[test]
    fn forced_shifts_hold_the_whole_weight_format() {
        let mut net = Network::zeros(3, 4, 2);
        net.w_in[0] = -128.0 * pow2(-10);
        net.w_in[1] = 127.0 * pow2(-10);
        let mut opt = opts();
        opt.shifts = Some(Shifts {
            input: 0,
            recurrent: 0,
            output: 0,
        });
        let mut chip = quantize(&net, &opt).unwrap();
        assert_eq!(&chip.mem().w_in[..2], &[-128, 127]);
        net.w_in[1] = 128.0 * pow2(-10);
        let e = quantize(&net, &opt).err();
        assert!(
            matches!(e, Some(QuantError::Range { what: "w_in", .. })),
            "{e:?}"
        );
    }

    /// A network whose quantised memories no chip image may hold is refused with the
    /// image's own check, naming the element: a weight on a synapse its mask leaves
    /// out. The same weight on a connected synapse builds.
    #[test]
    fn memories_no_image_holds_are_refused() {
        let mut net = Network::zeros(3, 4, 2);
        net.w_rec[6] = 0.25;
        assert!(quantize(&net, &opts()).is_ok());
        net.mask_rec[6] = false;
        match quantize(&net, &opts()) {
            Err(e @ QuantError::Memory { .. }) => {
                let QuantError::Memory { invalid, .. } = &e else {
                    unreachable!()
                };
                assert_eq!((invalid.key, invalid.index), ("w_rec", Some(6)));
                assert!(e.to_string().starts_with("quantised network: "), "{e}");
            }
            other => panic!("{:?}", other.err()),
        }
    }

    /// NaN or out-of-range decays and thresholds are refused with an error: `fixed`
    /// panics on NaN.
    #[test]
    fn nan_parameters_are_errors_not_panics() {
        let base = Network::zeros(3, 4, 2);
        for (name, set) in [
            (
                "alpha",
                (|n: &mut Network| n.alpha[1] = f64::NAN) as fn(&mut Network),
            ),
            ("rho", |n| n.rho[0] = f64::NAN),
            ("kappa", |n| n.kappa[0] = 1.5),
            ("thr", |n| n.thr[2] = f64::NAN),
            ("thr", |n| n.thr[2] = 0.0),
        ] {
            let mut net = base.clone();
            set(&mut net);
            let e = quantize(&net, &opts()).err();
            assert!(matches!(e, Some(QuantError::Range { .. })), "{name}: {e:?}");
        }
    }
}
