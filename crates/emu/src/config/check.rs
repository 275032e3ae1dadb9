//! From the file as written to a checked [`Config`]: defaults filled in, every range
//! and cross-key constraint checked, each error pointed at the key it is about.

use std::path::Path;

use neurochip_tasks::{cue::CueConfig, navigation::NavConfig, store_recall::StoreRecallConfig};

use super::error::ConfigError;
use super::raw::{RawFile, RawRates};
use super::schema::{self, Rule};
use super::source::Source;
use super::Environment;
use super::{
    Apply, ByEngine, Chip, Config, Engine, Formats, LayerRates, Learning, Network, NeuronModel,
    Rates, Reward, Rounding, SpreadDist, Task, TaskKind, Train,
};

type Result<T> = std::result::Result<T, ConfigError>;

impl Source<'_> {
    /// How `v` reads in a message: as written in the file, else `{v} (the default)`.
    pub(super) fn shown(&self, path: &str, v: impl std::fmt::Display) -> String {
        self.literal(path)
            .unwrap_or_else(|| format!("{v} (the default)"))
    }

    /// A whole number in the range of its schema rule.
    fn uint(&self, path: &str, v: Option<u32>, default: u32) -> Result<u32> {
        let v = v.unwrap_or(default);
        match schema::field(path) {
            Some(f) => match f.rule {
                Rule::Int { lo, hi } if !(lo..=hi).contains(&u64::from(v)) => Err(self.error(
                    path,
                    format!("{} is out of range; {}", self.shown(path, v), f.allowed()),
                )),
                _ => Ok(v),
            },
            None => Ok(v),
        }
    }

    /// A whole number in `lo..=hi`, bounds that depend on other keys (`why` names them).
    fn uint_in(&self, path: &str, v: u32, lo: u32, hi: u32, why: &str) -> Result<u32> {
        if (lo..=hi).contains(&v) {
            Ok(v)
        } else {
            Err(self.error(
                path,
                format!(
                    "{} is out of range; allowed {lo}..={hi} ({why})",
                    self.shown(path, v)
                ),
            ))
        }
    }

    /// A finite number in the range of its schema rule.
    fn float(&self, path: &str, v: Option<f64>, default: f64) -> Result<f64> {
        let v = v.unwrap_or(default);
        let Some(f) = schema::field(path) else {
            return Ok(v);
        };
        if f.rule.admits(v) {
            return Ok(v);
        }
        let shown = self.shown(path, v);
        let what = if v.is_nan() {
            format!("{shown} is not a number")
        } else if v.is_infinite() {
            format!("{shown} is infinite")
        } else {
            format!("{shown} is out of range")
        };
        Err(self.error(path, format!("{what}; {}", f.allowed())))
    }

    /// A required key that is not there.
    fn missing(&self, path: &str, what: &str) -> ConfigError {
        let allowed = schema::field(path).map(|f| f.allowed()).unwrap_or_default();
        self.error(path, format!("missing: {what}; {allowed}"))
    }

    /// A network size: required, at least 1, within the chip.
    fn size(&self, key: &str, v: Option<u32>, limit_key: &str, limit: u32) -> Result<u32> {
        let path = format!("network.{key}");
        let v = v.ok_or_else(|| {
            self.error(
                &path,
                format!(
                    "missing: [network] needs `{key}`, the number of {}; allowed 1..={limit} \
                     (chip.{limit_key})",
                    noun(key)
                ),
            )
        })?;
        let chip = if self.has(&format!("chip.{limit_key}")) {
            format!("chip.{limit_key} = {limit}")
        } else {
            format!("chip.{limit_key} = {limit} (the default)")
        };
        if v == 0 {
            return Err(self.error(&path, format!("0 is out of range; allowed 1..={limit}")));
        }
        if v > limit {
            return Err(self.error(
                &path,
                format!(
                    "{v} does not fit the chip: {chip}; allowed 1..={limit}, or raise \
                     chip.{limit_key} in [chip] (up to 4096)"
                ),
            ));
        }
        Ok(v)
    }

    /// Input rates must be at most one spike per step, in the precision the task
    /// generators (and an image's decoder) hold them: `f32` (`rate <= 1000 / dt`).
    fn rate_fits_dt(&self, path: &str, rate_hz: f64, dt_ms: f64) -> Result<()> {
        let max = 1000.0 / dt_ms;
        if rate_hz <= max && (rate_hz as f32) <= 1000.0 / (dt_ms as f32) {
            return Ok(());
        }
        let precision = if rate_hz <= max {
            " in f32, the precision of the chip's input generators and images"
        } else {
            ""
        };
        let max = f64::from(1000.0 / (dt_ms as f32)).min(max);
        let max = (max * 1000.0).floor() / 1000.0;
        Err(self.error(
            path,
            format!(
                "{} is more than one spike per step at network.dt_ms = {dt_ms}{precision}; \
                 allowed: 0..={max} Hz at this dt (rate * dt_ms / 1000 <= 1)",
                self.shown(path, rate_hz)
            ),
        ))
    }
}

