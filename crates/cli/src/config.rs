//! Chip configuration files (TOML): reading, checking, and errors that say what was
//! wrong, where (file, line, column, field) and what is allowed.
//!
//! A file has the sections `[chip]`, `[formats]`, `[network]`, `[task]`,
//! `[learning]` and `[train]`; `network` and `task` are required, everything else has
//! defaults. `neurochip init` writes a commented starter file; `docs/tutorial.md`
//! explains every key.

use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// A configuration error, printed as one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    file: String,
    line: Option<usize>,
    column: Option<usize>,
    field: Option<String>,
    message: String,
}

impl ConfigError {
    fn new(file: &str, field: Option<&str>, message: impl Into<String>) -> Self {
        Self {
            file: file.to_string(),
            line: None,
            column: None,
            field: field.map(str::to_string),
            message: message.into(),
        }
    }

    fn at(mut self, pos: Option<(usize, usize)>) -> Self {
        if let Some((l, c)) = pos {
            self.line = Some(l);
            self.column = Some(c);
        }
        self
    }

    /// The file.
    pub fn file(&self) -> &str {
        &self.file
    }
    /// Line, from 1.
    pub fn line(&self) -> Option<usize> {
        self.line
    }
    /// Column, from 1.
    pub fn column(&self) -> Option<usize> {
        self.column
    }
    /// The field path, e.g. `network.tau_m_ms`.
    pub fn field(&self) -> Option<&str> {
        self.field.as_deref()
    }
    /// What was wrong and what is allowed.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let (Some(l), Some(c)) = (self.line, self.column) {
            write!(f, ":{l}:{c}")?;
        }
        write!(f, ": ")?;
        if let Some(field) = &self.field {
            write!(f, "{field}: ")?;
        }
        write!(f, "{}", self.message)
    }
}

impl std::error::Error for ConfigError {}

/// Neuron model of the recurrent layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NeuronModel {
    /// Leaky integrate-and-fire.
    Lif,
    /// Adaptive LIF (spike-frequency adaptation) for every neuron.
    Alif,
    /// LSNN: LIF neurons first, then a fraction `alif_fraction` of ALIF neurons.
    Lsnn,
}

/// Rounding of decays.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoundingMode {
    /// Floor.
    Truncate,
    /// Nearest.
    Nearest,
    /// Stochastic, from the chip PRNG.
    Stochastic,
}

/// The task that drives the chip.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskKind {
    /// Independent Poisson inputs, no target.
    Poisson,
    /// Cue accumulation (e-prop paper, Fig. 3).
    Cue,
    /// Pattern generation (regression).
    Pattern,
    /// Store-recall.
    StoreRecall,
    /// UCI 8x8 digits, rate coded.
    Digits,
}

/// Learning engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EngineKind {
    /// No learning.
    Off,
    /// Exact e-prop.
    Exact,
    /// ReckOn-style light engine.
    Light,
}

/// When updates are applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApplyMode {
    /// Every step.
    Online,
    /// Accumulated over `batch` samples.
    Sample,
}

/// Feedback weights.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeedbackKind {
    /// `B = W_out^T`.
    Symmetric,
    /// Fixed random `B`.
    Random,
}

/// `[chip]`: the physical limits the network must fit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Chip {
    /// Input channels (1..=4096).
    pub max_inputs: u32,
    /// Recurrent neurons (1..=4096).
    pub max_neurons: u32,
    /// Readouts (1..=4096).
    pub max_outputs: u32,
}

impl Default for Chip {
    fn default() -> Self {
        Self {
            max_inputs: 256,
            max_neurons: 256,
            max_outputs: 16,
        }
    }
}

/// `[formats]`: bit widths and rounding.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Formats {
    /// Membrane bits (8..=24).
    pub membrane_bits: u32,
    /// Membrane fractional bits (default `membrane_bits - 6`).
    pub membrane_frac: u32,
    /// Weight bits (2..=16).
    pub weight_bits: u32,
    /// Trace bits (6..=16).
    pub trace_bits: u32,
    /// Trace fractional bits (default `trace_bits - 6`).
    pub trace_frac: u32,
    /// Readout bits (8..=31).
    pub readout_bits: u32,
    /// Readout fractional bits (default `readout_bits - 8`).
    pub readout_frac: u32,
    /// Rounding of decays.
    pub rounding: RoundingMode,
}

