//! Learning rates: what `learning.eta*` mean, the shifts the quantiser turns them
//! into, the rates those shifts realise, and rates too small to move any weight.
//!
//! **One unit for both engines.** `eta` is the rate of the e-prop update
//! `dW_ji = -eta sum_t L_j ebar_ji` (Bellec et al. 2020) in the float network's units:
//! the exact engine's rule, and the f64 reference's `Rule::Exact`. The light engine has
//! no filtered eligibility `ebar`; its expected step is `eta_l L_j zbar_i psi_j`, with the
//! unfiltered `e = zbar psi`. For an eligibility that changes slowly against the
//! readout time constant, `ebar = e / (1 - kappa)` (the filter's gain at rest), so the
//! light engine realises `eta` with `eta_l = eta / (1 - kappa)`: [`light_gain`], from
//! the chip's eligibility decay `kappa` (readout 0's, Q1.15). A configuration's rates
//! then mean the same whichever engine it names, and switching the engine keeps the
//! size of the updates. Readout weights and biases learn by the same rule in both
//! engines, so their rates need no conversion.
//!
//! | layer | shift `S` realises | exponent `x` with `eta = 2^-(S + x)` |
//! |---|---|---|
//! | input, recurrent (exact) | `dW = -(L ebar) >> S` (weight LSB) | `so - rf - E - ef - sl + mf` |
//! | input, recurrent (light) | `P(step) = (|L| tr psi >> S) / 2^16` | `so - rf - E - tf - 12 - sl + mf + 16 + log2(gain)` |
//! | readout weights | `dW = -(err zk) >> S` | `-E - tf - so + rf` |
//! | readout biases | `db = -(err bk) >> S` | `-E - tf + rf` |
//!
//! with `so`, `sl` the output and layer weight shifts, `rf`, `mf`, `tf`, `ef` the
//! fractional bits of the readout, membrane, trace and eligibility formats, and `E` the
//! error's fraction (15 for classification, `rf` for regression). The quantiser picks
//! `S = round(-log2(eta) - x)`, clamped to `0..=62`.
//!
//! **Rates that cannot move a weight.** An update rounds to zero LSB when its product
//! is below half of `2^S` (`2^(S - 16)` for the exact engine and the readout, whose
//! updates carry 16 more fractional bits). [`stuck_rates`] bounds the largest product
//! any learning signal and eligibility can reach on a chip (from the formats and the
//! chip's thresholds and pseudo-derivative gains) and names the layers whose shift is
//! past that bound: they never learn.

use fixed::types::{U16F16, U1F15};
use neurochip_core::learning::{Engine, Loss};
use neurochip_core::neuron::{PSI_FRAC, PSI_GAIN_FRAC};
use neurochip_core::softmax::ONE_Q15;
use neurochip_core::ChipConfig;

use crate::host::HostChip;
pub use crate::weights::Layer;

/// A learning rate per learned layer, in the unit of `learning.eta*` (`[learning]`
/// `eta_in`, `eta_rec`, `eta_out`, `eta_bias`): what a configuration asks for, what
/// the quantiser turns into shifts ([`crate::quant::LearnSpec`]), and what a chip's
/// shifts realise ([`effective_rates`]).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct LayerRates {
    /// Input weights.
    pub eta_in: f64,
    /// Recurrent weights.
    pub eta_rec: f64,
    /// Readout weights.
    pub eta_out: f64,
    /// Readout biases.
    pub eta_bias: f64,
}

impl LayerRates {
    /// The same rate for every layer.
    pub fn uniform(eta: f64) -> Self {
        Self {
            eta_in: eta,
            eta_rec: eta,
            eta_out: eta,
            eta_bias: eta,
        }
    }

    /// The rate of `layer`.
    pub fn of(&self, layer: Layer) -> f64 {
        match layer {
            Layer::In => self.eta_in,
            Layer::Rec => self.eta_rec,
            Layer::Out => self.eta_out,
            Layer::Bias => self.eta_bias,
        }
    }

    /// The rate of `layer`, to set.
    pub fn of_mut(&mut self, layer: Layer) -> &mut f64 {
        match layer {
            Layer::In => &mut self.eta_in,
            Layer::Rec => &mut self.eta_rec,
            Layer::Out => &mut self.eta_out,
            Layer::Bias => &mut self.eta_bias,
        }
    }
}