/// The keys of one section of the file, read by their names in it: `name.key`.
pub(super) struct Section<'s, 'a> {
    src: &'s Source<'a>,
    name: &'static str,
}

impl Section<'_, '_> {
    /// The full path of `key`.
    fn path(&self, key: &str) -> String {
        format!("{}.{key}", self.name)
    }

    /// [`Source::uint`] of `key`.
    pub(super) fn uint(&self, key: &str, v: Option<u32>, default: u32) -> Result<u32> {
        self.src.uint(&self.path(key), v, default)
    }

    /// [`Source::uint_in`] of `key`.
    pub(super) fn uint_in(&self, key: &str, v: u32, lo: u32, hi: u32, why: &str) -> Result<u32> {
        self.src.uint_in(&self.path(key), v, lo, hi, why)
    }

    /// [`Source::float`] of `key`.
    pub(super) fn float(&self, key: &str, v: Option<f64>, default: f64) -> Result<f64> {
        self.src.float(&self.path(key), v, default)
    }

    /// A number with no default: checked when it is given.
    fn float_opt(&self, key: &str, v: Option<f64>) -> Result<Option<f64>> {
        v.map(|v| self.float(key, Some(v), v)).transpose()
    }
}

impl<'a> Source<'a> {
    /// The keys of section `name`.
    fn section(&self, name: &'static str) -> Section<'_, 'a> {
        Section { src: self, name }
    }
}

/// [`Source::section`] for the other modules of the configuration.
pub(super) trait SectionOf<'a> {
    /// The keys of section `name`.
    fn section_of(&self, name: &'static str) -> Section<'_, 'a>;
}

impl<'a> SectionOf<'a> for Source<'a> {
    fn section_of(&self, name: &'static str) -> Section<'_, 'a> {
        self.section(name)
    }
}

fn noun(key: &str) -> &'static str {
    match key {
        "inputs" => "input channels",
        "neurons" => "recurrent neurons",
        _ => "readout outputs",
    }
}

/// The default name: the file stem of `origin`.
pub(super) fn stem(origin: &str) -> String {
    Path::new(origin)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "chip".into())
}

/// Check `raw` and fill in every default.
pub(super) fn config(raw: RawFile, src: &Source<'_>) -> Result<Config> {
    let chip = chip(&raw, src)?;
    let formats = formats(&raw, src)?;
    let network = network(&raw, src, &chip)?;
    let task = task(&raw, src, network.dt_ms)?;
    let learning = learning(&raw, src)?;
    let train = train(&raw, src)?;
    let reward = reward(&raw, src, &network, &task, &learning)?;
    plan(src, &task, &learning)?;
    let mut cfg = Config {
        name: raw.name.clone().unwrap_or_else(|| stem(src.origin)),
        origin: src.origin.to_string(),
        seed: raw.seed.unwrap_or(1),
        chip,
        formats,
        network,
        task,
        learning,
        train,
        reward,
    };
    if let Some(by_engine) = by_engine(&raw, src, &cfg)? {
        cfg.learning.by_engine = Some(by_engine);
        cfg.set_engine(cfg.learning.engine);
    }
    Ok(cfg)
}

