//! Where a network's memories go on an architecture: each structure's words
//! ([`Extent`]s), placed in the architecture's SRAM banks ([`sram`]), or the reason it
//! does not fit ([`FitError`]).

use super::*;

/// Why a network does not fit an architecture.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FitError {
    /// More neurons than the cores hold.
    #[error("the network has {needed} neurons; architecture `{arch}` holds {cores} cores x {per_core} = {} (over by {})", cores * per_core, needed.saturating_sub(cores * per_core))]
    Neurons {
        /// Architecture name.
        arch: String,
        /// Neurons of the network.
        needed: u64,
        /// Cores.
        cores: u64,
        /// Neurons per core.
        per_core: u64,
    },
    /// More input channels or readouts than the chip addresses.
    #[error("the network has {needed} {what}; architecture `{arch}` has {limit} (over by {})", needed.saturating_sub(*limit))]
    Ports {
        /// Architecture name.
        arch: String,
        /// "input channels" or "readouts".
        what: &'static str,
        /// Needed.
        needed: u64,
        /// Available.
        limit: u64,
    },
    /// A structure no bank holds.
    #[error("the network needs {bytes} bytes of `{structure}` but architecture `{arch}` has no bank that holds it")]
    NoBank {
        /// Architecture name.
        arch: String,
        /// Structure.
        structure: &'static str,
        /// Bytes needed.
        bytes: u64,
    },
    /// A bank too small.
    #[error("SRAM bank `{bank}` of architecture `{arch}` overflows: the network needs {needed} bytes ({detail}) but the bank holds {capacity}: over by {} bytes", needed.saturating_sub(*capacity))]
    Overflow {
        /// Architecture name.
        arch: String,
        /// Bank.
        bank: String,
        /// Bytes needed.
        needed: u64,
        /// Bytes the bank holds.
        capacity: u64,
        /// What the bytes are.
        detail: String,
    },
}

/// A memory structure's extent: `rows` rows of `per_row` items of `item_bits` bits,
/// each row starting on a word boundary (a presynaptic row of a weight matrix is read
/// with whole words), or, when `packed`, all bits back to back.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Extent {
    pub(crate) name: &'static str,
    pub(crate) rows: u64,
    pub(crate) per_row: u64,
    pub(crate) item_bits: u64,
    pub(crate) packed: bool,
}

impl Extent {
    fn bits(&self) -> u64 {
        self.rows * self.per_row * self.item_bits
    }

    /// Words of a bank `word_bits` wide.
    fn words(&self, word_bits: u64) -> u64 {
        if self.packed || self.item_bits == 0 {
            return self.bits().div_ceil(word_bits);
        }
        self.rows * words_per_row(self.per_row, self.item_bits, word_bits)
    }
}

/// Items of `item_bits` per word of `word_bits` (at least one word per item).
pub(crate) fn per_word(item_bits: u64, word_bits: u64) -> u64 {
    (word_bits / item_bits.max(1)).max(1)
}

/// Words holding `n` items, row-aligned.
fn words_per_row(n: u64, item_bits: u64, word_bits: u64) -> u64 {
    if item_bits > word_bits {
        n * item_bits.div_ceil(word_bits)
    } else {
        n.div_ceil(per_word(item_bits, word_bits))
    }
}