/// `[network]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Network {
    /// Input channels.
    pub inputs: u32,
    /// Recurrent neurons.
    pub neurons: u32,
    /// Readouts.
    pub outputs: u32,
    /// Neuron model.
    pub model: NeuronModel,
    /// Fraction of ALIF neurons in an LSNN.
    pub alif_fraction: f64,
    /// Time step, ms.
    pub dt_ms: f64,
    /// Membrane time constant, ms.
    pub tau_m_ms: f64,
    /// Adaptation time constant, ms.
    pub tau_a_ms: f64,
    /// Readout time constant, ms.
    pub tau_out_ms: f64,
    /// Threshold.
    pub threshold: f64,
    /// Adaptation strength.
    pub beta: f64,
    /// Refractory steps.
    pub refractory_steps: u32,
    /// Recurrent connection probability.
    pub connectivity: f64,
    /// Input connection probability.
    pub input_connectivity: f64,
    /// Fraction of excitatory neurons; Dale's law when present.
    pub excitatory_fraction: Option<f64>,
    /// Input weight scale.
    pub w_in_scale: f64,
    /// Recurrent weight scale.
    pub w_rec_scale: f64,
    /// Readout weight scale.
    pub w_out_scale: f64,
    /// Log-normal spread of tau_m.
    pub tau_m_spread: f64,
    /// Log-normal spread of thresholds.
    pub threshold_spread: f64,
}

/// `[task]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Task {
    /// Which task.
    pub kind: TaskKind,
    /// Samples to run (`neurochip run` without learning).
    pub samples: u32,
    /// Steps per sample (Poisson), or encoding steps (digits).
    pub steps: u32,
    /// Poisson rate, Hz.
    pub rate_hz: f64,
    /// Cues (odd).
    pub n_cues: u32,
    /// Cue duration, ms.
    pub cue_ms: u32,
    /// Gap after each cue, ms.
    pub gap_ms: u32,
    /// Delay before recall, ms.
    pub delay_ms: u32,
    /// Recall window, ms.
    pub recall_ms: u32,
    /// Cue and recall population rate, Hz.
    pub cue_rate_hz: f64,
    /// Background rate, Hz.
    pub bg_rate_hz: f64,
    /// Pattern input rate, Hz.
    pub pattern_rate_hz: f64,
    /// Pattern length, ms.
    pub pattern_ms: u32,
    /// Digits: largest pixel rate, Hz.
    pub max_rate_hz: f64,
    /// Digits: steps at the end of a sample with a valid target.
    pub window: u32,
    /// Digits: the data file.
    pub data: String,
}

/// `[learning]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Learning {
    /// Engine.
    pub engine: EngineKind,
    /// Online or per batch of samples.
    pub apply: ApplyMode,
    /// Samples per update in sample mode.
    pub batch: u32,
    /// Learning rate of input weights.
    pub eta_in: f64,
    /// Learning rate of recurrent weights.
    pub eta_rec: f64,
    /// Learning rate of readout weights.
    pub eta_out: f64,
    /// Learning rate of readout biases.
    pub eta_bias: f64,
    /// Eligibility bits.
    pub elig_bits: u32,
    /// Eligibility fractional bits.
    pub elig_frac: u32,
    /// Light engine psi levels.
    pub psi_levels: u32,
    /// Pseudo-derivative dampening.
    pub gamma: f64,
    /// Feedback.
    pub feedback: FeedbackKind,
    /// Rate regularisation strength (0 = off).
    pub reg_strength: f64,
    /// Rate regularisation target, Hz.
    pub reg_rate_hz: f64,
    /// Learn readout weights and biases.
    pub learn_readout: bool,
    /// Learn input and recurrent weights (false = reservoir mode).
    pub learn_hidden: bool,
}

/// `[train]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Train {
    /// Epochs.
    pub epochs: u32,
    /// Training samples per epoch.
    pub train_samples: u32,
    /// Test samples.
    pub test_samples: u32,
}

/// A checked configuration.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Config {
    /// Name (default: the file stem).
    pub name: String,
    /// Where it came from (for messages).
    #[serde(skip)]
    pub origin: String,
    /// Master seed.
    pub seed: u64,
    /// Chip limits.
    pub chip: Chip,
    /// Formats.
    pub formats: Formats,
    /// Network.
    pub network: Network,
    /// Task.
    pub task: Task,
    /// Learning.
    pub learning: Learning,
    /// Training plan.
    pub train: Train,
}

