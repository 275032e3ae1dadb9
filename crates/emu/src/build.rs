//! From a checked [`Config`] to a float network, a chip and a stimulus.
//!
//! Random initialisation is counter based (`neurochip_tasks::rng::hash` over the seed
//! and the coordinates of each draw), so a configuration and its seed always give the
//! same network, whichever order things are built in.

use crate::{quantize, HostChip, QuantOptions};
use neurochip_core::format::Format;
use neurochip_core::release::{self, Release};
use neurochip_core::rewire::{self, Rewire};
use neurochip_core::{ChipLimits, Formats};
use neurochip_ref::Network;
use std::path::Path;
use std::sync::Arc;

use crate::LearnSpec;
use neurochip_core::learning::{Engine, Loss};
use neurochip_tasks::cue::CueConfig;
use neurochip_tasks::digits::{decode_digits_gz, RateEncoder};
use neurochip_tasks::navigation::NavConfig;
use neurochip_tasks::pattern::PatternConfig;
use neurochip_tasks::poisson::PoissonInput;
use neurochip_tasks::rng::hash;
use neurochip_tasks::store_recall::StoreRecallConfig;
use neurochip_tasks::TaskError;

use crate::config::{Config, Feedback, NeuronModel, SpreadDist, TaskKind};
use crate::task::Task;

/// An error while building what a valid configuration describes.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {field}: {message}")]
pub struct BuildError {
    /// The configuration file.
    pub file: String,
    /// The field at fault.
    pub field: String,
    /// What was wrong and what is allowed.
    pub message: String,
}

/// Draw streams (the `a` coordinate of every hash), so streams never collide.
mod stream {
    pub const W_IN: u64 = 1;
    pub const W_REC: u64 = 2;
    pub const W_OUT: u64 = 3;
    pub const MASK_IN: u64 = 4;
    pub const MASK_REC: u64 = 5;
    pub const TAU: u64 = 6;
    pub const THR: u64 = 7;
    pub const FEEDBACK: u64 = 8;
    pub const TAU_OUT: u64 = 9;
}

fn uniform(seed: u64, s: u64, i: u64, j: u64) -> f64 {
    // 53 random bits in (0, 1).
    ((hash(seed, s, i, j) >> 11) as f64 + 0.5) / (1u64 << 53) as f64
}