/// The gain of the eligibility filter at rest, `1 / (1 - kappa)` with the chip's
/// eligibility decay (`Learning::elig_decay`, Q1.15): how much larger the exact
/// engine's `ebar` is than the light engine's unfiltered eligibility. At most `2^15`
/// (a decay of one LSB below 1; a decay of 1 never forgets).
pub fn light_gain(cfg: &ChipConfig) -> f64 {
    let one = 1u32 << 15;
    let k = u32::from(cfg.learning().elig_decay).min(one - 1);
    f64::from(one) / f64::from(one - k)
}

/// Exponents `x` such that a shift `S` realises `eta = 2^-(S + x)` for
/// `(in, rec, out, bias)`, in the engine-independent unit of the module docs.
pub(crate) fn rate_exponents(cfg: &ChipConfig, engine: Engine, loss: Loss) -> [f64; 4] {
    let f = cfg.formats();
    let s = cfg.shifts();
    let (mf, rf, tf) = (
        f.membrane.frac() as i32,
        f.readout.frac() as i32,
        f.trace.frac() as i32,
    );
    let e = error_frac(cfg, loss);
    let ef = cfg.learning().elig.frac() as i32;
    let so = i32::from(s.output);
    let gain = light_gain(cfg).log2();
    let hidden = |sl: i32| match engine {
        // dw_raw = eta L_raw ebar_raw 2^(so - rf - e - ef - sl + mf)
        Engine::Exact | Engine::Off => f64::from(so - rf - e - ef - sl + mf),
        // E[step] = (|L| tr psi >> S) / 2^16 = eta_l L tr psi 2^(so - rf - e - tf - 12 - sl + mf),
        // eta_l = eta * gain
        Engine::Light => f64::from(so - rf - e - tf - PSI_FRAC as i32 - sl + mf + 16) + gain,
    };
    [
        hidden(i32::from(s.input)),
        hidden(i32::from(s.recurrent)),
        f64::from(-e - tf - so + rf),
        f64::from(-e - tf + rf),
    ]
}

/// Fractional bits of the output error: Q0.15 for classification, the readout
/// format for regression.
fn error_frac(cfg: &ChipConfig, loss: Loss) -> i32 {
    match loss {
        Loss::Classification => ONE_Q15.trailing_zeros() as i32,
        Loss::Regression => cfg.formats().readout.frac() as i32,
    }
}

/// The shift that realises `eta` with exponent `x` (62, the largest, for `eta <= 0`).
pub(crate) fn shift_for(eta: f64, x: f64) -> u8 {
    if eta <= 0.0 {
        return MAX_SHIFT;
    }
    ((-eta.log2() - x).round() as i32).clamp(0, i32::from(MAX_SHIFT)) as u8
}

/// The largest learning shift the quantiser sets.
const MAX_SHIFT: u8 = 62;

/// The learning rates the chip of `cfg` applies (float equivalents of its shifts),
/// in the unit of `learning.eta*`: the same for both engines.
pub fn effective_rates(cfg: &ChipConfig) -> LayerRates {
    let l = cfg.learning();
    let x = rate_exponents(cfg, l.engine, l.loss);
    let eta = |s: u8, x: f64| (-(f64::from(s) + x)).exp2();
    LayerRates {
        eta_in: eta(l.shift_in, x[0]),
        eta_rec: eta(l.shift_rec, x[1]),
        eta_out: eta(l.shift_out, x[2]),
        eta_bias: eta(l.shift_bias, x[3]),
    }
}

/// The rates and the regularisation `(strength, target per step, estimate decay)` of
/// the float twin's rule (`neurochip_ref::Rule`): [`effective_rates`], except that the
/// light engine's hidden rates multiply its unfiltered eligibility, so they are
/// [`light_gain`] times larger.
pub fn twin_rates(cfg: &ChipConfig) -> (LayerRates, Option<(f64, f64, f64)>) {
    let mut rates = effective_rates(cfg);
    let l = cfg.learning();
    if l.engine == Engine::Light {
        let g = light_gain(cfg);
        rates.eta_in *= g;
        rates.eta_rec *= g;
    }
    let reg = if l.reg_shift > 0 {
        let so = i32::from(cfg.shifts().output);
        let rf = cfg.formats().readout.frac() as i32;
        let e = error_frac(cfg, l.loss);
        let c = 2f64.powi(16 - i32::from(l.reg_shift) + so - rf - e);
        Some((
            c,
            U16F16::from_bits(l.reg_target).to_num(),
            U1F15::from_bits(l.rate_decay).to_num(),
        ))
    } else {
        None
    };
    (rates, reg)
}