// ---------------------------------------------------------------------------
// Raw (as written) structures: every field optional so defaults and errors are ours.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    name: Option<String>,
    seed: Option<u64>,
    chip: Option<Chip>,
    formats: Option<RawFormats>,
    network: Option<RawNetwork>,
    task: Option<RawTask>,
    learning: Option<RawLearning>,
    train: Option<RawTrain>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawFormats {
    membrane_bits: Option<u32>,
    membrane_frac: Option<u32>,
    weight_bits: Option<u32>,
    trace_bits: Option<u32>,
    trace_frac: Option<u32>,
    readout_bits: Option<u32>,
    readout_frac: Option<u32>,
    rounding: Option<RoundingMode>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNetwork {
    inputs: Option<u32>,
    neurons: Option<u32>,
    outputs: Option<u32>,
    model: Option<NeuronModel>,
    alif_fraction: Option<f64>,
    dt_ms: Option<f64>,
    tau_m_ms: Option<f64>,
    tau_a_ms: Option<f64>,
    tau_out_ms: Option<f64>,
    threshold: Option<f64>,
    beta: Option<f64>,
    refractory_steps: Option<u32>,
    connectivity: Option<f64>,
    input_connectivity: Option<f64>,
    excitatory_fraction: Option<f64>,
    w_in_scale: Option<f64>,
    w_rec_scale: Option<f64>,
    w_out_scale: Option<f64>,
    tau_m_spread: Option<f64>,
    threshold_spread: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTask {
    kind: Option<TaskKind>,
    samples: Option<u32>,
    steps: Option<u32>,
    rate_hz: Option<f64>,
    n_cues: Option<u32>,
    cue_ms: Option<u32>,
    gap_ms: Option<u32>,
    delay_ms: Option<u32>,
    recall_ms: Option<u32>,
    cue_rate_hz: Option<f64>,
    bg_rate_hz: Option<f64>,
    pattern_rate_hz: Option<f64>,
    pattern_ms: Option<u32>,
    max_rate_hz: Option<f64>,
    window: Option<u32>,
    data: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawLearning {
    engine: Option<EngineKind>,
    apply: Option<ApplyMode>,
    batch: Option<u32>,
    eta: Option<f64>,
    eta_in: Option<f64>,
    eta_rec: Option<f64>,
    eta_out: Option<f64>,
    eta_bias: Option<f64>,
    elig_bits: Option<u32>,
    elig_frac: Option<u32>,
    psi_levels: Option<u32>,
    gamma: Option<f64>,
    feedback: Option<FeedbackKind>,
    reg_strength: Option<f64>,
    reg_rate_hz: Option<f64>,
    learn_readout: Option<bool>,
    learn_hidden: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawTrain {
    epochs: Option<u32>,
    train_samples: Option<u32>,
    test_samples: Option<u32>,
}

/// Read and check a configuration file.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let origin = path.display().to_string();
    let meta = std::fs::metadata(path)
        .map_err(|e| ConfigError::new(&origin, None, format!("cannot read the file: {e}")))?;
    if meta.is_dir() {
        return Err(ConfigError::new(
            &origin,
            None,
            "is a directory; give a .toml configuration file",
        ));
    }
    const MAX: u64 = 1 << 20;
    if meta.len() > MAX {
        return Err(ConfigError::new(
            &origin,
            None,
            format!(
                "the file is {} bytes; a configuration is at most {MAX} bytes",
                meta.len()
            ),
        ));
    }
    let bytes = std::fs::read(path)
        .map_err(|e| ConfigError::new(&origin, None, format!("cannot read the file: {e}")))?;
    let text = text_of(&bytes, &origin)?;
    let mut cfg = parse(text, &origin)?;
    if cfg.name.is_empty() {
        cfg.name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
    }
    // Relative data paths are relative to the working directory, then to the file.
    if cfg.task.kind == TaskKind::Digits && !Path::new(&cfg.task.data).exists() {
        if let Some(dir) = path.parent() {
            let alt = dir.join(&cfg.task.data);
            if alt.exists() {
                cfg.task.data = alt.display().to_string();
            }
        }
    }
    Ok(cfg)
}

fn text_of<'a>(bytes: &'a [u8], origin: &str) -> Result<&'a str, ConfigError> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        ConfigError::new(
            origin,
            None,
            format!(
                "not a text file (invalid UTF-8 at byte {}); a configuration is a TOML text file",
                e.valid_up_to()
            ),
        )
    })?;
    if text.contains('\0') {
        return Err(ConfigError::new(
            origin,
            None,
            "not a text file (it contains NUL bytes); a configuration is a TOML text file",
        ));
    }
    Ok(text)
}

