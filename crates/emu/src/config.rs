//! Chip configuration files (TOML): reading, checking, and errors that say what was
//! wrong, where (file, line, column, field) and what is allowed.
//!
//! A chip file has two top-level keys (`name`, `seed`) and the sections `[chip]`,
//! `[formats]`, `[network]`, `[task]`, `[learning]`, `[train]` and `[reward]`.
//! `[network]` (`inputs`, `neurons`, `outputs`) and `[task]` (`kind`) are required;
//! every other key has a default, filled in by [`parse`]. `examples/lif.toml` explains
//! every key.
//!
//! A file with `[solver]` or `[assembly]` describes that application instead of an
//! e-prop chip (an [`AppConfig`], read by [`parse_workload`] and [`load_workload`]):
//! besides its one section it may hold only `name`; any other key or section is
//! refused, named. `examples/solver.toml` and `examples/assemblies.toml` explain their
//! keys. [`parse`] and [`load`] take chip files only and refuse an application file
//! at its section.
//!
//! ```
//! let cfg = neurochip_emu::config::parse(
//!     "[network]\ninputs = 40\nneurons = 100\noutputs = 2\n[task]\nkind = \"cue\"\n",
//!     "chip.toml",
//! )
//! .unwrap();
//! assert_eq!(cfg.name, "chip");
//! assert_eq!(cfg.formats.membrane_frac, 10);
//!
//! let e = neurochip_emu::config::parse("[network]\nnuerons = 100\n", "chip.toml").unwrap_err();
//! assert_eq!((e.line(), e.column(), e.field()), (Some(2), Some(1), Some("network.nuerons")));
//! assert!(e.to_string().ends_with("(did you mean `neurons`?)"));
//! ```
//!
//! How it works: the text is parsed once into a `toml::de::DeTable`, which keeps the
//! span of every key and value (`source.rs`); that table is deserialised into structs
//! whose keys are all optional and unknown keys refused (`raw.rs`); then defaults are
//! filled in and every range checked (`check.rs`) against one table of what each key
//! allows (`schema.rs`), with errors pointed at the spans.

mod app;
mod audio;
mod check;
mod error;
mod raw;
mod schema;
mod source;
#[cfg(test)]
mod tests;

use std::path::Path;

use neurochip_core::solver::Params;
use serde::{Deserialize, Serialize};

pub use crate::rates::LayerRates;
pub use audio::{AudioTask, FrontEnd, ImageInput, TestSplit};
pub use error::ConfigError;
/// The core's own types for `learning.engine`, `learning.apply`, `learning.feedback` and
/// `formats.rounding` (core feature `serde`): the file names their variants in
/// snake_case.
pub use neurochip_core::learning::{Apply, Engine, Feedback};
pub use neurochip_core::Rounding;

/// Neuron model of the recurrent layer (`network.model`).
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

/// Distribution of the per-neuron heterogeneity factors (`network.spread_dist`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpreadDist {
    /// `exp(s * N(0, 1) - s^2 / 2)`: mean 1, `s` the standard deviation of the log.
    #[default]
    Lognormal,
    /// Uniform on `[1 - s, 1 + s]`: mean 1, `s` the half-width (`0 <= s < 1`).
    Uniform,
}

/// The task that drives the chip (`task.kind`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskKind {
    /// Independent Poisson inputs, no target.
    Poisson,
    /// Cue accumulation (e-prop paper, Fig. 3).
    Cue,
    /// Pattern generation (regression, e-prop paper, Fig. 2).
    Pattern,
    /// Store-recall.
    StoreRecall,
    /// UCI 8x8 digits, rate coded.
    Digits,
    /// Delayed-reward navigation in a grid arena (only with `[reward]` environment =
    /// "navigation").
    Navigation,
    /// Keyword spotting: spoken words through the audio front end (`[audio]`).
    Audio,
    /// A user's spike events (`.npz`, the layout of the Spiking Heidelberg Digits:
    /// `spikes/times`, `spikes/units`, `labels`; [`crate::dataset`]).
    Events,
    /// A user's dense features (CSV, `.npy` or `.npz`), rate or latency coded
    /// ([`crate::dataset`]).
    Features,
}