fn chip(raw: &RawFile, src: &Source<'_>) -> Result<Chip> {
    let s = src.section("chip");
    let c = raw.chip.as_ref();
    // Defaults from the core's (`ChipLimits::default`: the ReckOn-class chip).
    let d = neurochip_core::ChipLimits::default();
    let (di, dn, dout) = (
        d.max_inputs.into(),
        d.max_neurons.into(),
        d.max_outputs.into(),
    );
    Ok(Chip {
        max_inputs: s.uint("max_inputs", c.and_then(|c| c.max_inputs), di)?,
        max_neurons: s.uint("max_neurons", c.and_then(|c| c.max_neurons), dn)?,
        max_outputs: s.uint("max_outputs", c.and_then(|c| c.max_outputs), dout)?,
    })
}

fn formats(raw: &RawFile, src: &Source<'_>) -> Result<Formats> {
    let s = src.section("formats");
    let f = raw.formats.as_ref();
    let get = |k: fn(&super::raw::RawFormats) -> Option<u32>| f.and_then(k);
    // Defaults from the core's one table (`Formats::DEFAULT`).
    type CoreFormats = neurochip_core::Formats;
    let d = CoreFormats::DEFAULT;
    let mb = s.uint("membrane_bits", get(|f| f.membrane_bits), d.membrane.bits())?;
    let tb = s.uint("trace_bits", get(|f| f.trace_bits), d.trace.bits())?;
    let rb = s.uint("readout_bits", get(|f| f.readout_bits), d.readout.bits())?;
    Ok(Formats {
        membrane_bits: mb,
        membrane_frac: s.uint_in(
            "membrane_frac",
            get(|f| f.membrane_frac).unwrap_or(mb.saturating_sub(CoreFormats::MEMBRANE_INT)),
            0,
            mb - 2,
            &format!("membrane_bits - 2, membrane_bits = {mb}"),
        )?,
        weight_bits: s.uint("weight_bits", get(|f| f.weight_bits), d.weight.bits())?,
        trace_bits: tb,
        trace_frac: s.uint_in(
            "trace_frac",
            get(|f| f.trace_frac).unwrap_or(tb.saturating_sub(CoreFormats::TRACE_INT)),
            0,
            tb,
            &format!("at most trace_bits = {tb}"),
        )?,
        readout_bits: rb,
        readout_frac: s.uint_in(
            "readout_frac",
            get(|f| f.readout_frac).unwrap_or(rb.saturating_sub(CoreFormats::READOUT_INT)),
            0,
            rb - 2,
            &format!("readout_bits - 2, readout_bits = {rb}"),
        )?,
        rounding: f.and_then(|f| f.rounding).unwrap_or(Rounding::Nearest),
    })
}

fn network(raw: &RawFile, src: &Source<'_>, chip: &Chip) -> Result<Network> {
    let s = src.section("network");
    let Some(n) = &raw.network else {
        return Err(ConfigError::new(
            src.origin,
            Some("network"),
            "missing section [network]; a chip configuration needs [network] with `inputs`, \
             `neurons` and `outputs` (e.g. 40, 100, 2), see examples/lif.toml",
        ));
    };
    let spread_dist = n.spread_dist.unwrap_or_default();
    if spread_dist == SpreadDist::Uniform {
        for (k, v) in [
            ("tau_m_spread", n.tau_m_spread),
            ("tau_out_spread", n.tau_out_spread),
            ("threshold_spread", n.threshold_spread),
        ] {
            if let Some(v) = v.filter(|v| *v >= 1.0) {
                return Err(src.error(
                    &s.path(k),
                    format!(
                        "{v} is too wide for spread_dist = \"uniform\" (factors on [1 - s, 1 + s] \
                         must stay positive); allowed: 0 <= s < 1"
                    ),
                ));
            }
        }
    }
    Ok(Network {
        inputs: src.size("inputs", n.inputs, "max_inputs", chip.max_inputs)?,
        neurons: src.size("neurons", n.neurons, "max_neurons", chip.max_neurons)?,
        outputs: src.size("outputs", n.outputs, "max_outputs", chip.max_outputs)?,
        model: n.model.unwrap_or(NeuronModel::Lif),
        alif_fraction: s.float("alif_fraction", n.alif_fraction, 0.5)?,
        dt_ms: s.float("dt_ms", n.dt_ms, 1.0)?,
        tau_m_ms: s.float("tau_m_ms", n.tau_m_ms, 20.0)?,
        tau_a_ms: s.float("tau_a_ms", n.tau_a_ms, 2000.0)?,
        tau_out_ms: s.float("tau_out_ms", n.tau_out_ms, 20.0)?,
        threshold: s.float("threshold", n.threshold, 1.0)?,
        beta: s.float("beta", n.beta, 0.07)?,
        refractory_steps: s.uint("refractory_steps", n.refractory_steps, 2)?,
        connectivity: s.float("connectivity", n.connectivity, 1.0)?,
        input_connectivity: s.float("input_connectivity", n.input_connectivity, 1.0)?,
        excitatory_fraction: s.float_opt("excitatory_fraction", n.excitatory_fraction)?,
        w_in_scale: s.float("w_in_scale", n.w_in_scale, 1.0)?,
        w_rec_scale: s.float("w_rec_scale", n.w_rec_scale, 1.0)?,
        w_out_scale: s.float("w_out_scale", n.w_out_scale, 1.0)?,
        tau_m_spread: s.float("tau_m_spread", n.tau_m_spread, 0.0)?,
        tau_out_spread: s.float("tau_out_spread", n.tau_out_spread, 0.0)?,
        threshold_spread: s.float("threshold_spread", n.threshold_spread, 0.0)?,
        spread_dist,
        release_in: s.float("release_in", n.release_in, 1.0)?,
        release_rec: s.float("release_rec", n.release_rec, 1.0)?,
        weights: n.weights.clone(),
    })
}