/// Line and column (from 1) of byte offset `off` in `text`.
fn line_col(text: &str, off: usize) -> (usize, usize) {
    let off = off.min(text.len());
    let before = &text[..off];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// The `[section]` in force at byte offset `off`.
fn section_at(text: &str, off: usize) -> Option<String> {
    let mut sec = None;
    let mut pos = 0;
    for line in text.split_inclusive('\n') {
        if pos > off {
            break;
        }
        let t = line.trim();
        if t.starts_with('[') && t.ends_with(']') && !t.starts_with("[[") {
            sec = Some(t.trim_matches(|c| c == '[' || c == ']').trim().to_string());
        }
        pos += line.len();
    }
    sec
}

/// Where `key` is written in `[section]` (or at the top when `section` is empty).
fn locate(text: &str, section: &str, key: &str) -> Option<(usize, usize)> {
    let mut cur = String::new();
    let mut pos = 0;
    for line in text.split_inclusive('\n') {
        let t = line.trim_start();
        let indent = line.len() - t.len();
        let tt = t.trim_end();
        if tt.starts_with('[') && tt.ends_with(']') {
            cur = tt.trim_matches(|c| c == '[' || c == ']').trim().to_string();
            if key.is_empty() && cur == section {
                return Some(line_col(text, pos + indent));
            }
        } else if cur == section && !key.is_empty() {
            if let Some(rest) = t.strip_prefix(key) {
                if rest.trim_start().starts_with('=') {
                    return Some(line_col(text, pos + indent));
                }
            }
        }
        pos += line.len();
    }
    None
}

fn suggest(word: &str, candidates: &[&str]) -> Option<String> {
    candidates
        .iter()
        .map(|c| (strsim::jaro_winkler(word, c), *c))
        .filter(|(s, _)| *s > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c.to_string())
}

/// Turn a TOML/serde error into ours.
fn from_toml(e: &toml::de::Error, text: &str, origin: &str) -> ConfigError {
    let msg = e.message().replace('\n', " ");
    let span = e.span();
    let pos = span.clone().map(|s| line_col(text, s.start));
    let section = span.as_ref().and_then(|s| section_at(text, s.start));
    // The key under the span, if it is one.
    let key = span
        .as_ref()
        .and_then(|s| text.get(s.clone()))
        .map(|k| k.trim().trim_matches('"').to_string())
        .filter(|k| !k.is_empty() && k.chars().all(|c| c.is_alphanumeric() || c == '_'));
    let path = |k: &str| match &section {
        Some(s) => format!("{s}.{k}"),
        None => k.to_string(),
    };
    if let Some(rest) = msg.strip_prefix("unknown field `") {
        let name = rest.split('`').next().unwrap_or("");
        let expected: Vec<&str> = rest
            .split("expected")
            .nth(1)
            .map(|l| l.split('`').skip(1).step_by(2).collect())
            .unwrap_or_default();
        let is_section = section.as_deref() == Some(name) && expected.contains(&"network");
        let (field, mut m) = if is_section {
            (name.to_string(), format!("unknown section `[{name}]`"))
        } else {
            (path(name), format!("unknown key `{name}`"))
        };
        if !expected.is_empty() {
            m.push_str(&format!("; allowed: {}", expected.join(", ")));
        }
        if let Some(s) = suggest(name, &expected) {
            m.push_str(&format!(" (did you mean `{s}`?)"));
        }
        return ConfigError::new(origin, Some(&field), m).at(pos);
    }
    if let Some(rest) = msg.strip_prefix("unknown variant `") {
        let name = rest.split('`').next().unwrap_or("");
        let expected: Vec<&str> = rest
            .split("expected")
            .nth(1)
            .map(|l| l.split('`').skip(1).step_by(2).collect())
            .unwrap_or_default();
        let field = section_key_at(text, span.as_ref().map_or(0, |s| s.start));
        let mut m = format!("`{name}` is not allowed; allowed: {}", expected.join(", "));
        if let Some(s) = suggest(name, &expected) {
            m.push_str(&format!(" (did you mean `{s}`?)"));
        }
        return ConfigError::new(origin, field.as_deref(), m).at(pos);
    }
    let field = section_key_at(text, span.as_ref().map_or(0, |s| s.start))
        .or_else(|| key.map(|k| path(&k)));
    let m = if msg.starts_with("invalid type") {
        msg.replacen("invalid type: ", "wrong type: ", 1)
    } else {
        msg
    };
    ConfigError::new(origin, field.as_deref(), m).at(pos)
}

/// `section.key` of the `key = value` line holding byte offset `off`.
fn section_key_at(text: &str, off: usize) -> Option<String> {
    let start = text[..off.min(text.len())].rfind('\n').map_or(0, |p| p + 1);
    let line = text[start..].lines().next()?;
    let key = line.split('=').next()?.trim();
    if key.is_empty() || key.starts_with('[') || line.find('=').is_none() {
        return None;
    }
    Some(match section_at(text, off) {
        Some(s) => format!("{s}.{key}"),
        None => key.to_string(),
    })
}

struct Check<'a> {
    text: &'a str,
    origin: &'a str,
}

