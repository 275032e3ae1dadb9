//! Architecture files: what a chip is made of and what each operation costs.
//!
//! An architecture (`arch/*.toml`) names the neuro-cores, the neurons each one
//! time-multiplexes, the synapse lanes behind one weight word, the SRAM banks (word
//! width, words, and which memory structures each one holds), the AER router, and the
//! per-operation costs in cycles and picojoules. [`crate::cycle`] runs a chip against
//! it. The shipped architectures are compiled in ([`Arch::builtin`]); any other file is
//! read with [`Arch::load`]. docs/cycle-model.md gives the source of every figure.

use serde::{Deserialize, Serialize};
use std::path::Path;

/// The architectures shipped in `arch/`, by name.
pub const BUILTIN: &[(&str, &str)] = &[
    ("reckon", include_str!("../../../arch/reckon.toml")),
    ("xylo", include_str!("../../../arch/xylo.toml")),
    ("multicore", include_str!("../../../arch/multicore.toml")),
];

/// The default architecture.
pub const DEFAULT: &str = "reckon";

/// The memory structures a bank can hold.
pub const STRUCTURES: &[&str] = &[
    "w_in",
    "w_rec",
    "w_out",
    "feedback",
    "masks",
    "neurons",
    "readouts",
    "traces",
    "eligibility",
    "accumulators",
];

/// A chip architecture.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Arch {
    /// Short name.
    pub name: String,
    /// One line on what it is.
    pub description: String,
    /// Cores, neurons, lanes, clock.
    pub chip: ChipArch,
    /// The spike router.
    pub router: Router,
    /// The learning engine.
    pub learning: LearningArch,
    /// SRAM banks.
    #[serde(rename = "bank")]
    pub banks: Vec<Bank>,
    /// Cycles per operation.
    pub cycles: Cycles,
    /// Picojoules per operation.
    pub energy_pj: Energy,
}

/// Cores and datapath widths.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ChipArch {
    /// Neuro-cores; neurons are split evenly over them and every core receives every
    /// event.
    pub cores: u32,
    /// Neurons one core time-multiplexes at most.
    pub neurons_per_core: u32,
    /// Input channels the AER port addresses.
    pub max_inputs: u32,
    /// Readout units.
    pub max_outputs: u32,
    /// Synapses accumulated per cycle (adders behind one weight word).
    pub synapse_lanes: u32,
    /// Neurons updated per cycle per core.
    pub neuron_lanes: u32,
    /// Nominal clock, MHz, that reports compare the real-time clock against.
    pub clock_mhz: f64,
}

/// The AER router between the input port, the cores and the readout.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Router {
    /// Cycles from an event's injection to its arrival in a core's queue.
    pub latency_cycles: f64,
    /// Cycles between two injections (the router's throughput).
    pub cycles_per_event: f64,
    /// Events a core's queue holds; a full queue stalls the router (back-pressure).
    pub queue_depth: u32,
}

/// The learning engine.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LearningArch {
    /// Synapses updated per cycle per core.
    pub lanes: u32,
}

/// One SRAM bank.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Bank {
    /// Name, for reports.
    pub name: String,
    /// Bits per word.
    pub word_bits: u32,
    /// Words (chip-wide, summed over cores).
    pub words: u64,
    /// Structures stored here (see [`STRUCTURES`]). A structure listed by several
    /// banks goes to the first of them (in file order) with room for it.
    pub holds: Vec<String>,
    /// A memory beside the chip (an SRAM or DRAM on a bus), not on the die: every
    /// word moved to or from it costs `cycles.external_word` and
    /// `energy_pj.external_word` on top of the operation that moves it (default
    /// false).
    #[serde(default)]
    pub external: bool,
}

impl Bank {
    /// Capacity in bytes.
    pub fn bytes(&self) -> u64 {
        self.words.saturating_mul(u64::from(self.word_bits)) / 8
    }
}

/// Cycles per operation (fractions allowed: published models give averages).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Cycles {
    /// Fixed cost of a time step (tick, FSM state changes).
    pub step_overhead: f64,
    /// Per input channel per step, whether or not it spiked (scan-based ports).
    pub input_scan: f64,
    /// Per input event (address decode).
    pub input_event: f64,
    /// Per neuron per step in the recurrent event stage (scan-based engines).
    pub recurrent_scan: f64,
    /// Per recurrent event.
    pub recurrent_event: f64,
    /// Per input weight word read and accumulated.
    pub input_word: f64,
    /// Per recurrent weight word read and accumulated.
    pub recurrent_word: f64,
    /// Per LIF neuron update.
    pub neuron: f64,
    /// Per ALIF neuron update.
    pub neuron_alif: f64,
    /// Per spike emitted.
    pub spike: f64,
    /// Per recurrent spike reaching the readout.
    pub readout_event: f64,
    /// Per readout weight word.
    pub readout_word: f64,
    /// Per readout update.
    pub readout: f64,
    /// Per word of traces updated (learning).
    pub trace: f64,
    /// Per word of per-synapse eligibility updated (exact engine).
    pub eligibility_word: f64,
    /// Per neuron-readout pair of the learning signal.
    pub signal: f64,
    /// Per weight word visited by a weight update.
    pub update_word: f64,
    /// Per word moved to or from an external bank (default 0).
    #[serde(default)]
    pub external_word: f64,
}

