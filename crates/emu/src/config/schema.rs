//! What each key allows: one table that both the type errors (from TOML) and the range
//! checks (after reading) take their "allowed ..." text from. The keys the core's
//! builder checks take their bounds from the core's own table
//! ([`neurochip_core::ranges`]).

use neurochip_core::{assembly, ranges, solver};

/// What a key accepts.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Rule {
    /// A table (`[section]`).
    Section,
    /// A whole number in `lo..=hi`.
    Int { lo: u64, hi: u64 },
    /// A whole number in `lo..=hi`, negative ones allowed.
    Signed { lo: i64, hi: i64 },
    /// A finite number above `lo` (or at least `lo` when `lo_closed`), at most `hi`
    /// (`hi` infinite: no upper bound).
    Float { lo: f64, lo_closed: bool, hi: f64 },
    /// One of these strings.
    Choice(&'static [&'static str]),
    /// Any string.
    Text,
    /// `true` or `false`.
    Bool,
    /// A list of strings.
    Words,
}

/// One key of the schema: its dotted path, its rule, and (for bounds that depend on
/// other keys) the text that replaces the rule's own "allowed ...".
pub(super) struct Field {
    pub path: &'static str,
    pub rule: Rule,
    pub note: Option<&'static str>,
}

const fn int(lo: u64, hi: u64) -> Rule {
    Rule::Int { lo, hi }
}
/// The rule of a key whose range the core's builder checks (`neurochip_core::ranges`).
const fn core(r: ranges::Range) -> Rule {
    Rule::Int {
        lo: r.lo as u64,
        hi: r.hi as u64,
    }
}
/// A whole number of either sign in `lo..=hi`.
const fn signed(lo: i32, hi: i32) -> Rule {
    Rule::Signed {
        lo: lo as i64,
        hi: hi as i64,
    }
}
/// Finite and `> lo`.
const fn above(lo: f64, hi: f64) -> Rule {
    Rule::Float {
        lo,
        lo_closed: false,
        hi,
    }
}
/// Finite and `>= lo`.
const fn from(lo: f64, hi: f64) -> Rule {
    Rule::Float {
        lo,
        lo_closed: true,
        hi,
    }
}
const INF: f64 = f64::INFINITY;
/// The widest heterogeneity spread: a log-normal factor with `s = 10` has its median at
/// `exp(-50)`, far past anything a neuron means; beyond ~1e154, `s * s` overflows and
/// the factors are NaN.
const MAX_SPREAD: f64 = 10.0;

/// Neuron models, as written in the file.
pub(super) const MODELS: &[&str] = &["lif", "alif", "lsnn"];
/// Heterogeneity distributions.
pub(super) const SPREAD_DISTS: &[&str] = &["lognormal", "uniform"];
/// Rounding modes.
pub(super) const ROUNDINGS: &[&str] = &["truncate", "nearest", "stochastic"];
/// Task kinds.
pub(super) const TASKS: &[&str] = &[
    "poisson",
    "cue",
    "pattern",
    "store_recall",
    "digits",
    "navigation",
    "audio",
    "events",
    "features",
];
/// Feature codes (`task.encoding`).
pub(super) const ENCODINGS: &[&str] = &["rate", "latency"];
/// The `[task]` keys that only some task kinds read, and the kinds that read them; a
/// file that sets one for another kind is refused. `kind` and `samples` are read by
/// every kind. (From `build::task`: Poisson reads `rate_hz` and `steps`; cue its trial
/// keys; pattern `pattern_*`; digits `steps`, `max_rate_hz`, `window` and `data`;
/// store-recall none: its trial is fixed; navigation its arena.)
pub(super) const TASK_KEYS: &[(&str, &[&str])] = &[
    ("steps", &["poisson", "digits", "events", "features"]),
    ("rate_hz", &["poisson", "store_recall"]),
    ("n_cues", &["cue"]),
    ("cue_ms", &["cue"]),
    ("gap_ms", &["cue"]),
    ("delay_ms", &["cue"]),
    ("recall_ms", &["cue"]),
    ("cue_rate_hz", &["cue"]),
    ("bg_rate_hz", &["cue", "store_recall"]),
    ("periods", &["store_recall"]),
    ("period_ms", &["store_recall"]),
    ("min_delay", &["store_recall"]),
    ("max_delay", &["store_recall"]),
    ("distractors", &["store_recall"]),
    ("pattern_rate_hz", &["pattern"]),
    ("pattern_ms", &["pattern"]),
    ("max_rate_hz", &["digits", "features"]),
    ("window", &["digits", "events", "features"]),
    ("data", &["digits", "events", "features"]),
    ("encoding", &["features"]),
    ("test_fraction", &["events", "features"]),
    ("split_seed", &["events", "features"]),
    ("arena", &["navigation"]),
    ("place_rate_hz", &["navigation"]),
    ("place_sigma", &["navigation"]),
    ("action_steps", &["navigation"]),
    ("max_moves", &["navigation"]),
    // Keyword spotting (`config/audio.rs`); its front end is the `[audio]` section.
    ("folder", &["audio"]),
    ("keywords", &["audio"]),
    ("silence_percent", &["audio"]),
    ("unknown_percent", &["audio"]),
    ("train_clips", &["audio"]),
    ("test_clips", &["audio"]),
    ("test_split", &["audio"]),
    ("window_ms", &["audio"]),
    ("image_input", &["audio"]),
    ("image_clips", &["audio"]),
];