impl Check<'_> {
    fn err(&self, section: &str, key: &str, message: String) -> ConfigError {
        let field = if section.is_empty() {
            key.to_string()
        } else {
            format!("{section}.{key}")
        };
        ConfigError::new(self.origin, Some(&field), message)
            .at(locate(self.text, section, key).or_else(|| locate(self.text, section, "")))
    }

    fn int(&self, s: &str, k: &str, v: u32, lo: u32, hi: u32) -> Result<u32, ConfigError> {
        if v < lo || v > hi {
            Err(self.err(s, k, format!("{v} is out of range; allowed {lo}..={hi}")))
        } else {
            Ok(v)
        }
    }

    fn float(
        &self,
        s: &str,
        k: &str,
        v: f64,
        lo: f64,
        hi: f64,
        open_lo: bool,
    ) -> Result<f64, ConfigError> {
        let ok = v.is_finite() && (if open_lo { v > lo } else { v >= lo }) && v <= hi;
        if ok {
            Ok(v)
        } else {
            let range = match (open_lo, hi.is_infinite()) {
                (true, true) => format!("a finite number > {lo}"),
                (false, true) => format!("a finite number >= {lo}"),
                (true, false) => format!("a number in ({lo}, {hi}]"),
                (false, false) => format!("a number in [{lo}, {hi}]"),
            };
            Err(self.err(s, k, format!("{v} is not allowed; allowed: {range}")))
        }
    }

    fn missing(&self, s: &str, k: &str, what: &str) -> ConfigError {
        let mut e = self.err(s, k, format!("missing; {what}"));
        if locate(self.text, s, "").is_none() {
            e.line = None;
            e.column = None;
        }
        e
    }
}