/// Picojoules per operation.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Energy {
    /// Per synaptic operation (event times connected target).
    pub sop: f64,
    /// Per neuron update.
    pub neuron: f64,
    /// Per readout update.
    pub readout: f64,
    /// Per trace word updated.
    pub trace: f64,
    /// Per synapse visited by the learning engine (eligibility or weight update).
    pub learn: f64,
    /// Static power, microwatts, charged for the step's duration `dt`.
    pub static_uw: f64,
    /// Per word moved to or from an external bank (default 0).
    #[serde(default)]
    pub external_word: f64,
}

/// Why an architecture file was refused.
#[derive(Debug, thiserror::Error)]
pub enum ArchError {
    /// Too large, endless, a folder, or not text ([`crate::inputs::read_text`]).
    #[error("{0}")]
    Input(Box<crate::inputs::InputError>),
    /// Not valid TOML or not the schema.
    #[error("{path}: {msg}")]
    Parse {
        /// The file.
        path: String,
        /// The TOML error, with line and column.
        msg: String,
    },
    /// A value out of range.
    #[error("{path}: {field}: {msg}")]
    Invalid {
        /// The file.
        path: String,
        /// Field path.
        field: String,
        /// What is wrong.
        msg: String,
    },
    /// Neither a file nor a shipped name.
    #[error("`{0}` is neither an architecture file nor a shipped architecture (shipped: reckon, xylo, multicore)")]
    Unknown(String),
}

impl Arch {
    /// A shipped architecture by name.
    pub fn builtin(name: &str) -> Option<Self> {
        BUILTIN
            .iter()
            .find(|(n, _)| *n == name)
            .and_then(|(n, text)| Self::parse(text, &format!("arch/{n}.toml")).ok())
    }

    /// `spec` is a shipped name (`reckon`, `xylo`, `multicore`) or a path.
    pub fn resolve(spec: &str) -> Result<Self, ArchError> {
        let p = Path::new(spec);
        if p.exists() {
            return Self::load(p);
        }
        Self::builtin(spec).ok_or_else(|| ArchError::Unknown(spec.to_string()))
    }

    /// Read and check an architecture file (at most [`crate::inputs::ARCH`] bytes,
    /// checked before it is read).
    pub fn load(path: &Path) -> Result<Self, ArchError> {
        let shown = path.display().to_string();
        let text = crate::inputs::read_text(path, "architecture file", crate::inputs::ARCH)
            .map_err(|e| ArchError::Input(Box::new(e)))?;
        Self::parse(&text, &shown)
    }

    /// Parse and check architecture text; `path` names it in errors.
    pub fn parse(text: &str, path: &str) -> Result<Self, ArchError> {
        let arch: Arch = toml::from_str(text).map_err(|e| ArchError::Parse {
            path: path.to_string(),
            msg: e.to_string().trim_end().replace('\n', " "),
        })?;
        arch.check(path)?;
        Ok(arch)
    }