/// The `[task]` keys task kind `kind` reads.
pub(super) fn task_keys_of(kind: &str) -> Vec<&'static str> {
    let mut keys = vec!["kind", "samples"];
    keys.extend(
        TASK_KEYS
            .iter()
            .filter(|(_, kinds)| kinds.contains(&kind))
            .map(|(k, _)| *k),
    );
    keys
}

/// What an exported audio image carries.
pub(super) const IMAGE_INPUTS: &[&str] = &["pcm", "spikes"];

/// The splits a keyword spotter tests on.
pub(super) const TEST_SPLITS: &[&str] = &["test", "validation"];

/// Reward-learning environments.
pub(super) const ENVIRONMENTS: &[&str] = &["cue", "navigation"];
/// Learning engines.
pub(super) const ENGINES: &[&str] = &["off", "exact", "light"];
/// When learning updates are applied.
pub(super) const APPLY: &[&str] = &["online", "sample", "readout"];
/// Feedback weights.
pub(super) const FEEDBACK: &[&str] = &["symmetric", "random"];

macro_rules! fields {
    ($($path:literal => $rule:expr $(, $note:literal)?;)*) => {
        &[$(Field { path: $path, rule: $rule, note: fields!(@note $($note)?) }),*]
    };
    (@note) => { None };
    (@note $n:literal) => { Some($n) };
}