/// Parse and check the text of a configuration; `origin` names it in messages.
pub fn parse(text: &str, origin: &str) -> Result<Config, ConfigError> {
    let meaningful = text
        .lines()
        .any(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'));
    if !meaningful {
        return Err(ConfigError::new(
            origin,
            None,
            "the file is empty; a chip configuration needs at least a [network] section \
             (inputs, neurons, outputs) and a [task] section (kind); `neurochip init` writes one",
        ));
    }
    let raw: RawFile = toml::from_str(text).map_err(|e| from_toml(&e, text, origin))?;
    let c = Check { text, origin };

    let chip = raw.chip.unwrap_or_default();
    for (k, v) in [
        ("max_inputs", chip.max_inputs),
        ("max_neurons", chip.max_neurons),
        ("max_outputs", chip.max_outputs),
    ] {
        c.int("chip", k, v, 1, 4096)?;
    }

    let f = raw.formats.unwrap_or_default();
    let mb = c.int(
        "formats",
        "membrane_bits",
        f.membrane_bits.unwrap_or(16),
        8,
        24,
    )?;
    let mfrac = c.int(
        "formats",
        "membrane_frac",
        f.membrane_frac.unwrap_or(mb - 6),
        0,
        mb - 2,
    )?;
    let wb = c.int("formats", "weight_bits", f.weight_bits.unwrap_or(8), 2, 16)?;
    let tb = c.int("formats", "trace_bits", f.trace_bits.unwrap_or(12), 6, 16)?;
    let tfrac = c.int(
        "formats",
        "trace_frac",
        f.trace_frac.unwrap_or(tb - 6),
        0,
        tb,
    )?;
    let rb = c.int(
        "formats",
        "readout_bits",
        f.readout_bits.unwrap_or(16),
        8,
        31,
    )?;
    let rfrac = c.int(
        "formats",
        "readout_frac",
        f.readout_frac.unwrap_or(rb - 8),
        0,
        rb - 2,
    )?;
    let formats = Formats {
        membrane_bits: mb,
        membrane_frac: mfrac,
        weight_bits: wb,
        trace_bits: tb,
        trace_frac: tfrac,
        readout_bits: rb,
        readout_frac: rfrac,
        rounding: f.rounding.unwrap_or(RoundingMode::Nearest),
    };

    let Some(n) = raw.network else {
        return Err(c
            .missing(
                "network",
                "",
                "a [network] section with inputs, neurons and outputs is required",
            )
            .with_field("network"));
    };
    let need = |v: Option<u32>, k: &str| {
        v.ok_or_else(|| c.missing("network", k, "a whole number >= 1 is required"))
    };
    let inputs = need(n.inputs, "inputs")?;
    let neurons = need(n.neurons, "neurons")?;
    let outputs = need(n.outputs, "outputs")?;
    for (k, v, lim, lk) in [
        ("inputs", inputs, chip.max_inputs, "max_inputs"),
        ("neurons", neurons, chip.max_neurons, "max_neurons"),
        ("outputs", outputs, chip.max_outputs, "max_outputs"),
    ] {
        if v == 0 {
            return Err(c.err("network", k, "0 is out of range; allowed >= 1".into()));
        }
        if v > lim {
            return Err(c.err(
                "network",
                k,
                format!("{v} does not fit the chip: chip.{lk} = {lim}"),
            ));
        }
    }
    let pos = f64::INFINITY;
    let network = Network {
        inputs,
        neurons,
        outputs,
        model: n.model.unwrap_or(NeuronModel::Lif),
        alif_fraction: c.float(
            "network",
            "alif_fraction",
            n.alif_fraction.unwrap_or(0.5),
            0.0,
            1.0,
            false,
        )?,
        dt_ms: c.float(
            "network",
            "dt_ms",
            n.dt_ms.unwrap_or(1.0),
            0.0,
            1000.0,
            true,
        )?,
        tau_m_ms: c.float(
            "network",
            "tau_m_ms",
            n.tau_m_ms.unwrap_or(20.0),
            0.0,
            pos,
            true,
        )?,
        tau_a_ms: c.float(
            "network",
            "tau_a_ms",
            n.tau_a_ms.unwrap_or(2000.0),
            0.0,
            pos,
            true,
        )?,
        tau_out_ms: c.float(
            "network",
            "tau_out_ms",
            n.tau_out_ms.unwrap_or(20.0),
            0.0,
            pos,
            true,
        )?,
        threshold: c.float(
            "network",
            "threshold",
            n.threshold.unwrap_or(1.0),
            0.0,
            pos,
            true,
        )?,
        beta: c.float("network", "beta", n.beta.unwrap_or(0.07), 0.0, pos, false)?,
        refractory_steps: c.int(
            "network",
            "refractory_steps",
            n.refractory_steps.unwrap_or(2),
            0,
            255,
        )?,
        connectivity: c.float(
            "network",
            "connectivity",
            n.connectivity.unwrap_or(1.0),
            0.0,
            1.0,
            true,
        )?,
        input_connectivity: c.float(
            "network",
            "input_connectivity",
            n.input_connectivity.unwrap_or(1.0),
            0.0,
            1.0,
            true,
        )?,
        excitatory_fraction: n
            .excitatory_fraction
            .map(|v| c.float("network", "excitatory_fraction", v, 0.0, 1.0, false))
            .transpose()?,
        w_in_scale: c.float(
            "network",
            "w_in_scale",
            n.w_in_scale.unwrap_or(1.0),
            0.0,
            pos,
            false,
        )?,
        w_rec_scale: c.float(
            "network",
            "w_rec_scale",
            n.w_rec_scale.unwrap_or(1.0),
            0.0,
            pos,
            false,
        )?,
        w_out_scale: c.float(
            "network",
            "w_out_scale",
            n.w_out_scale.unwrap_or(1.0),
            0.0,
            pos,
            false,
        )?,
        tau_m_spread: c.float(
            "network",
            "tau_m_spread",
            n.tau_m_spread.unwrap_or(0.0),
            0.0,
            pos,
            false,
        )?,
        threshold_spread: c.float(
            "network",
            "threshold_spread",
            n.threshold_spread.unwrap_or(0.0),
            0.0,
            pos,
            false,
        )?,
    };

    let Some(t) = raw.task else {
        return Err(c
            .missing("task", "", "a [task] section with kind = \"poisson\" | \"cue\" | \"pattern\" | \"store_recall\" | \"digits\" is required")
            .with_field("task"));
    };
    let Some(kind) = t.kind else {
        return Err(c.missing(
            "task",
            "kind",
            "one of \"poisson\", \"cue\", \"pattern\", \"store_recall\", \"digits\" is required",
        ));
    };
    let n_cues = c.int("task", "n_cues", t.n_cues.unwrap_or(7), 1, 63)?;
    if n_cues % 2 == 0 {
        return Err(c.err(
            "task",
            "n_cues",
            format!("{n_cues} is even; allowed: an odd number in 1..=63"),
        ));
    }
    let task = Task {
        kind,
        samples: c.int("task", "samples", t.samples.unwrap_or(1), 1, 1_000_000)?,
        steps: c.int(
            "task",
            "steps",
            t.steps
                .unwrap_or(if kind == TaskKind::Digits { 50 } else { 1000 }),
            1,
            10_000_000,
        )?,
        rate_hz: c.float(
            "task",
            "rate_hz",
            t.rate_hz.unwrap_or(20.0),
            0.0,
            1000.0,
            false,
        )?,
        n_cues,
        cue_ms: c.int("task", "cue_ms", t.cue_ms.unwrap_or(100), 1, 100_000)?,
        gap_ms: c.int("task", "gap_ms", t.gap_ms.unwrap_or(50), 0, 100_000)?,
        delay_ms: c.int("task", "delay_ms", t.delay_ms.unwrap_or(1050), 0, 1_000_000)?,
        recall_ms: c.int("task", "recall_ms", t.recall_ms.unwrap_or(150), 1, 100_000)?,
        cue_rate_hz: c.float(
            "task",
            "cue_rate_hz",
            t.cue_rate_hz.unwrap_or(40.0),
            0.0,
            1000.0,
            false,
        )?,
        bg_rate_hz: c.float(
            "task",
            "bg_rate_hz",
            t.bg_rate_hz.unwrap_or(10.0),
            0.0,
            1000.0,
            false,
        )?,
        pattern_rate_hz: c.float(
            "task",
            "pattern_rate_hz",
            t.pattern_rate_hz.unwrap_or(10.0),
            0.0,
            1000.0,
            false,
        )?,
        pattern_ms: c.int(
            "task",
            "pattern_ms",
            t.pattern_ms.unwrap_or(1000),
            1,
            1_000_000,
        )?,
        max_rate_hz: c.float(
            "task",
            "max_rate_hz",
            t.max_rate_hz.unwrap_or(200.0),
            0.0,
            1000.0,
            false,
        )?,
        window: c.int("task", "window", t.window.unwrap_or(10), 1, 10_000_000)?,
        data: t
            .data
            .unwrap_or_else(|| "data/uci-digits/digits.csv.gz".into()),
    };

    let l = raw.learning.unwrap_or_default();
    let eta = c.float("learning", "eta", l.eta.unwrap_or(1e-3), 0.0, 1e6, false)?;
    let eb = c.int("learning", "elig_bits", l.elig_bits.unwrap_or(24), 8, 31)?;
    let learning = Learning {
        engine: l.engine.unwrap_or(EngineKind::Off),
        apply: l.apply.unwrap_or(ApplyMode::Sample),
        batch: c.int("learning", "batch", l.batch.unwrap_or(1), 1, 1_000_000)?,
        eta_in: c.float(
            "learning",
            "eta_in",
            l.eta_in.unwrap_or(eta),
            0.0,
            1e6,
            false,
        )?,
        eta_rec: c.float(
            "learning",
            "eta_rec",
            l.eta_rec.unwrap_or(eta),
            0.0,
            1e6,
            false,
        )?,
        eta_out: c.float(
            "learning",
            "eta_out",
            l.eta_out.unwrap_or(eta),
            0.0,
            1e6,
            false,
        )?,
        eta_bias: c.float(
            "learning",
            "eta_bias",
            l.eta_bias.unwrap_or(eta),
            0.0,
            1e6,
            false,
        )?,
        elig_bits: eb,
        elig_frac: c.int(
            "learning",
            "elig_frac",
            l.elig_frac.unwrap_or(eb / 2),
            0,
            eb - 2,
        )?,
        psi_levels: c.int("learning", "psi_levels", l.psi_levels.unwrap_or(4), 2, 16)?,
        gamma: c.float(
            "learning",
            "gamma",
            l.gamma.unwrap_or(0.3),
            0.0,
            100.0,
            false,
        )?,
        feedback: l.feedback.unwrap_or(FeedbackKind::Symmetric),
        reg_strength: c.float(
            "learning",
            "reg_strength",
            l.reg_strength.unwrap_or(0.0),
            0.0,
            1e9,
            false,
        )?,
        reg_rate_hz: c.float(
            "learning",
            "reg_rate_hz",
            l.reg_rate_hz.unwrap_or(10.0),
            0.0,
            1000.0,
            false,
        )?,
        learn_readout: l.learn_readout.unwrap_or(true),
        learn_hidden: l.learn_hidden.unwrap_or(true),
    };
    let tr = raw.train.unwrap_or_default();
    let train = Train {
        epochs: c.int("train", "epochs", tr.epochs.unwrap_or(1), 0, 100_000)?,
        train_samples: c.int(
            "train",
            "train_samples",
            tr.train_samples.unwrap_or(100),
            1,
            100_000_000,
        )?,
        test_samples: c.int(
            "train",
            "test_samples",
            tr.test_samples.unwrap_or(100),
            0,
            100_000_000,
        )?,
    };
    Ok(Config {
        name: raw.name.unwrap_or_default(),
        origin: origin.to_string(),
        seed: raw.seed.unwrap_or(1),
        chip,
        formats,
        network,
        task,
        learning,
        train,
    })
}

impl ConfigError {
    fn with_field(mut self, f: &str) -> Self {
        self.field = Some(f.to_string());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: &str = "[network]\ninputs = 40\nneurons = 100\noutputs = 2\n[task]\nkind = \"cue\"\n";

    fn err(text: &str) -> String {
        parse(text, "x.toml").unwrap_err().to_string()
    }

    #[test]
    fn minimal_parses_with_defaults() {
        let c = parse(OK, "x.toml").unwrap();
        assert_eq!(c.network.neurons, 100);
        assert_eq!(c.formats.membrane_frac, 10);
        assert_eq!(c.task.kind, TaskKind::Cue);
    }

    #[test]
    fn messages() {
        assert!(err("").starts_with("x.toml: the file is empty"));
        assert!(err("# only a comment\n").contains("the file is empty"));
        let e =
            err("[network]\ninputs = 40\nneurons = \"many\"\noutputs = 2\n[task]\nkind=\"cue\"\n");
        assert!(
            e.starts_with("x.toml:3:11: network.neurons: wrong type"),
            "{e}"
        );
        let e = err("[network]\ninputs = 40\nnuerons = 100\noutputs = 2\n[task]\nkind=\"cue\"\n");
        assert!(
            e.contains("x.toml:3:1: network.nuerons: unknown key `nuerons`"),
            "{e}"
        );
        assert!(e.contains("did you mean `neurons`?"), "{e}");
        let e = err("[network]\ninputs = 40\noutputs = 2\n[task]\nkind=\"cue\"\n");
        assert!(e.contains("network.neurons: missing"), "{e}");
        let e = err(&OK.replace("neurons = 100", "neurons = 300"));
        assert!(
            e.contains(
                "x.toml:3:1: network.neurons: 300 does not fit the chip: chip.max_neurons = 256"
            ),
            "{e}"
        );
        let e = err(&format!("{OK}[formats]\nweight_bits = 17\n"));
        assert!(
            e.contains("x.toml:8:1: formats.weight_bits: 17 is out of range; allowed 2..=16"),
            "{e}"
        );
        let e = err(&OK.replace("outputs = 2", "outputs = 2\ntau_m_ms = -5.0"));
        assert!(
            e.contains("network.tau_m_ms: -5 is not allowed; allowed: a finite number > 0"),
            "{e}"
        );
        let e = err(&OK.replace("outputs = 2", "outputs = 2\ntau_m_ms = 0.0"));
        assert!(e.contains("network.tau_m_ms: 0 is not allowed"), "{e}");
        let e = err(&OK.replace("outputs = 2", "outputs = 2\ntau_m_ms = nan"));
        assert!(e.contains("network.tau_m_ms: NaN is not allowed"), "{e}");
        let e = err(&OK.replace("outputs = 2", "outputs = 2\nmodel = \"izhikevich\""));
        assert!(
            e.contains("network.model: `izhikevich` is not allowed; allowed: lif, alif, lsnn"),
            "{e}"
        );
        let e = err(&OK.replace("kind = \"cue\"", "kind = \"cues\""));
        assert!(e.contains("did you mean `cue`?"), "{e}");
        let e = err(&OK.replace("neurons = 100", "neurons = 99999999999"));
        assert!(e.contains("network.neurons"), "{e}");
        let e = err(&format!("{OK}[netwrk]\n"));
        assert!(
            e.contains("x.toml:7:2: netwrk: unknown section `[netwrk]`"),
            "{e}"
        );
        assert!(e.contains("did you mean `network`?"), "{e}");
        let e = err("[network\n");
        assert!(e.starts_with("x.toml:1:"), "{e}");
        for e in [
            err(""),
            err("[network\n"),
            err(&OK.replace("outputs = 2", "outputs = -2")),
        ] {
            assert!(!e.contains('\n'), "one line: {e}");
        }
    }
}