    fn check(&self, path: &str) -> Result<(), ArchError> {
        let bad = |field: &str, msg: String| ArchError::Invalid {
            path: path.to_string(),
            field: field.to_string(),
            msg,
        };
        let c = &self.chip;
        for (field, v, lo, hi) in [
            ("chip.cores", c.cores, 1, 1024),
            ("chip.neurons_per_core", c.neurons_per_core, 1, 1 << 16),
            ("chip.max_inputs", c.max_inputs, 1, 1 << 16),
            ("chip.max_outputs", c.max_outputs, 1, 1 << 12),
            ("chip.synapse_lanes", c.synapse_lanes, 1, 4096),
            ("chip.neuron_lanes", c.neuron_lanes, 1, 4096),
            ("learning.lanes", self.learning.lanes, 1, 4096),
            ("router.queue_depth", self.router.queue_depth, 1, 1 << 20),
        ] {
            if !(lo..=hi).contains(&v) {
                return Err(bad(
                    field,
                    format!("{v} is out of range; allowed {lo}..={hi}"),
                ));
            }
        }
        if !(c.clock_mhz.is_finite() && c.clock_mhz > 0.0) {
            return Err(bad(
                "chip.clock_mhz",
                format!("{} must be a positive number", c.clock_mhz),
            ));
        }
        let y = &self.cycles;
        let e = &self.energy_pj;
        let costs = [
            ("router.latency_cycles", self.router.latency_cycles),
            ("router.cycles_per_event", self.router.cycles_per_event),
            ("cycles.step_overhead", y.step_overhead),
            ("cycles.input_scan", y.input_scan),
            ("cycles.input_event", y.input_event),
            ("cycles.recurrent_scan", y.recurrent_scan),
            ("cycles.recurrent_event", y.recurrent_event),
            ("cycles.input_word", y.input_word),
            ("cycles.recurrent_word", y.recurrent_word),
            ("cycles.neuron", y.neuron),
            ("cycles.neuron_alif", y.neuron_alif),
            ("cycles.spike", y.spike),
            ("cycles.readout_event", y.readout_event),
            ("cycles.readout_word", y.readout_word),
            ("cycles.readout", y.readout),
            ("cycles.trace", y.trace),
            ("cycles.eligibility_word", y.eligibility_word),
            ("cycles.signal", y.signal),
            ("cycles.update_word", y.update_word),
            ("cycles.external_word", y.external_word),
            ("energy_pj.sop", e.sop),
            ("energy_pj.neuron", e.neuron),
            ("energy_pj.readout", e.readout),
            ("energy_pj.trace", e.trace),
            ("energy_pj.learn", e.learn),
            ("energy_pj.static_uw", e.static_uw),
            ("energy_pj.external_word", e.external_word),
        ];
        for (field, v) in costs {
            if !(v.is_finite() && (0.0..=1e9).contains(&v)) {
                return Err(bad(
                    field,
                    format!("{v} must be a finite number in 0..=1e9"),
                ));
            }
        }
        if self.banks.is_empty() {
            return Err(bad(
                "bank",
                "an architecture needs at least one [[bank]]".into(),
            ));
        }
        for (i, b) in self.banks.iter().enumerate() {
            let f = |name: &str| format!("bank[{i}] ({}).{name}", b.name);
            if !(1..=4096).contains(&b.word_bits) {
                return Err(bad(
                    &f("word_bits"),
                    format!("{} is out of range; allowed 1..=4096", b.word_bits),
                ));
            }
            if !(1..=1u64 << 40).contains(&b.words) {
                return Err(bad(
                    &f("words"),
                    format!("{} is out of range; allowed 1..=2^40", b.words),
                ));
            }
            for h in &b.holds {
                if !STRUCTURES.contains(&h.as_str()) {
                    return Err(bad(
                        &f("holds"),
                        format!(
                            "`{h}` is not a memory structure; allowed: {}",
                            STRUCTURES.join(", ")
                        ),
                    ));
                }
                if b.holds.iter().filter(|x| *x == h).count() > 1 {
                    return Err(bad(&f("holds"), format!("`{h}` is listed twice")));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_architectures_parse() {
        for (name, text) in BUILTIN {
            let a = Arch::parse(text, name).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(&a.name, name);
        }
        assert!(Arch::builtin(DEFAULT).is_some());
    }

    #[test]
    fn bad_files_say_what_and_where() {
        let text = BUILTIN[0]
            .1
            .replace("synapse_lanes = 16", "synapse_lanes = 0");
        let e = Arch::parse(&text, "x.toml").unwrap_err().to_string();
        assert!(
            e.contains("x.toml: chip.synapse_lanes: 0 is out of range"),
            "{e}"
        );
        let text = BUILTIN[0]
            .1
            .replace("holds = [\"w_in\"]", "holds = [\"w_inn\"]");
        let e = Arch::parse(&text, "x.toml").unwrap_err().to_string();
        assert!(e.contains("`w_inn` is not a memory structure"), "{e}");
        let text = BUILTIN[0].1.replace("sop = 5.3", "sop = nan");
        let e = Arch::parse(&text, "x.toml").unwrap_err().to_string();
        assert!(e.contains("energy_pj.sop"), "{e}");
        let text = BUILTIN[0].1.replace("cores = 1", "cores = 1\nbogus = 2");
        let e = Arch::parse(&text, "x.toml").unwrap_err().to_string();
        assert!(e.contains("x.toml") && e.contains("bogus"), "{e}");
        let e = Arch::resolve("no-such-arch").unwrap_err().to_string();
        assert!(e.contains("shipped: reckon"), "{e}");
    }
}