/// Every key a configuration may hold.
pub(super) const FIELDS: &[Field] = fields! {
    "name" => Rule::Text;
    "seed" => int(0, u64::MAX);
    "chip" => Rule::Section;
    "chip.max_inputs" => core(ranges::MAX_INPUTS);
    "chip.max_neurons" => core(ranges::MAX_NEURONS);
    "chip.max_outputs" => core(ranges::MAX_OUTPUTS);
    "formats" => Rule::Section;
    "formats.membrane_bits" => core(ranges::MEMBRANE_BITS);
    "formats.membrane_frac" => int(0, 22), "allowed 0..=membrane_bits - 2";
    "formats.weight_bits" => core(ranges::WEIGHT_BITS);
    "formats.trace_bits" => core(ranges::TRACE_BITS);
    "formats.trace_frac" => int(0, 16), "allowed 0..=trace_bits";
    "formats.readout_bits" => core(ranges::READOUT_BITS);
    "formats.readout_frac" => int(0, 29), "allowed 0..=readout_bits - 2";
    "formats.rounding" => Rule::Choice(ROUNDINGS);
    "network" => Rule::Section;
    "network.inputs" => core(ranges::INPUTS), "allowed 1..=chip.max_inputs (256 unless [chip] says otherwise)";
    "network.neurons" => core(ranges::NEURONS), "allowed 1..=chip.max_neurons (256 unless [chip] says otherwise)";
    "network.outputs" => core(ranges::OUTPUTS), "allowed 1..=chip.max_outputs (16 unless [chip] says otherwise)";
    "network.model" => Rule::Choice(MODELS);
    "network.alif_fraction" => from(0.0, 1.0);
    "network.dt_ms" => from(0.001, 1000.0);
    "network.tau_m_ms" => above(0.0, INF);
    "network.tau_a_ms" => above(0.0, INF);
    "network.tau_out_ms" => above(0.0, INF);
    "network.threshold" => above(0.0, INF);
    "network.beta" => from(0.0, INF);
    "network.refractory_steps" => core(ranges::REFRACTORY);
    "network.connectivity" => above(0.0, 1.0);
    "network.input_connectivity" => above(0.0, 1.0);
    "network.excitatory_fraction" => from(0.0, 1.0);
    "network.w_in_scale" => from(0.0, INF);
    "network.w_rec_scale" => from(0.0, INF);
    "network.w_out_scale" => from(0.0, INF);
    "network.tau_m_spread" => from(0.0, MAX_SPREAD);
    "network.tau_out_spread" => from(0.0, MAX_SPREAD);
    "network.threshold_spread" => from(0.0, MAX_SPREAD);
    "network.spread_dist" => Rule::Choice(SPREAD_DISTS);
    "network.release_in" => above(0.0, 1.0);
    "network.release_rec" => above(0.0, 1.0);
    "network.weights" => Rule::Text;
    "task" => Rule::Section;
    "task.kind" => Rule::Choice(TASKS);
    "task.samples" => core(ranges::SAMPLES);
    "task.steps" => core(ranges::TASK_STEPS);
    "task.rate_hz" => from(0.0, INF);
    "task.n_cues" => int(1, 31), "allowed: an odd number in 1..=31";
    "task.cue_ms" => int(1, 100_000);
    "task.gap_ms" => int(0, 100_000);
    "task.delay_ms" => int(0, 1_000_000);
    "task.recall_ms" => int(1, 100_000);
    "task.cue_rate_hz" => from(0.0, INF);
    "task.bg_rate_hz" => from(0.0, INF);
    "task.pattern_rate_hz" => from(0.0, INF);
    "task.pattern_ms" => int(1, 1_000_000);
    "task.max_rate_hz" => from(0.0, INF);
    "task.window" => int(1, 10_000_000);
    "task.data" => Rule::Text;
    "task.arena" => int(2, 16);
    "task.place_rate_hz" => above(0.0, INF);
    "task.place_sigma" => above(0.0, 16.0);
    "task.action_steps" => int(1, 100_000);
    "task.max_moves" => int(1, 100_000);
    "task.periods" => int(2, 100_000), "allowed 2..=100000 and more than task.max_delay";
    "task.period_ms" => int(1, 100_000);
    "task.min_delay" => int(1, 100_000);
    "task.max_delay" => int(1, 100_000), "allowed task.min_delay..task.periods";
    "task.distractors" => Rule::Bool;
    "task.folder" => Rule::Text, "allowed: a folder in the Speech Commands layout (word folders, validation_list.txt, testing_list.txt), e.g. \"data/kws\"";
    "task.keywords" => Rule::Words, "allowed: 1 to 253 distinct word folders of task.folder, e.g. [\"yes\", \"no\"]";
    "task.silence_percent" => from(0.0, 1000.0);
    "task.unknown_percent" => from(0.0, 1000.0);
    "task.train_clips" => int(1, 1_000_000);
    "task.test_clips" => int(1, 1_000_000);
    "task.test_split" => Rule::Choice(TEST_SPLITS);
    "task.window_ms" => int(1, 1000), "allowed 1..=1000 (the last part of the 1 s clip, at least one step)";
    "task.image_input" => Rule::Choice(IMAGE_INPUTS);
    "task.image_clips" => int(1, 64);
    "task.encoding" => Rule::Choice(ENCODINGS);
    "task.test_fraction" => above(0.0, 1.0);
    "task.split_seed" => int(0, u64::MAX);
    "learning" => Rule::Section;
    "learning.engine" => Rule::Choice(ENGINES);
    "learning.apply" => Rule::Choice(APPLY);
    "learning.batch" => core(ranges::BATCH);
    "learning.eta" => from(0.0, 1e6);
    "learning.eta_in" => from(0.0, 1e6);
    "learning.eta_rec" => from(0.0, 1e6);
    "learning.eta_out" => from(0.0, 1e6);
    "learning.eta_bias" => from(0.0, 1e6);
    "learning.elig_bits" => core(ranges::ELIG_BITS);
    "learning.elig_frac" => int(0, 29), "allowed 0..=elig_bits - 2";
    "learning.psi_levels" => core(ranges::PSI_LEVELS);
    "learning.gamma" => from(0.0, 100.0);
    "learning.feedback" => Rule::Choice(FEEDBACK);
    "learning.reg_strength" => from(0.0, 1e9);
    "learning.reg_rate_hz" => from(0.0, 1000.0);
    "learning.learn_readout" => Rule::Bool;
    "learning.learn_hidden" => Rule::Bool;
    "learning.lr_spread" => core(ranges::LR_SPREAD);
    "learning.rewire_fraction" => above(0.0, 1.0);
    "learning.rewire_noise" => from(0.0, 1.0);
    "learning.tau_classes" => core(ranges::TAU_CLASSES);
    "learning.exact" => Rule::Section, "allowed: a single [learning.exact] section: the rates of the exact engine (eta, eta_in, eta_rec, eta_out, eta_bias, halve_rates_every)";
    "learning.exact.eta" => from(0.0, 1e6);
    "learning.exact.eta_in" => from(0.0, 1e6);
    "learning.exact.eta_rec" => from(0.0, 1e6);
    "learning.exact.eta_out" => from(0.0, 1e6);
    "learning.exact.eta_bias" => from(0.0, 1e6);
    "learning.exact.halve_rates_every" => core(ranges::HALVE_EVERY);
    "learning.light" => Rule::Section, "allowed: a single [learning.light] section: the rates of the light engine (eta, eta_in, eta_rec, eta_out, eta_bias, halve_rates_every)";
    "learning.light.eta" => from(0.0, 1e6);
    "learning.light.eta_in" => from(0.0, 1e6);
    "learning.light.eta_rec" => from(0.0, 1e6);
    "learning.light.eta_out" => from(0.0, 1e6);
    "learning.light.eta_bias" => from(0.0, 1e6);
    "learning.light.halve_rates_every" => core(ranges::HALVE_EVERY);
    "train" => Rule::Section;
    "train.epochs" => core(ranges::EPOCHS);
    "train.train_samples" => core(ranges::TRAIN_SAMPLES);
    "train.test_samples" => core(ranges::TEST_SAMPLES);
    "train.halve_rates_every" => core(ranges::HALVE_EVERY);
    "reward" => Rule::Section;
    "reward.environment" => Rule::Choice(ENVIRONMENTS);
    "reward.actions" => int(1, 63);
    "reward.gamma" => from(0.0, 1.0);
    "reward.value_weight" => from(0.0, 1.0);
    "solver" => Rule::Section;
    "solver.problem" => Rule::Text;
    "solver.seed" => int(0, u64::MAX);
    "solver.steps" => int(1, u64::MAX);
    "solver.colors" => int(2, solver::MAX_VALUES as u64);
    "solver.inhibition" => int(0, 255);
    "solver.refractory" => int(1, 255);
    "solver.quiet_potential" => signed(solver::U_MIN, solver::U_MAX);
    "solver.floor" => signed(solver::U_MIN, solver::U_MAX);
    "solver.clue_bias" => int(0, 255);
    "assembly" => Rule::Section;
    "assembly.neurons" => int(1, assembly::MAX_NEURONS as u64);
    "assembly.cap" => int(1, assembly::MAX_NEURONS as u64), "allowed 1..=neurons";
    "assembly.steps" => int(1, u32::MAX as u64);
    "assembly.seed" => int(0, u64::MAX);
    "assembly.stimulus_seed" => int(0, u64::MAX);
    "audio" => Rule::Section;
    "audio.bands" => int(1, 64);
    "audio.f_lo" => above(0.0, 8000.0), "allowed: 0 < f_lo < f_hi (Hz)";
    "audio.f_hi" => above(0.0, 8000.0), "allowed: f_lo < f_hi < 8000 (Hz, half the sample rate)";
    "audio.samples_per_step" => int(1, 64), "allowed: a power of two, 1..=64 (16 = 1 ms at 16 kHz)";
    "audio.pre_emphasis" => from(0.0, 1.0), "allowed: 0 <= pre_emphasis < 1";
    "audio.env_tau_ms" => above(0.0, INF);
    "audio.floor_dbfs" => from(-138.0, 0.0);
    "audio.theta_on_db" => above(0.0, 96.0);
    "audio.theta_off_db" => above(0.0, 96.0);
};