/// Standard normal draw by Box-Muller from two counter-based uniforms.
fn normal(seed: u64, s: u64, i: u64) -> f64 {
    let u1 = uniform(seed, s, i, 0);
    let u2 = uniform(seed, s, i, 1);
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Log-normal factor with mean 1 and relative spread `sigma`.
fn lognormal(seed: u64, s: u64, i: u64, sigma: f64) -> f64 {
    if sigma == 0.0 {
        1.0
    } else {
        (sigma * normal(seed, s, i) - sigma * sigma / 2.0).exp()
    }
}

/// Heterogeneity factor of unit `i` in draw stream `s`: mean 1, spread `spread`, from
/// the distribution `dist` (log-normal: `spread` is the standard deviation of the
/// log; uniform: the factor is uniform on `[1 - spread, 1 + spread]`). Exactly 1 when
/// `spread` is 0, whatever the distribution.
pub fn spread_factor(dist: SpreadDist, seed: u64, s: u64, i: u64, spread: f64) -> f64 {
    match dist {
        SpreadDist::Lognormal => lognormal(seed, s, i, spread),
        SpreadDist::Uniform if spread == 0.0 => 1.0,
        SpreadDist::Uniform => 1.0 + spread * (2.0 * uniform(seed, s, i, 0) - 1.0),
    }
}

/// Put each time constant of `taus` on the nearest (in log) of `classes` log-spaced
/// values spanning the smallest to the largest of them (one class: their geometric
/// middle): the decay classes of `learning.tau_classes` (`neurochip_core::classes`).
pub fn snap_to_classes(taus: &mut [f64], classes: usize) {
    let lo = taus.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = taus.iter().copied().fold(0.0, f64::max);
    if taus.is_empty() || lo >= hi {
        return;
    }
    let values: Vec<f64> = if classes <= 1 {
        vec![(lo * hi).sqrt()]
    } else {
        let c = classes as f64 - 1.0;
        (0..classes)
            .map(|k| lo * (hi / lo).powf(k as f64 / c))
            .collect()
    };
    for t in taus.iter_mut() {
        let best = values
            .iter()
            .copied()
            .min_by(|a, b| (a / *t).ln().abs().total_cmp(&(b / *t).ln().abs()));
        if let Some(v) = best {
            *t = v;
        }
    }
}

/// The float network a configuration describes.
pub fn network(cfg: &Config) -> Network {
    let n = &cfg.network;
    let (ni, nr, no) = (n.inputs as usize, n.neurons as usize, n.outputs as usize);
    let seed = cfg.seed;
    let mut net = Network::zeros(ni, nr, no);
    let dt = n.dt_ms;
    let n_alif = match n.model {
        NeuronModel::Lif => 0,
        NeuronModel::Alif => nr,
        NeuronModel::Lsnn => ((nr as f64) * n.alif_fraction).round() as usize,
    };
    let d = n.spread_dist;
    let mut taus: Vec<f64> = (0..nr)
        .map(|j| n.tau_m_ms * spread_factor(d, seed, stream::TAU, j as u64, n.tau_m_spread))
        .collect();
    let mut tau_out: Vec<f64> = (0..no)
        .map(|k| n.tau_out_ms * spread_factor(d, seed, stream::TAU_OUT, k as u64, n.tau_out_spread))
        .collect();
    if let Some(c) = cfg.learning.tau_classes {
        snap_to_classes(&mut taus, c as usize);
        snap_to_classes(&mut tau_out, c as usize);
    }
    for (j, &tau) in taus.iter().enumerate() {
        net.alpha[j] = (-dt / tau).exp();
        net.rho[j] = (-dt / n.tau_a_ms).exp();
        net.thr[j] =
            n.threshold * spread_factor(d, seed, stream::THR, j as u64, n.threshold_spread);
        net.beta[j] = if j >= nr - n_alif { n.beta } else { 0.0 };
    }
    for (k, &tau) in tau_out.iter().enumerate() {
        net.kappa[k] = (-dt / tau).exp();
    }
    net.refractory = n.refractory_steps;
    net.gamma = cfg.learning.gamma;

    // Dale's law: the first round(f * n) neurons are excitatory.
    let n_exc = n
        .excitatory_fraction
        .map(|f| ((nr as f64) * f).round() as usize);
    for j in 0..nr {
        net.exc[j] = n_exc.is_none_or(|e| j < e);
    }
    // Inhibitory rows are scaled so that E and I input balance on average.
    let inh_gain = match n.excitatory_fraction {
        Some(f) if f < 1.0 && f > 0.0 => f / (1.0 - f),
        _ => 1.0,
    };

    // Rewiring starts from a random network at its budget's density (weights scaled
    // for that fan-in); `rewire::init` then makes the count exact.
    let (p_in, p_rec) = match cfg.learning.rewire_fraction {
        Some(f) => (f, f),
        None => (n.input_connectivity, n.connectivity),
    };
    let s_in = n.w_in_scale / (ni as f64 * p_in).max(1.0).sqrt();
    let s_rec = n.w_rec_scale / ((nr as f64 - 1.0) * p_rec).max(1.0).sqrt();
    let s_out = n.w_out_scale / (nr as f64).sqrt();
    for i in 0..ni {
        for j in 0..nr {
            let k = i * nr + j;
            let on = uniform(seed, stream::MASK_IN, k as u64, 0) < p_in;
            net.mask_in[k] = on;
            net.w_in[k] = if on {
                s_in * normal(seed, stream::W_IN, k as u64)
            } else {
                0.0
            };
        }
    }
    for i in 0..nr {
        for j in 0..nr {
            let k = i * nr + j;
            let on = i != j && uniform(seed, stream::MASK_REC, k as u64, 0) < p_rec;
            net.mask_rec[k] = on;
            let w = s_rec * normal(seed, stream::W_REC, k as u64);
            net.w_rec[k] = match (on, n_exc.is_some(), net.exc[i]) {
                (false, _, _) => 0.0,
                (true, false, _) => w,
                (true, true, true) => w.abs(),
                (true, true, false) => -w.abs() * inh_gain,
            };
        }
    }
    for k in 0..nr * no {
        net.w_out[k] = s_out * normal(seed, stream::W_OUT, k as u64);
    }
    net
}

/// The formats, limits and rounding a configuration asks for.
pub fn quant_options(cfg: &Config) -> QuantOptions {
    let f = &cfg.formats;
    // The configuration module has checked every width, so these cannot fail; fall
    // back to the defaults rather than panic.
    let d = Formats::default();
    let formats = Formats {
        membrane: Format::signed(f.membrane_bits, f.membrane_frac).unwrap_or(d.membrane),
        weight: Format::signed(f.weight_bits, 0).unwrap_or(d.weight),
        trace: Format::unsigned(f.trace_bits, f.trace_frac).unwrap_or(d.trace),
        readout: Format::signed(f.readout_bits, f.readout_frac).unwrap_or(d.readout),
    };
    QuantOptions {
        limits: ChipLimits {
            max_inputs: cfg.chip.max_inputs as u16,
            max_neurons: cfg.chip.max_neurons as u16,
            max_outputs: cfg.chip.max_outputs as u16,
        },
        formats,
        rounding: f.rounding,
        seed: cfg.seed,
        learning: learn_spec(cfg),
        shifts: None,
    }
}

/// Whether the configuration's task learns by regression (pattern generation) rather
/// than classification.
pub fn is_regression(cfg: &Config) -> bool {
    cfg.task.kind == TaskKind::Pattern
}

/// The learning circuits a configuration asks for (`None` when learning is off).
pub fn learn_spec(cfg: &Config) -> Option<LearnSpec> {
    let l = &cfg.learning;
    if l.engine == Engine::Off {
        return None;
    }
    let (n, o) = (cfg.network.neurons as usize, cfg.network.outputs as usize);
    let feedback = match l.feedback {
        Feedback::Symmetric => None,
        Feedback::Random => Some(
            (0..n * o)
                .map(|k| {
                    cfg.network.w_out_scale / (n as f64).sqrt()
                        * normal(cfg.seed, stream::FEEDBACK, k as u64)
                })
                .collect(),
        ),
    };
    let regression = is_regression(cfg);
    Some(LearnSpec {
        engine: l.engine,
        apply: l.apply,
        loss: if regression {
            Loss::Regression
        } else {
            Loss::Classification
        },
        rates: l.rates,
        elig_bits: l.elig_bits,
        elig_frac: l.elig_frac,
        psi_levels: l.psi_levels as u8,
        feedback,
        dale: cfg.network.excitatory_fraction.is_some(),
        lr_spread: l.lr_spread as u8,
        learn_readout: l.learn_readout,
        learn_hidden: l.learn_hidden,
        reg: (l.reg_strength > 0.0)
            .then(|| (l.reg_strength, l.reg_rate_hz * cfg.network.dt_ms / 1000.0)),
    })
}

/// The chip for a configuration, with the network it was quantised from. With
/// `network.weights`, the weights (and masks, and for an exact file the layer
/// shifts) are the file's ([`crate::weights_file`]); the rest is the
/// configuration's.
pub fn chip(cfg: &Config) -> Result<(Network, HostChip), BuildError> {
    chip_with(cfg, None)
}

/// [`chip`] with the weights of `file` (already read: the Python package's arrays)
/// instead of the configuration's `network.weights` or drawn ones.
pub fn chip_with(
    cfg: &Config,
    file: Option<crate::weights_file::WeightsFile>,
) -> Result<(Network, HostChip), BuildError> {
    let mut net = network(cfg);
    let mut opt = quant_options(cfg);
    let from_file = weights_from_file(cfg, file, &mut net, &mut opt)?;
    let chip = quantize(&net, &opt).map_err(|e| match &from_file {
        Some(f) => BuildError {
            file: cfg.origin.clone(),
            field: "network.weights".into(),
            message: match e {
                crate::QuantError::Range { what, value, range } => {
                    format!("{f}: {what}: {value} does not fit the weight format: {range}")
                }
                crate::QuantError::Memory { config, invalid } => {
                    format!("{f}: {}", crate::weights::refusal(&config, &invalid))
                }
                e => format!("{f}: {e}"),
            },
        },
        None => quant_error(cfg, e),
    })?;
    let mut chip = release_rewire(cfg, chip)?;
    if let Some(f) = from_file {
        let c = *chip.config();
        neurochip_core::semantic::check_memory(&c, &chip.mem()).map_err(|e| BuildError {
            file: cfg.origin.clone(),
            field: "network.weights".into(),
            message: format!("{f}: {}", crate::weights::refusal(&c, &e)),
        })?;
    }
    Ok((net, chip))
}

/// Put the weights file of `cfg` (if any) into `net` and `opt`; returns its path.
fn weights_from_file(
    cfg: &Config,
    given: Option<crate::weights_file::WeightsFile>,
    net: &mut Network,
    opt: &mut QuantOptions,
) -> Result<Option<String>, BuildError> {
    let err = |message: String| BuildError {
        file: cfg.origin.clone(),
        field: "network.weights".into(),
        message,
    };
    if let Some(f) = given {
        f.apply(net, opt).map_err(err)?;
        return Ok(Some(f.path));
    }
    let Some(path) = &cfg.network.weights else {
        return Ok(None);
    };
    let sizes = crate::weights_file::Sizes {
        inputs: cfg.network.inputs as usize,
        neurons: cfg.network.neurons as usize,
        outputs: cfg.network.outputs as usize,
    };
    let f = crate::weights_file::read(Path::new(path), sizes).map_err(err)?;
    f.apply(net, opt).map_err(err)?;
    Ok(Some(path.clone()))
}

/// `v` short: `1e30` rather than thirty-one digits.
fn short(v: f64) -> String {
    if v != 0.0 && v.is_finite() && !(1e-4..1e6).contains(&v.abs()) {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

/// A quantiser error as the key of the file it comes from: a threshold that does not
/// fit the membrane format is `network.threshold`'s fault, or, when the threshold
/// itself fits, `network.threshold_spread`'s.
fn quant_error(cfg: &Config, e: crate::QuantError) -> BuildError {
    let n = &cfg.network;
    let (field, message) = match e {
        crate::QuantError::Range {
            what: "network.threshold",
            value,
            range,
        } if value != n.threshold && n.threshold_spread > 0.0 => (
            "network.threshold_spread",
            format!(
                "{} with network.threshold = {} gives a neuron the threshold {}, which the \
                 membrane format does not hold; allowed: per-neuron thresholds in {range} \
                 (a smaller spread, or other formats.membrane_bits / membrane_frac)",
                short(n.threshold_spread),
                short(n.threshold),
                short(value)
            ),
        ),
        crate::QuantError::Range {
            what: "network.threshold",
            value,
            range,
        } => (
            "network.threshold",
            format!(
                "{} does not fit the membrane format; allowed: {range} (or other \
                 formats.membrane_bits / membrane_frac)",
                short(value)
            ),
        ),
        crate::QuantError::Range {
            what: key @ ("network.w_in_scale" | "network.w_rec_scale" | "network.w_out_scale"),
            value,
            range,
        } => (
            key,
            format!(
                "{} draws weights up to {value:.3e}, which the weight format cannot hold \
                 even at the largest layer shift: they would all saturate; allowed: {range} \
                 (a smaller scale, or other formats.weight_bits / membrane_frac)",
                short(match key {
                    "network.w_in_scale" => n.w_in_scale,
                    "network.w_rec_scale" => n.w_rec_scale,
                    _ => n.w_out_scale,
                })
            ),
        ),
        e => ("network", e.to_string()),
    };
    BuildError {
        file: cfg.origin.clone(),
        field: field.into(),
        message,
    }
}

/// A task generator's error as the key of the file behind it: the generators name
/// their own fields (`CueConfig.dt_ms`, `PatternConfig.steps`), which the user never
/// wrote.
fn task_error(cfg: &Config, e: TaskError) -> BuildError {
    let (field, value, allowed) = match e {
        TaskError::Int {
            field,
            value,
            allowed,
        } => (field, value.to_string(), allowed),
        TaskError::Float {
            field,
            value,
            allowed,
        } => (field, value.to_string(), allowed),
    };
    let t = &cfg.task;
    let dt = short(cfg.network.dt_ms);
    // "Type.field", "Type.field (in steps)" or "Type total steps (...)".
    let ty = field.split(['.', ' ']).next().unwrap_or(field);
    let name = field
        .split_once('.')
        .and_then(|(_, r)| r.split(' ').next())
        .unwrap_or("");
    let in_steps = |key: &str, ms: u32, allowed: &str| {
        (
            key.to_string(),
            format!("{ms} ms is {value} steps at network.dt_ms = {dt}; allowed: {allowed}"),
        )
    };
    let (key, message) = match (ty, name) {
        (_, "dt_ms") | ("StoreRecallConfig", "period_ms") => (
            "network.dt_ms".to_string(),
            format!(
                "{dt} is not allowed by the {:?} task; allowed: {allowed}",
                t.kind
            ),
        ),
        ("CueConfig", "cue_ms") => in_steps("task.cue_ms", t.cue_ms, "at least one step"),
        ("CueConfig", "recall_ms") => in_steps("task.recall_ms", t.recall_ms, "at least one step"),
        ("PatternConfig", "steps") => {
            in_steps("task.pattern_ms", t.pattern_ms, "1..=1000000 steps")
        }
        ("CueConfig", "") => (
            "task".to_string(),
            format!(
                "a cue trial of {value} steps (task.n_cues * (cue_ms + gap_ms) + delay_ms + \
                 recall_ms at network.dt_ms = {dt}); allowed: {allowed}"
            ),
        ),
        ("PatternConfig", "n_inputs") => ("network.inputs".into(), plain(&value, allowed)),
        ("PatternConfig", "n_outputs") => ("network.outputs".into(), plain(&value, allowed)),
        ("PatternConfig", "rate_hz") => ("task.pattern_rate_hz".into(), plain(&value, allowed)),
        ("StoreRecallConfig", "n_periods") => ("task.periods".into(), plain(&value, allowed)),
        ("StoreRecallConfig", "rate_hz") => ("task.rate_hz".into(), plain(&value, allowed)),
        ("StoreRecallConfig", k @ ("min_delay" | "max_delay" | "bg_rate_hz")) => {
            (format!("task.{k}"), plain(&value, allowed))
        }
        ("StoreRecallConfig", "") => (
            "task".to_string(),
            format!(
                "a store-recall trial of {value} steps (task.periods * period_ms at \
                 network.dt_ms = {dt}); allowed: {allowed}"
            ),
        ),
        ("CueConfig", k @ ("n_cues" | "gap_ms" | "delay_ms" | "cue_rate_hz" | "bg_rate_hz"))
        | ("RateEncoder", k @ ("steps" | "max_rate_hz"))
        | ("PoissonInput", k @ "rate_hz") => (format!("task.{k}"), plain(&value, allowed)),
        // A fixed parameter of the generator, not a key of the file.
        _ => (
            "task".into(),
            format!("the task's internal {field} = {value} is not allowed; allowed: {allowed}"),
        ),
    };
    BuildError {
        file: cfg.origin.clone(),
        field: key,
        message,
    }
}

fn plain(value: &str, allowed: &str) -> String {
    format!("{value} is not allowed; allowed: {allowed}")
}

/// Stochastic release and rewiring (`network.release_*`, `learning.rewire_*`): chip
/// options without memories of their own, put on the quantised chip. Without them the
/// chip is returned as it is, so its image and digests do not change.
fn release_rewire(cfg: &Config, chip: HostChip) -> Result<HostChip, BuildError> {
    let n = &cfg.network;
    let l = &cfg.learning;
    let err = |field: &str, message: String| BuildError {
        file: cfg.origin.clone(),
        field: field.into(),
        message,
    };
    if l.rewire_noise > 0.0 && l.rewire_fraction.is_none() {
        return Err(err(
            "learning.rewire_noise",
            "synaptic-sampling noise needs rewiring: set learning.rewire_fraction too".into(),
        ));
    }
    let q16 = |p: f64| (p * f64::from(release::ALWAYS)).round() as u32;
    let rel = Release {
        p_in: q16(n.release_in),
        p_rec: q16(n.release_rec),
    };
    let (ni, nr) = (n.inputs as f64, n.neurons as f64);
    let rew = match l.rewire_fraction {
        None => Rewire::OFF,
        Some(f) => Rewire {
            budget_in: (f * ni * nr).round() as u32,
            budget_rec: (f * nr * (nr - 1.0)).round() as u32,
            noise: fixed::types::U0F16::saturating_from_num(l.rewire_noise).to_bits(),
        },
    };
    if !rel.is_stochastic() && !rew.is_on() {
        return Ok(chip);
    }
    let c = chip
        .config()
        .to_builder()
        .release(rel)
        .rewire(rew)
        .build()
        .map_err(|e| err("network", e.to_string()))?;
    chip.reconfigure(c, |mem| rewire::init(&c, mem))
        .map_err(|e| err("network", e.to_string()))
}

/// The task a configuration describes, checked against its network.
pub fn task(cfg: &Config) -> Result<Task, BuildError> {
    let t = &cfg.task;
    let err = |field: &str, message: String| BuildError {
        file: cfg.origin.clone(),
        field: field.into(),
        message,
    };
    let dt = cfg.network.dt_ms as f32;
    let task_seed = cfg.seed ^ 0x7A5C_0000_0000_0000;
    let task = match t.kind {
        TaskKind::Poisson => Task::Poisson {
            gen: PoissonInput {
                n: cfg.network.inputs as usize,
                rate_hz: t.rate_hz as f32,
                dt_ms: dt,
                seed: task_seed,
            },
            steps: t.steps,
        },
        TaskKind::Cue => {
            let c = CueConfig {
                n_cues: t.n_cues,
                cue_ms: t.cue_ms,
                gap_ms: t.gap_ms,
                delay_ms: t.delay_ms,
                recall_ms: t.recall_ms,
                cue_rate_hz: t.cue_rate_hz as f32,
                bg_rate_hz: t.bg_rate_hz as f32,
                channels_per_pop: 10,
                dt_ms: dt,
                seed: task_seed,
            };
            c.check().map_err(|e| task_error(cfg, e))?;
            Task::Cue(c)
        }
        TaskKind::StoreRecall => {
            let c = StoreRecallConfig {
                n_periods: t.periods,
                period_ms: t.period_ms,
                min_delay: t.min_delay,
                max_delay: t.max_delay,
                rate_hz: t.rate_hz as f32,
                bg_rate_hz: t.bg_rate_hz as f32,
                distractors: t.distractors,
                dt_ms: dt,
                seed: task_seed,
                ..StoreRecallConfig::default()
            };
            c.check().map_err(|e| task_error(cfg, e))?;
            Task::StoreRecall(c)
        }
        TaskKind::Pattern => {
            let p = PatternConfig {
                n_inputs: cfg.network.inputs as usize,
                rate_hz: t.pattern_rate_hz as f32,
                n_outputs: cfg.network.outputs as usize,
                steps: (t.pattern_ms as f32 / dt).round() as u32,
                dt_ms: dt,
                seed: task_seed,
            };
            Task::Pattern(Box::new(p.build().map_err(|e| task_error(cfg, e))?))
        }
        TaskKind::Navigation => {
            let nav = NavConfig {
                size: t.arena,
                rate_hz: t.place_rate_hz as f32,
                sigma: t.place_sigma as f32,
                action_steps: t.action_steps,
                max_moves: t.max_moves,
                dt_ms: dt,
                seed: task_seed,
            };
            nav.check().map_err(|e| task_error(cfg, e))?;
            Task::Navigation(nav)
        }
        TaskKind::Digits => {
            let path = Path::new(&t.data);
            let gz = crate::inputs::read(path, "digits data file", crate::inputs::DATA)
                .map_err(|e| err("task.data", e.to_string()))?;
            let data = decode_digits_gz(&gz, path).map_err(|e| err("task.data", e.to_string()))?;
            let (train, test) = data.split();
            let enc = RateEncoder {
                steps: t.steps,
                max_rate_hz: t.max_rate_hz as f32,
                dt_ms: dt,
                seed: task_seed,
            };
            enc.check().map_err(|e| task_error(cfg, e))?;
            Task::Digits {
                data: Arc::new(data),
                train: Arc::new(train),
                test: Arc::new(test),
                enc,
                window: t.window.min(t.steps),
            }
        }
        TaskKind::Audio => {
            let Some(a) = t.audio.as_ref() else {
                return Err(err("task.kind", "\"audio\" without its keys".into()));
            };
            let corpus = crate::kws::corpus(a).map_err(|e| err(e.field, e.message))?;
            let dt = a.front_end.dt_ms();
            let window = ((f64::from(a.window_ms) / dt).round() as u32).clamp(1, corpus.steps);
            Task::Audio { corpus, window }
        }
        TaskKind::Events | TaskKind::Features => user_task(cfg, dt, task_seed)?,
    };
    let need = task.n_inputs();
    if need != cfg.network.inputs as usize {
        return Err(err(
            "network.inputs",
            format!(
                "is {} but task {:?} drives {need} input channels; set network.inputs = {need}",
                cfg.network.inputs, t.kind
            ),
        ));
    }
    if let Some(k) = task.n_classes() {
        if (cfg.network.outputs as usize) < k {
            return Err(err(
                "network.outputs",
                format!(
                    "is {} but task {:?} has {k} classes; set network.outputs = {k}",
                    cfg.network.outputs, t.kind
                ),
            ));
        }
    }
    Ok(task)
}

/// The task of a user's data set (`kind = "events"` or `"features"`), read from
/// `task.data` ([`crate::dataset`]).
fn user_task(cfg: &Config, dt: f32, seed: u64) -> Result<Task, BuildError> {
    let t = &cfg.task;
    let err = |message: String| BuildError {
        file: cfg.origin.clone(),
        field: "task.data".into(),
        message,
    };
    let by = crate::dataset::SplitBy {
        test_fraction: t.test_fraction,
        seed: t.split_seed,
    };
    let path = Path::new(&t.data);
    let window = t.window.min(t.steps);
    if t.kind == TaskKind::Events {
        let n_inputs = cfg.network.inputs as usize;
        let data = crate::dataset::read_events(path, n_inputs, t.steps, cfg.network.dt_ms, by)
            .map_err(err)?;
        return Ok(Task::Events {
            data: Arc::new(data),
            n_inputs,
            steps: t.steps,
            window,
        });
    }
    let data = crate::dataset::read_features(path, by).map_err(err)?;
    let enc = neurochip_tasks::user::FeatureEncoder {
        n: data.n,
        steps: t.steps,
        latency: t.encoding == crate::config::Encoding::Latency,
        max_rate_hz: t.max_rate_hz as f32,
        dt_ms: dt,
        seed,
    };
    Ok(Task::Features {
        data: Arc::new(data),
        enc,
        window,
    })
}

/// Build the chip and the task of `cfg` and drop them: what `neurochip check` checks
/// beyond the file.
pub fn check(cfg: &Config) -> Result<(), BuildError> {
    chip(cfg)?;
    task(cfg)?;
    Ok(())
}

/// Whether the chip of `cfg` fits the firmware profile `board`
/// ([`neurochip_core::board`]): an error names the file, the profile, the arena or
/// buffer, the words needed and the limit.
pub fn check_board(cfg: &Config, board: &str) -> Result<(), String> {
    let b = named_board(board)?;
    let (_, chip) = self::chip(cfg).map_err(|e| e.to_string())?;
    b.fits(&chip.config().layout())
        .map_err(|m| format!("{}: --board {board}: {m}", cfg.origin))
}

/// The firmware profile `name`, or an error listing the ones there are.
pub fn named_board(name: &str) -> Result<neurochip_core::board::Board, String> {
    neurochip_core::board::Board::named(name).ok_or_else(|| {
        let names: Vec<&str> = neurochip_core::board::BOARDS
            .iter()
            .map(|b| b.name)
            .collect();
        format!(
            "--board: `{name}` is not a board; allowed: {}",
            names.join(", ")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(task: &str) -> Config {
        crate::config::parse(
            &format!("[network]\ninputs = 40\nneurons = 10\noutputs = 2\n[task]\n{task}\n"),
            "x.toml",
        )
        .unwrap()
    }

    /// The generators' own field names never reach the user: each error names a key of
    /// the file.
    #[test]
    fn task_errors_name_the_users_key() {
        let c = cfg("kind = \"cue\"");
        for (field, key) in [
            ("CueConfig.dt_ms", "network.dt_ms"),
            ("CueConfig.n_cues", "task.n_cues"),
            ("CueConfig.cue_ms (in steps)", "task.cue_ms"),
            ("CueConfig.recall_ms (in steps)", "task.recall_ms"),
            ("CueConfig.bg_rate_hz", "task.bg_rate_hz"),
            (
                "CueConfig total steps (n_cues * (cue + gap) + delay + recall)",
                "task",
            ),
            ("StoreRecallConfig.period_ms (in steps)", "network.dt_ms"),
            ("StoreRecallConfig.n_periods", "task.periods"),
            ("StoreRecallConfig.min_delay", "task.min_delay"),
            ("StoreRecallConfig.max_delay", "task.max_delay"),
            ("StoreRecallConfig.rate_hz", "task.rate_hz"),
            ("StoreRecallConfig.bg_rate_hz", "task.bg_rate_hz"),
            ("StoreRecallConfig total steps (n_periods * period)", "task"),
            ("PatternConfig.steps", "task.pattern_ms"),
            ("PatternConfig.n_outputs", "network.outputs"),
            ("PatternConfig.rate_hz", "task.pattern_rate_hz"),
            ("RateEncoder.steps", "task.steps"),
            ("RateEncoder.max_rate_hz", "task.max_rate_hz"),
            ("PoissonInput.rate_hz", "task.rate_hz"),
        ] {
            let e = task_error(
                &c,
                TaskError::Int {
                    field,
                    value: 0,
                    allowed: ">= 1",
                },
            );
            assert_eq!(e.field, key, "{field}");
            assert!(!e.message.contains("Config"), "{field}: {}", e.message);
        }
    }

    #[test]
    fn threshold_errors_name_the_spread_when_it_is_the_cause() {
        let c = cfg("kind = \"cue\"");
        let mut spread = c.clone();
        spread.network.threshold_spread = 9.0;
        let range = || "(0.001, 32]".to_string();
        let e = quant_error(
            &spread,
            crate::QuantError::Range {
                what: "network.threshold",
                value: 1e-13,
                range: range(),
            },
        );
        assert_eq!(e.field, "network.threshold_spread");
        assert!(e.message.contains("threshold 1e-13"), "{}", e.message);
        let mut big = c;
        big.network.threshold = 1e30;
        let e = quant_error(
            &big,
            crate::QuantError::Range {
                what: "network.threshold",
                value: 1e30,
                range: range(),
            },
        );
        assert_eq!(e.field, "network.threshold");
        assert!(e.message.starts_with("1e30 does not fit"), "{}", e.message);
    }
}