fn task(raw: &RawFile, src: &Source<'_>, dt_ms: f64) -> Result<Task> {
    let s = src.section("task");
    let Some(t) = &raw.task else {
        return Err(ConfigError::new(
            src.origin,
            Some("task"),
            format!(
                "missing section [task]; a chip configuration needs [task] with `kind`, one of {}",
                schema::TASKS.join(", ")
            ),
        ));
    };
    let Some(kind) = t.kind else {
        return Err(src.missing(
            "task.kind",
            "[task] needs `kind`, the input the chip runs on",
        ));
    };
    // Keys of other kinds first: their values mean nothing here.
    let name = kind_name(kind);
    for (key, kinds) in schema::TASK_KEYS {
        let path = s.path(key);
        if src.has(&path) && !kinds.contains(&name) {
            let names = kinds.iter().map(|k| format!("\"{k}\"")).collect::<Vec<_>>();
            let by = match names.as_slice() {
                [one] => format!("only kind = {one} reads it"),
                [rest @ .., last] => format!("only kinds {} and {last} read it", rest.join(", ")),
                [] => "no kind reads it".to_string(),
            };
            return Err(src.error(
                &path,
                format!(
                    "task.kind = \"{name}\" does not read this key ({by}); \
                     allowed with \"{name}\": {}",
                    schema::task_keys_of(name).join(", ")
                ),
            ));
        }
    }
    // The tasks' defaults from the task library's (`CueConfig::default` and so on).
    let (cue, sr, nav) = (
        CueConfig::default(),
        StoreRecallConfig::default(),
        NavConfig::default(),
    );
    let n_cues = s.uint("n_cues", t.n_cues, cue.n_cues)?;
    if n_cues % 2 == 0 {
        return Err(src.error(
            "task.n_cues",
            format!("{n_cues} is even; allowed: an odd number in 1..=31 (no ties)"),
        ));
    }
    let task = Task {
        kind,
        samples: s.uint("samples", t.samples, 1)?,
        steps: s.uint(
            "steps",
            t.steps,
            match kind {
                TaskKind::Digits | TaskKind::Features => 50,
                _ => 1000,
            },
        )?,
        rate_hz: s.float(
            "rate_hz",
            t.rate_hz,
            if kind == TaskKind::StoreRecall {
                wide(sr.rate_hz)
            } else {
                20.0
            },
        )?,
        n_cues,
        cue_ms: s.uint("cue_ms", t.cue_ms, cue.cue_ms)?,
        gap_ms: s.uint("gap_ms", t.gap_ms, cue.gap_ms)?,
        delay_ms: s.uint("delay_ms", t.delay_ms, cue.delay_ms)?,
        recall_ms: s.uint("recall_ms", t.recall_ms, cue.recall_ms)?,
        cue_rate_hz: s.float("cue_rate_hz", t.cue_rate_hz, wide(cue.cue_rate_hz))?,
        bg_rate_hz: s.float("bg_rate_hz", t.bg_rate_hz, wide(cue.bg_rate_hz))?,
        pattern_rate_hz: s.float("pattern_rate_hz", t.pattern_rate_hz, 10.0)?,
        pattern_ms: s.uint("pattern_ms", t.pattern_ms, 1000)?,
        max_rate_hz: s.float("max_rate_hz", t.max_rate_hz, 200.0)?,
        window: s.uint("window", t.window, 10)?,
        data: match (&t.data, kind) {
            (Some(d), _) => d.clone(),
            (None, TaskKind::Events | TaskKind::Features) => {
                return Err(src.missing(
                    "task.data",
                    &format!("task.kind = \"{name}\" reads the user's data file `data`"),
                ))
            }
            (None, _) => "data/uci-digits/digits.csv.gz".into(),
        },
        encoding: t.encoding.unwrap_or_default(),
        test_fraction: s.float_opt("test_fraction", t.test_fraction)?,
        split_seed: t.split_seed.unwrap_or(0),
        arena: s.uint("arena", t.arena, nav.size)?,
        place_rate_hz: s.float("place_rate_hz", t.place_rate_hz, wide(nav.rate_hz))?,
        place_sigma: s.float("place_sigma", t.place_sigma, wide(nav.sigma))?,
        action_steps: s.uint("action_steps", t.action_steps, nav.action_steps)?,
        max_moves: s.uint("max_moves", t.max_moves, nav.max_moves)?,
        periods: s.uint("periods", t.periods, sr.n_periods)?,
        period_ms: s.uint("period_ms", t.period_ms, sr.period_ms)?,
        min_delay: s.uint("min_delay", t.min_delay, sr.min_delay)?,
        max_delay: s.uint("max_delay", t.max_delay, sr.max_delay)?,
        distractors: t.distractors.unwrap_or(sr.distractors),
        audio: super::audio::audio(raw, t, src, kind, dt_ms)?,
    };
    // Only the rates the task uses must fit the time step.
    let rates: &[(&str, f64)] = match kind {
        TaskKind::Poisson => &[("task.rate_hz", task.rate_hz)],
        TaskKind::Cue => &[
            ("task.cue_rate_hz", task.cue_rate_hz),
            ("task.bg_rate_hz", task.bg_rate_hz),
        ],
        TaskKind::Pattern => &[("task.pattern_rate_hz", task.pattern_rate_hz)],
        TaskKind::Digits => &[("task.max_rate_hz", task.max_rate_hz)],
        TaskKind::Features if task.encoding == super::Encoding::Rate => {
            &[("task.max_rate_hz", task.max_rate_hz)]
        }
        TaskKind::StoreRecall => &[
            ("task.rate_hz", task.rate_hz),
            ("task.bg_rate_hz", task.bg_rate_hz),
        ],
        TaskKind::Audio | TaskKind::Events | TaskKind::Features => &[],
        TaskKind::Navigation => &[("task.place_rate_hz", task.place_rate_hz)],
    };
    for &(path, rate) in rates {
        src.rate_fits_dt(path, rate, dt_ms)?;
    }
    Ok(task)
}