/// A layer whose learning shift is so large that every update rounds to zero LSB.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StuckRate {
    /// The layer.
    pub layer: Layer,
    /// The rate its shift realises (unit of `learning.eta*`).
    pub effective: f64,
    /// The smallest rate the chip can realise that moves a weight of the layer: the
    /// rate of the largest shift at which the largest reachable update is not zero.
    pub smallest: f64,
    /// The shift the chip has.
    pub shift: u8,
    /// The largest shift that can still move a weight.
    pub largest_shift: u8,
}

/// The layers of `chip` that learn (readout and bias with `learn_readout`, input and
/// recurrent with `learn_hidden`) but whose every update rounds to zero LSB for any
/// reachable learning signal and eligibility. Per-synapse rate offsets
/// (`lr_spread`) only add to a shift, so the bound is taken at offset 0. A layer with a
/// rate of 0 (shift 62 from `eta = 0`) is reported too; callers that read a
/// configuration skip rates the file set to 0 on purpose.
pub fn stuck_rates(chip: &mut HostChip) -> Vec<StuckRate> {
    let cfg = *chip.config();
    let l = *cfg.learning();
    if l.engine == Engine::Off {
        return Vec::new();
    }
    let b = Bounds::of(chip);
    let rates = effective_rates(&cfg);
    let x = rate_exponents(&cfg, l.engine, l.loss);
    // Onto an ALIF neuron the light engine steps with `zbar - beta eps`, bounded only
    // by its comparator's 16 bits.
    let light_trace = if cfg.alif() {
        f64::from(u16::MAX)
    } else {
        b.trace
    };
    let hidden_prod = match l.engine {
        Engine::Light => b.signal * light_trace * b.psi,
        Engine::Exact | Engine::Off => b.signal * b.ebar,
    };
    // The exact engine's and the readout's updates carry GRAD_FRAC more fractional
    // bits than the shift removes; the light engine's probability is over 2^16.
    let grad = neurochip_core::eprop::GRAD_FRAC as i32;
    let hidden_extra = match l.engine {
        Engine::Light => 0,
        Engine::Exact | Engine::Off => grad,
    };
    let mut layers = Vec::new();
    if l.learn_hidden {
        layers.push((Layer::In, l.shift_in, hidden_prod, hidden_extra, x[0]));
        layers.push((Layer::Rec, l.shift_rec, hidden_prod, hidden_extra, x[1]));
    }
    if l.learn_readout {
        layers.push((Layer::Out, l.shift_out, b.error * b.zk, grad, x[2]));
        layers.push((Layer::Bias, l.shift_bias, b.error * b.bk, grad, x[3]));
    }
    layers
        .into_iter()
        .filter_map(|(layer, shift, prod, extra, x)| {
            // shift_round(p, -k) is non-zero for some |p| <= prod iff prod >= 2^(k - 1)
            // (k >= 1), or prod >= 1 (k <= 0): k <= floor(log2 prod) + 1.
            if prod < 1.0 {
                return None;
            }
            let k_max = prod.log2().floor() as i32 + 1;
            let largest = k_max.saturating_add(extra);
            if i32::from(shift) <= largest || largest >= i32::from(MAX_SHIFT) {
                return None;
            }
            let largest_shift = largest.clamp(0, i32::from(MAX_SHIFT)) as u8;
            Some(StuckRate {
                layer,
                effective: rates.of(layer),
                smallest: (-(f64::from(largest_shift) + x)).exp2(),
                shift,
                largest_shift,
            })
        })
        .collect()
}

/// Upper bounds of the magnitudes that enter the updates, in their raw units.
struct Bounds {
    /// `|L_j|`.
    signal: f64,
    /// `|err_k|` of one readout.
    error: f64,
    /// Presynaptic traces `xbar`, `zbar` (trace format).
    trace: f64,
    /// `psi` (Q4.12).
    psi: f64,
    /// `|ebar|` (eligibility format).
    ebar: f64,
    /// Readout trace `zk` (trace format).
    zk: f64,
    /// Bias eligibility `bk` (trace format).
    bk: f64,
}