impl TaskKind {
    /// Whether the task reads `task.data`.
    pub fn reads_data(self) -> bool {
        matches!(
            self,
            TaskKind::Digits | TaskKind::Events | TaskKind::Features
        )
    }
}

/// How a feature becomes spikes (`task.encoding`, `kind = "features"`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    /// Each feature a Poisson channel, its rate in proportion to the value.
    #[default]
    Rate,
    /// Each feature one spike, the larger the value the earlier.
    Latency,
}

/// Reward-learning environment (`reward.environment`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Environment {
    /// The cue-accumulation trial of `[task]`: one choice at the end of the recall
    /// window, reward 1 for the majority side.
    Cue,
    /// The navigation arena of `[task]`: a move every `action_steps` steps, reward 1
    /// on arrival at the goal.
    Navigation,
}

/// `[chip]`: the physical limits the network must fit.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Chip {
    /// Input channels (1..=4096, default 256).
    pub max_inputs: u32,
    /// Recurrent neurons (1..=4096, default 256).
    pub max_neurons: u32,
    /// Readouts (1..=4096, default 16).
    pub max_outputs: u32,
}

/// `[formats]`: datapath bit widths and rounding.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Formats {
    /// Membrane bits (8..=24, default 16).
    pub membrane_bits: u32,
    /// Membrane fractional bits (0..=membrane_bits - 2, default membrane_bits - 6).
    pub membrane_frac: u32,
    /// Weight bits (2..=16, default 8).
    pub weight_bits: u32,
    /// Presynaptic trace bits (6..=16, default 12).
    pub trace_bits: u32,
    /// Trace fractional bits (0..=trace_bits, default trace_bits - 6).
    pub trace_frac: u32,
    /// Readout bits (8..=31, default 16).
    pub readout_bits: u32,
    /// Readout fractional bits (0..=readout_bits - 2, default readout_bits - 8).
    pub readout_frac: u32,
    /// Rounding of decays (default nearest).
    pub rounding: Rounding,
}

/// `[network]`: the recurrent spiking network mapped onto the chip.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Network {
    /// Input channels (1..=chip.max_inputs, required).
    pub inputs: u32,
    /// Recurrent neurons (1..=chip.max_neurons, required).
    pub neurons: u32,
    /// Readouts (1..=chip.max_outputs, required).
    pub outputs: u32,
    /// Neuron model (default LIF).
    pub model: NeuronModel,
    /// Fraction of ALIF neurons in an LSNN ([0, 1], default 0.5).
    pub alif_fraction: f64,
    /// Time step, ms ([0.001, 1000], default 1).
    pub dt_ms: f64,
    /// Membrane time constant, ms (> 0, default 20).
    pub tau_m_ms: f64,
    /// Adaptation time constant, ms (> 0, default 2000).
    pub tau_a_ms: f64,
    /// Readout time constant, ms (> 0, default 20).
    pub tau_out_ms: f64,
    /// Threshold (> 0, default 1).
    pub threshold: f64,
    /// Adaptation strength (>= 0, default 0.07).
    pub beta: f64,
    /// Refractory steps (0..=255, default 2).
    pub refractory_steps: u32,
    /// Recurrent connection probability ((0, 1], default 1).
    pub connectivity: f64,
    /// Input connection probability ((0, 1], default 1).
    pub input_connectivity: f64,
    /// Release probability of input synapses ((0, 1], default 1: always release;
    /// below 1 a comparator per synapse and event decides, `neurochip_core::release`).
    pub release_in: f64,
    /// Release probability of recurrent synapses ((0, 1], default 1).
    pub release_rec: f64,
    /// A weights file (`.npz`, [`crate::weights_file`]) the chip starts from instead of
    /// drawing its weights: a relative path from the working directory, else from the
    /// configuration's folder. `--weights FILE` sets it on the command line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weights: Option<String>,
    /// Fraction of excitatory neurons ([0, 1]); Dale's law when present.
    pub excitatory_fraction: Option<f64>,
    /// Input weight scale: weights ~ N(0, scale / sqrt(fan-in)) (>= 0, default 1).
    pub w_in_scale: f64,
    /// Recurrent weight scale (>= 0, default 1).
    pub w_rec_scale: f64,
    /// Readout weight scale (>= 0, default 1).
    pub w_out_scale: f64,
    /// Log-normal relative spread of tau_m ([0, 10], default 0).
    pub tau_m_spread: f64,
    /// Relative spread of each readout's tau_out, drawn like `tau_m_spread` from
    /// `spread_dist` ([0, 10], default 0: every readout at `tau_out_ms`).
    #[serde(skip_serializing_if = "is_zero")]
    pub tau_out_spread: f64,
    /// Log-normal relative spread of thresholds ([0, 10], default 0).
    pub threshold_spread: f64,
    /// Distribution of the `tau_m` and threshold factors (default log-normal).
    pub spread_dist: SpreadDist,
}