fn extents(cfg: &ChipConfig) -> Vec<Extent> {
    let f = cfg.formats();
    let (ni, n, o) = (cfg.n_in() as u64, cfg.n_rec() as u64, cfg.n_out() as u64);
    let wb = u64::from(f.weight.bits());
    let mb = u64::from(f.membrane.bits());
    let rb = u64::from(f.readout.bits());
    let row = |name, rows, per_row, item_bits| Extent {
        name,
        rows,
        per_row,
        item_bits,
        packed: false,
    };
    let packed = |name, bits| Extent {
        name,
        rows: 1,
        per_row: 1,
        item_bits: bits,
        packed: true,
    };
    let l = cfg.learning();
    let c = Compressed::of(cfg);
    let weights = |name, rows, budget: Option<u64>| match budget {
        Some(b) => packed(name, c.bits(b, rows, n, wb)),
        None => row(name, rows, n, wb),
    };
    // A rewired layer's list is its own mask: bits only for the dense matrices.
    let mask_bits = c.b_in.map_or(ni * n, |_| 0) + c.b_rec.map_or(n * n, |_| 0) + n * o;
    let mut v = vec![
        weights("w_in", ni, c.b_in),
        weights("w_rec", n, c.b_rec),
        row("w_out", n, o, wb),
        // One bit per synapse, rows as the weights.
        row("masks", 1, mask_bits, 1),
        // v, thr, beta (membrane width), alpha, rho (16), b (32), refractory (8).
        row("neurons", 1, n, 3 * mb + 2 * 16 + 32 + 8),
        // y, bias (readout width), kappa (16).
        row("readouts", 1, o, 2 * rb + 16),
    ];
    if l.feedback == neurochip_core::Feedback::Random && l.engine != Engine::Off {
        v.push(row("feedback", n, o, wb));
    }
    if l.engine != Engine::Off {
        let tb = u64::from(f.trace.bits());
        // xbar, zbar, zk (+ bias trace) at trace width; psi (16), psi gain, rate and
        // learning signal (32) per neuron; error (32) per readout.
        v.push(packed(
            "traces",
            (ni + 2 * n + 1) * tb + n * (16 + 32 + 32 + 32) + o * 32,
        ));
    }
    let hidden = c.b_in.unwrap_or(ni * n) + c.b_rec.unwrap_or(n * n);
    let per = elig_per_synapse(cfg);
    if per > 0 {
        let eb = u64::from(l.elig.bits());
        if c.on() {
            v.push(packed("eligibility", hidden * per * eb));
        } else {
            v.push(row("eligibility", (ni + n) * per, n, eb));
        }
    }
    // 32-bit update accumulators: (packed words, rows, words a row). Per sample, every
    // layer's (input, recurrent and readout rows, and a bias row); with the readout
    // held alone, its rows and the bias row.
    let acc = match l.apply {
        _ if l.engine == Engine::Off => None,
        Apply::Online => None,
        Apply::Sample => Some((hidden + (n + 1) * n.max(o), ni + 2 * n + 1, n.max(o))),
        Apply::Readout => Some(((n + 1) * o, n + 1, o)),
    };
    if let Some((words, rows, per_row)) = acc {
        v.push(if c.on() {
            packed("accumulators", words * 32)
        } else {
            row("accumulators", rows, per_row, 32)
        });
    }
    v
}

/// The compressed layout of rewired layers (`neurochip_core::rewire`): a layer holding
/// a fixed budget of active synapses stores, per active synapse, its weight and its
/// postsynaptic index, and per presynaptic row a pointer into that list (a CSR
/// matrix); its per-synapse learning state (eligibility, accumulators) is kept for
/// active synapses only. The datapath gives the same bits either way: silent
/// synapses hold weight zero, and a synapse switched on starts with zero learning
/// state.
#[derive(Clone, Copy, Debug)]
pub struct Compressed {
    /// Budget of the input layer, when it rewires.
    pub b_in: Option<u64>,
    /// Budget of the recurrent layer, when it rewires.
    pub b_rec: Option<u64>,
}

/// Eligibility words per hidden synapse: the exact engine's `ebar`, and `eps` with
/// ALIF neurons on either engine (the light engine keeps nothing else per synapse).
pub(super) fn elig_per_synapse(cfg: &ChipConfig) -> u64 {
    let alif = u64::from(cfg.alif());
    match cfg.learning().engine {
        Engine::Off => 0,
        Engine::Exact => 1 + alif,
        Engine::Light => alif,
    }
}

/// Bits to hold values `0..x` (at least 1).
pub(super) fn bits_below(x: u64) -> u64 {
    u64::from(64 - x.saturating_sub(1).leading_zeros()).max(1)
}

impl Compressed {
    /// The layout `cfg` asks for.
    pub fn of(cfg: &ChipConfig) -> Self {
        let r = cfg.rewire();
        let on = |b: u32| (b != neurochip_core::rewire::OFF).then_some(u64::from(b));
        Self {
            b_in: on(r.budget_in),
            b_rec: on(r.budget_rec),
        }
    }

    /// Whether any layer is compressed.
    pub fn on(&self) -> bool {
        self.b_in.is_some() || self.b_rec.is_some()
    }

    /// Bits of a compressed layer: `budget` entries of weight and postsynaptic index
    /// (`n_post` targets), and `rows + 1` row pointers.
    pub fn bits(&self, budget: u64, rows: u64, n_post: u64, wb: u64) -> u64 {
        budget * (wb + bits_below(n_post)) + (rows + 1) * bits_below(budget + 1)
    }
}

/// One structure in one bank.
#[derive(Clone, Debug, Serialize)]
pub struct StructureUse {
    /// Structure name.
    pub name: &'static str,
    /// Words it takes.
    pub words: u64,
    /// Bytes it takes (words times word width).
    pub bytes: u64,
    /// Bytes of payload (its bits, without row alignment).
    pub payload_bytes: u64,
}