impl Bounds {
    fn of(chip: &mut HostChip) -> Self {
        let cfg = *chip.config();
        let f = cfg.formats();
        let l = cfg.learning();
        let one = 2f64.powi(15);
        // A decay `a` with rounding of at most one LSB up per step: `t <= (inc + 1) / (1 - a)`.
        let rest = |a: u16, inc: f64| (inc + 1.0) * one / (one - f64::from(a).min(one - 1.0));
        let tmax = f64::from(f.trace.max());
        let spike = 2f64.powi(f.trace.frac() as i32);
        // The slowest decay class bounds every class's traces (one class: its own).
        let trace_decay = cfg
            .trace_decays()
            .into_iter()
            .max()
            .unwrap_or(l.trace_decay);
        let elig_decay = cfg
            .readout_decays()
            .into_iter()
            .max()
            .unwrap_or(l.elig_decay);
        let trace = rest(trace_decay, spike).min(tmax);
        let zk = rest(elig_decay, spike).min(tmax);
        let mem = chip.mem();
        // psi <= gain * v_th (at v = A), rounded, saturated at the format's top.
        let mf = f.membrane.frac() as i32;
        let psi_shift = mf + PSI_GAIN_FRAC as i32 - PSI_FRAC as i32;
        let psi = mem
            .thr
            .iter()
            .zip(mem.psi_gain.iter())
            .map(|(&t, &g)| {
                (f64::from(t.max(0)) * f64::from(g) / 2f64.powi(psi_shift) + 1.0)
                    .min(f64::from(u16::MAX))
            })
            .fold(0.0, f64::max);
        let error = match l.loss {
            Loss::Classification => f64::from(ONE_Q15),
            Loss::Regression => 2f64.powi(f.readout.bits() as i32),
        };
        let n_out = cfg.n_out() as f64;
        // Softmax errors sum to at most 2 (plus rounding); regression errors add up.
        let errors = match l.loss {
            Loss::Classification => (2.0 * error + n_out).min(n_out * error),
            Loss::Regression => n_out * error,
        };
        let weight = 2f64.powi(f.weight.bits() as i32 - 1);
        // Rate regularisation: |rbar - target| (Q16.16, rbar at most ~1 spike per step).
        let reg = if l.reg_shift > 0 {
            (2f64.powi(17) + f64::from(l.reg_target)) / 2f64.powi(i32::from(l.reg_shift)) + 1.0
        } else {
            0.0
        };
        let signal = (weight * errors + reg).min(f64::from(i32::MAX));
        let ef = l.elig;
        let elig_max = 2f64.powi(ef.bits() as i32 - 1);
        // LIF: e = psi zbar (eligibility format), ebar its low-pass with kappa; ALIF's
        // eps term is bounded by the format only.
        let ebar = if cfg.alif() {
            elig_max
        } else {
            let zb = trace * 2f64.powi(ef.frac() as i32 - f.trace.frac() as i32) + 1.0;
            let e = psi * zb / 2f64.powi(PSI_FRAC as i32) + 1.0;
            rest(elig_decay, e).min(elig_max)
        };
        Bounds {
            signal,
            error,
            trace,
            psi,
            ebar,
            zk,
            bk: zk,
        }
    }
}

/// One warning line (without a `warning: ` prefix) per layer of the configuration's
/// chip that learns at a rate that cannot move any of its weights ([`stuck_rates`]):
/// the key, the rate the file asks for, the rate its shift realises and the smallest
/// rate that can move a weight. A file that gives an engine rates of its own
/// (`[learning.exact]`, `[learning.light]`) is checked at each engine's rates, the
/// keys named in that engine's table. Rates the file sets to 0 (learning switched off
/// for that layer) and reward configurations (whose updates are scaled by the TD error
/// after the circuits) are not checked; a configuration whose chip cannot be built
/// gives none (building it reports the error).
pub fn warnings(cfg: &crate::config::Config) -> Vec<String> {
    if cfg.reward.is_some() {
        return Vec::new();
    }
    if cfg.learning.by_engine.is_none() {
        return engine_warnings(cfg, "learning");
    }
    [Engine::Exact, Engine::Light]
        .into_iter()
        .flat_map(|e| {
            let mut c = cfg.clone();
            c.set_engine(e);
            let table = match e {
                Engine::Light => "learning.light",
                _ => "learning.exact",
            };
            engine_warnings(&c, table)
        })
        .collect()
}

/// [`warnings`] at the rates `cfg` learns with now, their keys named in `table`.
fn engine_warnings(cfg: &crate::config::Config, table: &str) -> Vec<String> {
    if !cfg.learns() {
        return Vec::new();
    }
    let Ok((_, mut chip)) = crate::build::chip(cfg) else {
        return Vec::new();
    };
    let l = &cfg.learning;
    stuck_rates(&mut chip)
        .into_iter()
        .filter_map(|s| {
            let asked = l.rates.of(s.layer);
            (asked > 0.0).then(|| {
                format!(
                    "{}: {table}.{} = {asked:e} (effective {:.2e}, shift {}) cannot move any \
                     {}: every update rounds to zero LSB; the smallest rate that can is {:.2e} \
                     (shift {})",
                    cfg.origin,
                    s.layer.rate_key(),
                    s.effective,
                    s.shift,
                    s.layer.what(),
                    s.smallest,
                    s.largest_shift
                )
            })
        })
        .collect()
}