fn learning(raw: &RawFile, src: &Source<'_>) -> Result<Learning> {
    let s = src.section("learning");
    let default = super::raw::RawLearning::default();
    let l = raw.learning.as_ref().unwrap_or(&default);
    // The chip's defaults from the core's (`Learning::DEFAULT`).
    let d = neurochip_core::learning::Learning::DEFAULT;
    let eta = s.float("eta", l.eta, 1e-3)?;
    let eb = s.uint("elig_bits", l.elig_bits, d.elig.bits())?;
    Ok(Learning {
        engine: l.engine.unwrap_or(d.engine),
        apply: l.apply.unwrap_or(Apply::Sample),
        batch: s.uint("batch", l.batch, 1)?,
        rates: LayerRates {
            eta_in: s.float("eta_in", l.eta_in, eta)?,
            eta_rec: s.float("eta_rec", l.eta_rec, eta)?,
            eta_out: s.float("eta_out", l.eta_out, eta)?,
            eta_bias: s.float("eta_bias", l.eta_bias, eta)?,
        },
        elig_bits: eb,
        elig_frac: s.uint_in(
            "elig_frac",
            l.elig_frac.unwrap_or(eb / 2),
            0,
            eb - 2,
            &format!("elig_bits - 2, elig_bits = {eb}"),
        )?,
        psi_levels: s.uint("psi_levels", l.psi_levels, d.psi_levels.into())?,
        gamma: s.float("gamma", l.gamma, 0.3)?,
        feedback: l.feedback.unwrap_or(d.feedback),
        reg_strength: s.float("reg_strength", l.reg_strength, 0.0)?,
        reg_rate_hz: s.float("reg_rate_hz", l.reg_rate_hz, 10.0)?,
        learn_readout: l.learn_readout.unwrap_or(d.learn_readout),
        learn_hidden: l.learn_hidden.unwrap_or(d.learn_hidden),
        lr_spread: s.uint("lr_spread", l.lr_spread, d.lr_spread.into())?,
        rewire_fraction: s.float_opt("rewire_fraction", l.rewire_fraction)?,
        rewire_noise: s.float("rewire_noise", l.rewire_noise, 0.0)?,
        tau_classes: l
            .tau_classes
            .map(|v| s.uint("tau_classes", Some(v), v))
            .transpose()?,
        by_engine: None,
    })
}