/// `[task]`: what drives the chip. A file may set only the keys its kind reads
/// (`kind` and `samples`, then: Poisson `rate_hz`, `steps`; cue `n_cues` ...
/// `bg_rate_hz`; pattern `pattern_*`; digits `steps`, `max_rate_hz`, `window`, `data`;
/// store-recall none); the others keep their defaults.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Task {
    /// Which task (required).
    pub kind: TaskKind,
    /// Samples to run (`neurochip run` without learning; default 1).
    pub samples: u32,
    /// Steps per sample (Poisson, default 1000), or encoding steps (digits, default 50).
    pub steps: u32,
    /// Poisson rate, Hz (default 20); store-recall: the rate of the active store,
    /// recall and value populations (default 40).
    pub rate_hz: f64,
    /// Cues (odd, 1..=31, default 7).
    pub n_cues: u32,
    /// Cue duration, ms (default 100).
    pub cue_ms: u32,
    /// Gap after each cue, ms (default 50).
    pub gap_ms: u32,
    /// Delay before recall, ms (default 1050).
    pub delay_ms: u32,
    /// Recall window, ms (default 150).
    pub recall_ms: u32,
    /// Cue and recall population rate, Hz (default 40).
    pub cue_rate_hz: f64,
    /// Background rate, Hz (default 10).
    pub bg_rate_hz: f64,
    /// Pattern input rate, Hz (default 10).
    pub pattern_rate_hz: f64,
    /// Pattern length, ms (default 1000).
    pub pattern_ms: u32,
    /// Digits: largest pixel rate, Hz (default 200).
    pub max_rate_hz: f64,
    /// Digits: steps at the end of a sample with a valid target (default 10).
    pub window: u32,
    /// Digits, events, features: the data file.
    pub data: String,
    /// Navigation: side of the arena in cells (2..=16, default 5).
    pub arena: u32,
    /// Navigation: peak rate of a place cell, Hz (default 100).
    pub place_rate_hz: f64,
    /// Navigation: width of a place field, cells (default 0.7).
    pub place_sigma: f64,
    /// Navigation: steps between two moves (default 20).
    pub action_steps: u32,
    /// Navigation: most moves of an episode (default 30).
    pub max_moves: u32,
    /// Store-recall: periods per trial (default 10).
    pub periods: u32,
    /// Store-recall: length of a period, ms (default 200).
    pub period_ms: u32,
    /// Store-recall: shortest store-to-recall delay, periods (default 1).
    pub min_delay: u32,
    /// Store-recall: longest store-to-recall delay, periods (default 6).
    pub max_delay: u32,
    /// Store-recall: random values shown without a store signal in the other periods
    /// (default true).
    pub distractors: bool,
    /// Keyword spotting (`kind = "audio"`): its `[task]` keys and `[audio]`; `None`
    /// for every other kind.
    pub audio: Option<AudioTask>,
    /// Features: rate or latency coding (default rate).
    pub encoding: Encoding,
    /// Events, features: the fraction of samples held out for testing, drawn with
    /// `split_seed` (absent: the file's own split, else 0.2).
    pub test_fraction: Option<f64>,
    /// Events, features: the seed of the split by `test_fraction` (default 0).
    pub split_seed: u64,
}