/// The sections that each describe an application instead of an e-prop chip; a file
/// with one of them holds only `name` besides it.
pub(super) const APPS: &[&str] = &["solver", "assembly"];
/// The top-level keys an application file may hold besides its section.
pub(super) const APP_KEYS: &[&str] = &["name"];

/// The schema entry of `path`.
pub(super) fn field(path: &str) -> Option<&'static Field> {
    FIELDS.iter().find(|f| f.path == path)
}

/// The keys directly under `section` (`""`: the top level).
pub(super) fn keys_of(section: &str) -> Vec<&'static str> {
    FIELDS
        .iter()
        .filter_map(|f| match f.path.rsplit_once('.') {
            Some((s, k)) if s == section => Some(k),
            None if section.is_empty() => Some(f.path),
            _ => None,
        })
        .collect()
}

impl Rule {
    /// "allowed ..." for this rule.
    pub(super) fn allowed(&self) -> String {
        match *self {
            Rule::Section => "allowed: a table of keys".into(),
            Rule::Int { lo, hi } => format!("allowed {lo}..={hi}"),
            Rule::Signed { lo, hi } => format!("allowed {lo}..={hi}"),
            Rule::Float { lo, lo_closed, hi } => {
                let op = if lo_closed { ">=" } else { ">" };
                if hi.is_infinite() {
                    format!("allowed: a finite number {op} {lo}")
                } else {
                    let open = if lo_closed { '[' } else { '(' };
                    format!("allowed: a number in {open}{lo}, {hi}]")
                }
            }
            Rule::Choice(names) => format!("allowed: {}", names.join(", ")),
            Rule::Text => "allowed: a string in quotes".into(),
            Rule::Bool => "allowed: true or false".into(),
            Rule::Words => "allowed: a list of strings in quotes".into(),
        }
    }