/// A task library's `f32` default as the decimal it is written as (`0.7`, not
/// `0.699999988079071`), so that a configuration echoes it as written.
fn wide(x: f32) -> f64 {
    x.to_string().parse().unwrap_or(f64::from(x))
}

/// Each engine's rates when the file gives either its own table: `[learning.exact]`,
/// `[learning.light]`, read like `[learning]` over the rates of `cfg`.
fn by_engine(raw: &RawFile, src: &Source<'_>, cfg: &Config) -> Result<Option<ByEngine>> {
    let Some(l) = raw.learning.as_ref() else {
        return Ok(None);
    };
    if l.exact.is_none() && l.light.is_none() {
        return Ok(None);
    }
    let (l0, t) = (&cfg.learning, &cfg.train);
    let base = Rates {
        rates: l0.rates,
        halve_rates_every: t.halve_rates_every,
    };
    let rates = |name: &'static str, r: Option<&RawRates>| -> Result<Rates> {
        let Some(r) = r else {
            return Ok(base);
        };
        let s = src.section(name);
        // The table's `eta`, checked once: the default of the rates it does not name.
        let table_eta = r.eta.map(|e| s.float("eta", Some(e), e)).transpose()?;
        let eta = |key: &str, v: Option<f64>, base: f64| s.float(key, v, table_eta.unwrap_or(base));
        let b = base.rates;
        Ok(Rates {
            rates: LayerRates {
                eta_in: eta("eta_in", r.eta_in, b.eta_in)?,
                eta_rec: eta("eta_rec", r.eta_rec, b.eta_rec)?,
                eta_out: eta("eta_out", r.eta_out, b.eta_out)?,
                eta_bias: eta("eta_bias", r.eta_bias, b.eta_bias)?,
            },
            halve_rates_every: s.uint(
                "halve_rates_every",
                r.halve_rates_every,
                base.halve_rates_every,
            )?,
        })
    };
    Ok(Some(ByEngine {
        exact: rates("learning.exact", l.exact.as_ref())?,
        light: rates("learning.light", l.light.as_ref())?,
    }))
}

fn train(raw: &RawFile, src: &Source<'_>) -> Result<Train> {
    let s = src.section("train");
    let t = raw.train.as_ref();
    Ok(Train {
        epochs: s.uint("epochs", t.and_then(|t| t.epochs), 1)?,
        train_samples: s.uint("train_samples", t.and_then(|t| t.train_samples), 100)?,
        test_samples: s.uint("test_samples", t.and_then(|t| t.test_samples), 100)?,
        halve_rates_every: s.uint("halve_rates_every", t.and_then(|t| t.halve_rates_every), 0)?,
    })
}