/// `[learning]`: the on-chip learning engine. An engine needs a task with targets
/// (not `poisson`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Learning {
    /// Engine (default off).
    pub engine: Engine,
    /// Online or per batch of samples (default sample).
    pub apply: Apply,
    /// Samples per update in sample mode (default 1).
    pub batch: u32,
    /// Learning rates per layer, `eta_in`, `eta_rec`, `eta_out`, `eta_bias` (each
    /// default `eta`, 1e-3).
    #[serde(flatten)]
    pub rates: LayerRates,
    /// Eligibility bits (8..=31, default 24).
    pub elig_bits: u32,
    /// Eligibility fractional bits (default elig_bits / 2).
    pub elig_frac: u32,
    /// Light engine psi levels (2..=16, default 4).
    pub psi_levels: u32,
    /// Pseudo-derivative dampening (default 0.3).
    pub gamma: f64,
    /// Feedback (default symmetric).
    pub feedback: Feedback,
    /// Rate regularisation strength (0 = off).
    pub reg_strength: f64,
    /// Rate regularisation target, Hz (default 10).
    pub reg_rate_hz: f64,
    /// Learn readout weights and biases (default true).
    pub learn_readout: bool,
    /// Learn input and recurrent weights (false = reservoir mode; default true).
    pub learn_hidden: bool,
    /// Per-synapse learning-rate spread `k` (0..=16, default 0): each synapse learns at
    /// `eta * 2^-o` with `o` in `0..=k` drawn from a hash of the seed and its index.
    pub lr_spread: u32,
    /// Rewiring (Deep R, `neurochip_core::rewire`): the fraction of input and of
    /// recurrent connections kept active, a fixed budget per layer ((0, 1]; absent:
    /// no rewiring).
    pub rewire_fraction: Option<f64>,
    /// Synaptic-sampling noise: probability per active weight and update of a +-1 LSB
    /// random step ([0, 1], default 0; needs `rewire_fraction`).
    pub rewire_noise: f64,
    /// Decay classes of the learning circuits (1..=8; absent: the distinct decays of
    /// the network when at most 8, else one shared trace decay). With a spread of
    /// `tau_m` or `tau_out`, each neuron's (readout's) time constant is put on the
    /// nearest of this many log-spaced values spanning the drawn ones, and the chip
    /// learns with exact e-prop (`neurochip_core::classes`, docs/eprop.md).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tau_classes: Option<u32>,
    /// Each engine's rates, when the file gives an engine rates of its own
    /// (`[learning.exact]`, `[learning.light]`); `None`: both engines learn at the rates
    /// above and `[train]`'s schedule. The rates above and `train.halve_rates_every`
    /// are always those of `engine`; [`Config::set_engine`] switches them with it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by_engine: Option<ByEngine>,
}

/// The rates and the schedule one engine learns with.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Rates {
    /// The learning rate of each layer.
    #[serde(flatten)]
    pub rates: LayerRates,
    /// Epochs between halvings of every rate (0: never).
    pub halve_rates_every: u32,
}

/// Both engines' rates, each filled in: `[learning]`'s rates and `[train]`'s schedule,
/// with the keys of the engine's own table over them. In the table, as in
/// `[learning]`, `eta` is the default of the four rates it does not name.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct ByEngine {
    /// `[learning.exact]` over the file's rates.
    pub exact: Rates,
    /// `[learning.light]` over the file's rates.
    pub light: Rates,
}

/// Whether a spread is 0 (the default, left out of the serialised configuration).
fn is_zero(v: &f64) -> bool {
    *v == 0.0
}

/// `[train]`: the training plan. Written in a file, it needs a learning engine.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Train {
    /// Epochs (default 1).
    pub epochs: u32,
    /// Training samples per epoch (default 100).
    pub train_samples: u32,
    /// Test samples (default 100).
    pub test_samples: u32,
    /// Halve every learning rate after each this many epochs (default 0: never). The
    /// chip adds one to every learning-rate shift per halving
    /// ([`neurochip_core::Chip::set_rate_step`]); the float twin halves its rates.
    pub halve_rates_every: u32,
}