    /// What TOML type this rule expects, for "wrong type" messages.
    pub(super) fn expects(&self) -> &'static str {
        match self {
            Rule::Section => "a table",
            Rule::Int { .. } | Rule::Signed { .. } => "an integer",
            Rule::Float { .. } => "a number",
            Rule::Choice(_) | Rule::Text => "a string",
            Rule::Bool => "true or false",
            Rule::Words => "a list of strings",
        }
    }

    /// Whether `v` satisfies a `Float` rule (other rules: always).
    pub(super) fn admits(&self, v: f64) -> bool {
        match *self {
            Rule::Float { lo, lo_closed, hi } => {
                v.is_finite() && (if lo_closed { v >= lo } else { v > lo }) && v <= hi
            }
            _ => true,
        }
    }
}

impl Field {
    /// "allowed ..." for this key.
    pub(super) fn allowed(&self) -> String {
        match (self.note, self.rule) {
            (Some(n), _) => n.to_string(),
            (None, Rule::Section) => format!("allowed: a single [{}] section", self.path),
            (None, rule) => rule.allowed(),
        }
    }
}

/// The candidate closest to `word`, if it is close enough to be a likely typo.
pub(super) fn suggest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let word = word.to_lowercase();
    candidates
        .iter()
        .map(|c| (strsim::jaro_winkler(&word, c), *c))
        .filter(|(s, _)| *s >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// A key named `key` in another section than `section` (e.g. `chip.max_neurons` for a
/// `max_neurons` written under `[network]`).
pub(super) fn elsewhere(section: &str, key: &str) -> Option<&'static str> {
    FIELDS.iter().map(|f| f.path).find(|p| {
        let (s, k) = p.rsplit_once('.').unwrap_or(("", p));
        k == key && s != section
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every range the core's builder checks under a key of the file is that key's
    /// rule here.
    /// Every `[task]` key is either read by every kind or listed with its readers.
    #[test]
    fn task_keys_are_in_the_schema() {
        for (k, kinds) in TASK_KEYS {
            assert!(field(&format!("task.{k}")).is_some(), "task.{k}");
            assert!(kinds.iter().all(|kind| TASKS.contains(kind)), "task.{k}");
        }
        for k in keys_of("task") {
            assert!(
                ["kind", "samples"].contains(&k) || TASK_KEYS.iter().any(|(t, _)| *t == k),
                "task.{k} has no readers"
            );
        }
    }

    #[test]
    fn core_ranges_are_the_schema_rules() {
        for r in ranges::ALL.iter().filter(|r| !r.key.contains('*')) {
            let f = field(r.key).unwrap_or_else(|| panic!("{} is not in the schema", r.key));
            assert_eq!(f.rule, core(*r), "{}", r.key);
        }
    }
}