/// One bank's use.
#[derive(Clone, Debug, Serialize)]
pub struct BankUse {
    /// Bank name.
    pub bank: String,
    /// Bits per word.
    pub word_bits: u32,
    /// Capacity, bytes.
    pub capacity_bytes: u64,
    /// Used, bytes.
    pub used_bytes: u64,
    /// Structures in it.
    pub structures: Vec<StructureUse>,
    /// Beside the chip, not on the die ([`crate::arch::Bank::external`]).
    pub external: bool,
}

impl BankUse {
    /// Its structures as `name bytes`, joined by `sep`.
    pub fn structure_list(&self, sep: &str) -> String {
        self.structures
            .iter()
            .map(|s| format!("{} {}", s.name, s.bytes))
            .collect::<Vec<_>>()
            .join(sep)
    }
}

/// The SRAM use of `cfg` on `arch`, bank by bank, or why it does not fit.
pub fn sram(cfg: &ChipConfig, arch: &Arch) -> Result<Vec<BankUse>, FitError> {
    let name = arch.name.clone();
    let c = &arch.chip;
    let (ni, n, o) = (cfg.n_in() as u64, cfg.n_rec() as u64, cfg.n_out() as u64);
    let cores = u64::from(c.cores);
    let per_core = u64::from(c.neurons_per_core);
    if n > cores * per_core {
        return Err(FitError::Neurons {
            arch: name,
            needed: n,
            cores,
            per_core,
        });
    }
    for (what, needed, limit) in [
        ("input channels", ni, u64::from(c.max_inputs)),
        ("readouts", o, u64::from(c.max_outputs)),
    ] {
        if needed > limit {
            return Err(FitError::Ports {
                arch: name,
                what,
                needed,
                limit,
            });
        }
    }
    place(&extents(cfg), arch)
}

/// Place `extents` in the banks of `arch`, or say why they do not fit. Each goes to
/// the first bank (in file order) that lists its structure and still has room for
/// it; when none has room, to the last that lists it, whose overflow is then the
/// error.
pub(crate) fn place(extents: &[Extent], arch: &Arch) -> Result<Vec<BankUse>, FitError> {
    let name = arch.name.clone();
    let mut uses: Vec<BankUse> = arch
        .banks
        .iter()
        .map(|b: &Bank| BankUse {
            bank: b.name.clone(),
            word_bits: b.word_bits,
            capacity_bytes: b.bytes(),
            used_bytes: 0,
            structures: Vec::new(),
            external: b.external,
        })
        .collect();
    for e in extents {
        // The bytes `e` takes in bank `k`, at that bank's word width.
        let size = |k: usize| {
            let wbits = u64::from(arch.banks[k].word_bits);
            let words = e.words(wbits);
            (words, (words * wbits).div_ceil(8))
        };
        let listing: Vec<usize> = (0..arch.banks.len())
            .filter(|&k| arch.banks[k].holds.iter().any(|h| h == e.name))
            .collect();
        let roomy = listing
            .iter()
            .copied()
            .find(|&k| uses[k].used_bytes + size(k).1 <= uses[k].capacity_bytes);
        let Some(k) = roomy.or(listing.last().copied()) else {
            return Err(FitError::NoBank {
                arch: name,
                structure: e.name,
                bytes: e.bits().div_ceil(8),
            });
        };
        let (words, bytes) = size(k);
        let u = &mut uses[k];
        u.used_bytes += bytes;
        u.structures.push(StructureUse {
            name: e.name,
            words,
            bytes,
            payload_bytes: e.bits().div_ceil(8),
        });
    }
    for u in &uses {
        if u.used_bytes > u.capacity_bytes {
            let detail = u.structure_list(" + ");
            return Err(FitError::Overflow {
                arch: name,
                bank: u.bank.clone(),
                needed: u.used_bytes,
                capacity: u.capacity_bytes,
                detail,
            });
        }
    }
    Ok(uses)
}

/// The bank [`place`] put `structure` in, if any (a structure may be listed by
/// several banks).
pub(crate) fn placed<'a>(sram: &'a [BankUse], structure: &str) -> Option<&'a BankUse> {
    sram.iter()
        .find(|u| u.structures.iter().any(|s| s.name == structure))
}

/// Bits of one word of the bank `structure` was placed in (32 when none holds it).
pub(crate) fn word_bits(sram: &[BankUse], structure: &str) -> u64 {
    placed(sram, structure).map_or(32, |b| u64::from(b.word_bits))
}

/// Items of `item_bits` one access of `structure` moves, at most `lanes`.
pub(crate) fn lanes(sram: &[BankUse], structure: &str, item_bits: u64, lanes: u32) -> u64 {
    per_word(item_bits, word_bits(sram, structure))
        .min(u64::from(lanes))
        .max(1)
}