/// `[reward]`: reward-based e-prop (actor–critic, [`neurochip_core::reward`]). The
/// readouts are the policy's logits (`0..actions`) and the value (readout `actions`);
/// one sample of the plan is one episode.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Reward {
    /// The environment (default `cue`).
    pub environment: Environment,
    /// Actions (default 2; the network needs `actions + 1` outputs).
    pub actions: u32,
    /// Discount per agent step, [0, 1] (default 0.9).
    pub gamma: f64,
    /// Weight `c_V` of the value loss, [0, 1] (default 0.5).
    pub value_weight: f64,
}

/// A checked configuration: every default filled in, every range checked.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Config {
    /// Name (default: the file stem of the origin).
    pub name: String,
    /// Where it came from (for messages).
    #[serde(skip)]
    pub origin: String,
    /// Master seed (default 1).
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
    /// Reward learning, when the file has a `[reward]` section.
    pub reward: Option<Reward>,
}

/// `[solver]`: the constraint solver (`neurochip solve`, application kind 4) on one
/// problem. Defaults are `neurochip solve`'s.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Solver {
    /// The problem file (required) as found: a relative path names a file in the
    /// working directory, else in the configuration's folder.
    pub problem: String,
    /// The problem read from it, checked (`neurochip_emu::inputs::PROBLEM` bounds it).
    #[serde(skip)]
    pub csp: crate::csp::Csp,
    /// PRNG seed of the network (default 1).
    pub seed: u64,
    /// Step budget (at least 1, default 1000000).
    pub steps: u64,
    /// Colours of a graph problem (2..=16; overrides its `colors` line, else 3).
    /// Refused for a Sudoku.
    pub colors: Option<u32>,
    /// Potential lost per active conflicting neighbour (0..=255, default 20).
    pub inhibition: u8,
    /// Steps a winner stays active (1..=255, default 1).
    pub refractory: u8,
    /// Potential of the quiet option (-128..=64, default -32).
    pub quiet_potential: i8,
    /// Lower saturation bound of the membrane potential (-128..=64, default -64).
    pub floor: i8,
    /// Potential bias of a clue's value (0..=255, default 64).
    pub clue_bias: u8,
}

impl Solver {
    /// The network constants.
    pub fn params(&self) -> Params {
        Params {
            inhibition: self.inhibition,
            clue_bias: self.clue_bias,
            refractory: self.refractory,
            quiet: self.quiet_potential,
            floor: self.floor,
        }
    }
}

/// `[assembly]`: an STDP assembly area (`neurochip assembly`, application kind 5):
/// the standard area (`neurochip_tasks::assembly::area_config`) and the digest
/// workload's stimuli. Defaults are `neurochip assembly`'s (the digest workload).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Assembly {
    /// Neurons in the area (1..=4096, default 200).
    pub neurons: u32,
    /// At most this many neurons fire per step (1..=neurons, default 20).
    pub cap: u32,
    /// Plastic steps (at least 1, default 200).
    pub steps: u32,
    /// PRNG seed of the area: wiring, rounding (default 7).
    pub seed: u64,
    /// PRNG seed of the stimuli (default 99).
    pub stimulus_seed: u64,
}

/// The application a file describes.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Application {
    /// `[solver]`.
    Solver(Solver),
    /// `[assembly]`.
    Assembly(Assembly),
}

/// A checked application file: its name and its one application section.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AppConfig {
    /// Name (default: the file stem of the origin).
    pub name: String,
    /// Where it came from (for messages).
    #[serde(skip)]
    pub origin: String,
    /// The application.
    pub app: Application,
}

/// What a configuration file describes: an e-prop chip, or an application.
#[derive(Clone, Debug, PartialEq)]
pub enum Workload {
    /// `[network]`, `[task]` and the rest: an e-prop chip.
    Chip(Box<Config>),
    /// `[solver]` or `[assembly]`.
    App(Box<AppConfig>),
}