/// The name of `kind` as the file writes it.
pub(super) fn kind_name(kind: TaskKind) -> &'static str {
    match kind {
        TaskKind::Poisson => "poisson",
        TaskKind::Cue => "cue",
        TaskKind::Pattern => "pattern",
        TaskKind::StoreRecall => "store_recall",
        TaskKind::Digits => "digits",
        TaskKind::Navigation => "navigation",
        TaskKind::Audio => "audio",
        TaskKind::Events => "events",
        TaskKind::Features => "features",
    }
}

/// Learning and its plan must mean something: learning needs a task with targets, and
/// a training plan needs learning.
fn plan(src: &Source<'_>, task: &Task, learning: &Learning) -> Result<()> {
    let engine = match learning.engine {
        Engine::Off => None,
        Engine::Exact => Some("exact"),
        Engine::Light => Some("light"),
    };
    if let (Some(engine), TaskKind::Poisson) = (engine, task.kind) {
        let targets: Vec<_> = schema::TASKS.iter().filter(|k| **k != "poisson").collect();
        return Err(src.error(
            "learning.engine",
            format!(
                "\"{engine}\" learns toward targets, but task.kind = \"poisson\" has none; \
                 allowed with \"poisson\": engine = \"off\" (or a task with targets: {})",
                targets
                    .iter()
                    .map(|k| format!("\"{k}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    if engine.is_none() && src.has("train") {
        let why = if src.has("learning.engine") {
            "[learning] engine = \"off\""
        } else if src.has("learning") {
            "[learning] has no engine (default \"off\")"
        } else {
            "there is no [learning] section"
        };
        return Err(src.error(
            "train",
            format!(
                "a training plan, but learning is off ({why}); allowed: [train] with \
                 [learning] engine = \"exact\" or \"light\", or no [train]"
            ),
        ));
    }
    Ok(())
}

fn reward(
    raw: &RawFile,
    src: &Source<'_>,
    network: &Network,
    task: &Task,
    learning: &Learning,
) -> Result<Option<Reward>> {
    let s = src.section("reward");
    let Some(r) = raw.reward.as_ref() else {
        if task.kind == TaskKind::Navigation {
            return Err(src.error(
                "task.kind",
                "\"navigation\" is a reward-learning environment: it needs a [reward] section \
                 (environment = \"navigation\", actions = 4), see examples/reward_nav.toml",
            ));
        }
        return Ok(None);
    };
    let default = match task.kind {
        TaskKind::Navigation => Environment::Navigation,
        _ => Environment::Cue,
    };
    let out = Reward {
        environment: r.environment.unwrap_or(default),
        actions: s.uint("actions", r.actions, 2)?,
        gamma: s.float("gamma", r.gamma, 0.9)?,
        value_weight: s.float("value_weight", r.value_weight, 0.5)?,
    };
    let (kind, name) = match out.environment {
        Environment::Cue => (TaskKind::Cue, "cue"),
        Environment::Navigation => (TaskKind::Navigation, "navigation"),
    };
    if task.kind != kind {
        return Err(src.error(
            "task.kind",
            format!(
                "reward learning (`[reward]` environment = \"{name}\") needs task.kind = \"{name}\""
            ),
        ));
    }
    if kind == TaskKind::Navigation && out.actions != 4 {
        return Err(src.error(
            "reward.actions",
            format!(
                "{}: navigation has four moves (up, down, left, right); allowed: 4",
                out.actions
            ),
        ));
    }
    if network.outputs != out.actions + 1 {
        return Err(src.error(
            "network.outputs",
            format!(
                "{} outputs with [reward] actions = {}: the network needs actions + 1 = {} \
                 (the policy logits, then the value)",
                network.outputs,
                out.actions,
                out.actions + 1
            ),
        ));
    }
    if learning.engine == Engine::Off || learning.apply != Apply::Sample {
        return Err(src.error(
            "learning.engine",
            "reward learning needs [learning] engine = \"exact\" or \"light\" with \
             apply = \"sample\" (the per-synapse accumulators hold the filtered updates)",
        ));
    }
    Ok(Some(out))
}