impl Config {
    /// Whether the chip learns (`learning.engine` is not off): its run follows the
    /// `[train]` plan (with `[reward]`: its episodes), not `task.samples` or a step
    /// budget such as `neurochip run --steps`.
    pub fn learns(&self) -> bool {
        self.learning.engine != Engine::Off
    }

    /// Learn with `engine` from now on, at its own rates when the file gives it some
    /// (`[learning.exact]`, `[learning.light]`): what `neurochip sweep --engines`
    /// does to a file.
    pub fn set_engine(&mut self, engine: Engine) {
        self.learning.engine = engine;
        let rates = match (engine, &self.learning.by_engine) {
            (Engine::Exact, Some(b)) => b.exact,
            (Engine::Light, Some(b)) => b.light,
            _ => return,
        };
        self.learning.rates = rates.rates;
        self.train.halve_rates_every = rates.halve_rates_every;
    }

    /// The files this configuration, read from `path`, makes a command read: `path`
    /// itself, its data file and its weights file.
    pub fn inputs<'a>(&'a self, path: &'a Path) -> Vec<&'a Path> {
        let mut v = vec![path, Path::new(&self.task.data)];
        if let Some(w) = &self.network.weights {
            v.push(Path::new(w));
        }
        v
    }

    /// Start the chip from the weights in `weights` (a `.npz` file), when given:
    /// `network.weights`, overriding the file's own.
    pub fn with_weights(&mut self, weights: Option<&Path>) {
        if let Some(w) = weights {
            self.network.weights = Some(w.display().to_string());
        }
    }
}

impl AppConfig {
    /// The files this application file, read from `path`, makes a command read:
    /// `path` itself and its problem file.
    pub fn inputs<'a>(&'a self, path: &'a Path) -> Vec<&'a Path> {
        match &self.app {
            Application::Solver(s) => vec![path, Path::new(&s.problem)],
            Application::Assembly(_) => vec![path],
        }
    }
}

/// Read and check a chip configuration file (an application file is refused at its
/// section: [`load_workload`] reads both). The file is read as bytes, so a binary file
/// gives "not a text file" rather than an I/O error.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    load_source(path).map(|(cfg, _)| cfg)
}

/// [`load`], also returning the bytes of the file as read (a run folder keeps them as
/// `config.toml`, byte for byte).
pub fn load_source(path: &Path) -> Result<(Config, Vec<u8>), ConfigError> {
    read_parsed(path, |text, origin| {
        parse(text, origin).map(|cfg| found_data(cfg, path))
    })
}

/// Read and check a configuration file of either kind: a chip, or an application
/// (`[solver]`, `[assembly]`; its problem file is read and checked too).
pub fn load_workload(path: &Path) -> Result<Workload, ConfigError> {
    load_workload_source(path).map(|(w, _)| w)
}

/// [`load_workload`], also returning the bytes of the file as read.
pub fn load_workload_source(path: &Path) -> Result<(Workload, Vec<u8>), ConfigError> {
    read_parsed(path, |text, origin| {
        Ok(match parse_workload(text, origin)? {
            Workload::Chip(cfg) => Workload::Chip(Box::new(found_data(*cfg, path))),
            app => app,
        })
    })
}

/// The file at `path` read ([`read`]), its text (a text file) given to `parse` with
/// the file's name; what `parse` made of it, and the bytes as read.
fn read_parsed<T>(
    path: &Path,
    parse: impl FnOnce(&str, &str) -> Result<T, ConfigError>,
) -> Result<(T, Vec<u8>), ConfigError> {
    let bytes = read(path)?;
    let origin = path.display().to_string();
    let text = source::text_of(&bytes, &origin)?;
    let parsed = parse(text, &origin)?;
    Ok((parsed, bytes))
}

/// The bytes of a configuration file: at most MAX_FILE_BYTES, checked before reading
/// and cut one byte past it (a device such as `/dev/zero` or a pipe has no size and
/// may never end).
fn read(path: &Path) -> Result<Vec<u8>, ConfigError> {
    let origin = path.display().to_string();
    let cannot = |e: std::io::Error| {
        ConfigError::file_level(
            &origin,
            format!("cannot read the file: {e}; give the path of a .toml chip configuration"),
        )
    };
    use crate::inputs::InputError;
    crate::inputs::read(path, "chip configuration", source::MAX_FILE_BYTES).map_err(|e| match e {
        InputError::Io { source, .. } => cannot(source),
        InputError::Folder { .. } => ConfigError::file_level(
            &origin,
            "is a directory; give the path of a .toml chip configuration",
        ),
        InputError::TooLarge { limit, size, .. } => ConfigError::file_level(
            &origin,
            format!(
                "the file is {}; a chip configuration is at most {limit} bytes",
                size.map_or_else(
                    || format!("more than {limit} bytes"),
                    |s| format!("{s} bytes")
                )
            ),
        ),
    })
}

/// A relative data path (digits, and the user data sets of `events` and `features`),
/// audio folder (`kind = "audio"`) or weights file (`network.weights`) is relative to
/// the working directory, else to the file.
fn found_data(mut cfg: Config, path: &Path) -> Config {
    let beside = |p: &str| -> Option<String> {
        if Path::new(p).exists() {
            return None;
        }
        let alt = path.parent()?.join(p);
        alt.exists().then(|| alt.display().to_string())
    };
    if cfg.task.kind.reads_data() {
        if let Some(alt) = beside(&cfg.task.data) {
            cfg.task.data = alt;
        }
    }
    if let Some(alt) = cfg.network.weights.as_deref().and_then(beside) {
        cfg.network.weights = Some(alt);
    }
    if let Some(a) = cfg.task.audio.as_mut() {
        if let Some(alt) = beside(&a.folder) {
            a.folder = alt;
        }
    }
    cfg
}

/// Parse and check the text of a chip configuration (an application file is refused:
/// at its first mistake, else at its section; its problem file is not read, so this
/// reads no file at all); `origin` names it in messages and gives the default `name` (its
/// file stem).
pub fn parse(text: &str, origin: &str) -> Result<Config, ConfigError> {
    let (raw, src) = read_raw(text, origin)?;
    if app::is_app(&raw) {
        return Err(app::not_a_chip(&raw, &src));
    }
    check::config(raw, &src)
}

/// [`parse`] the text as if it were the file at `path` (which need not exist): `path`
/// names it in messages and gives the default `name`, and a relative digits data path
/// that is not found from the working directory is looked up beside it, as [`load`]
/// does. For configurations that are not files (the Python package's dicts).
pub fn parse_at(text: &str, path: &Path) -> Result<Config, ConfigError> {
    let cfg = parse(text, &path.display().to_string())?;
    Ok(found_data(cfg, path))
}

/// Parse and check the text of a configuration of either kind. An application's
/// problem file (`solver.problem`) is read: a relative path from the working
/// directory, else from the folder of `origin`.
pub fn parse_workload(text: &str, origin: &str) -> Result<Workload, ConfigError> {
    let (raw, src) = read_raw(text, origin)?;
    if app::is_app(&raw) {
        return app::app(raw, &src).map(|a| Workload::App(Box::new(a)));
    }
    check::config(raw, &src).map(|c| Workload::Chip(Box::new(c)))
}

/// The file as written, and where each of its keys is.
fn read_raw<'a>(
    text: &'a str,
    origin: &'a str,
) -> Result<(raw::RawFile, source::Source<'a>), ConfigError> {
    source::check_text(text, origin)?;
    if text.trim().is_empty() {
        return Err(source::empty(origin));
    }
    let table =
        toml::de::DeTable::parse(text).map_err(|e| source::syntax_error(text, origin, &e))?;
    if table.get_ref().is_empty() {
        return Err(source::empty(origin));
    }
    let src = source::Source::new(text, origin, table.get_ref());
    let raw = raw::RawFile::deserialize(toml::de::Deserializer::from(table))
        .map_err(|e| src.serde_error(&e))?;
    Ok((raw, src))
}
