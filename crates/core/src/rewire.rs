//! Synaptic rewiring under a fixed budget (Deep R, Bellec et al. 2018), optionally
//! with a noise term (synaptic sampling).
//!
//! The connectivity masks of the chip memory (`mask_in`, `mask_rec`, one bit per
//! synapse) say which synapses are active. Every synapse `k` of a layer has a fixed
//! sign `s_k` ([`sign`]): for recurrent synapses under Dale's law the sign of the
//! presynaptic neuron, otherwise a bit of an integer hash of the chip seed, the layer
//! and `k`, so the sign costs no memory. An active synapse holds `w_k = s_k * theta_k`
//! with `theta_k > 0`. After every learning update of the hidden weights
//! ([`update`], called by [`crate::Chip::learn`] in online mode and by
//! [`crate::Chip::end_sample`] in sample mode):
//!
//! 1. noise (when `noise > 0`): every active weight takes a +-1 LSB step (sign from the
//!    chip PRNG) with probability `noise / 2^16`: the random walk of synaptic
//!    sampling, in weight LSBs;
//! 2. retire: an active synapse whose weight reached zero or crossed to the other
//!    sign (`theta <= 0`) is switched off, its weight set to zero;
//! 3. refill: while the layer has fewer active synapses than its budget, a silent
//!    synapse drawn uniformly from the chip PRNG (the `u`-th silent synapse,
//!    `u = (r * silent) >> 32`) is switched on with weight `s_k * 1 LSB`; while it has
//!    more (only before the first update, if the image was built so), a random
//!    active synapse is switched off. A synapse switched on starts with zero
//!    eligibility (`ebar`, `eps`) and a zero update accumulator, as it would on a chip
//!    that keeps learning state for active synapses only (the compressed layout of the
//!    cycle model and the memory report): storing state for silent synapses or not
//!    gives the same bits.
//!
//! Recurrent self-connections (`i -> i`) are never switched on. After [`update`] every
//! layer holds exactly its budget of active synapses, whatever the learning rates,
//! weights or seed (a property test in `crates/core/tests/rewire.rs`). Masked-out
//! synapses hold weight zero and learning never changes them (`crate::eprop`), so the
//! rest of the datapath needs no second code path. A budget of [`OFF`] leaves the
//! layer as it is (and draws nothing from the PRNG): every existing digest is
//! unchanged.

use crate::config::ChipConfig;
use crate::format::Format;
use crate::memory::{Bits, Memory};
use crate::prng::Prng;

/// Budget value of a layer that does not rewire.
pub const OFF: u32 = u32::MAX;

/// Rewiring parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Rewire {
    /// Active input synapses to hold ([`OFF`]: no rewiring of the input layer).
    pub budget_in: u32,
    /// Active recurrent synapses to hold ([`OFF`]: no rewiring of the recurrent layer).
    pub budget_rec: u32,
    /// Probability `noise / 2^16` of a +-1 LSB noise step per active weight and update
    /// (0: plain Deep R, no noise).
    pub noise: u16,
}

impl Rewire {
    /// No rewiring (the default).
    pub const OFF: Self = Self {
        budget_in: OFF,
        budget_rec: OFF,
        noise: 0,
    };

    /// Whether any layer rewires.
    pub const fn is_on(&self) -> bool {
        self.budget_in != OFF || self.budget_rec != OFF
    }
}

impl Default for Rewire {
    fn default() -> Self {
        Self::OFF
    }
}

/// Layer codes of [`sign`]: the hash's own ([`crate::hash::layer`]).
pub mod layer {
    pub use crate::hash::layer::{INPUT, RECURRENT};
}

/// The fixed sign of synapse `index` of `layer` (`true`: positive), when Dale's law
/// does not decide it: bit 0 of murmur3's finaliser of the seed, layer and index.
pub fn sign(seed: u64, layer: u32, index: usize) -> bool {
    crate::hash::synapse(seed, layer, index, 0x2545_F491) & 1 == 1
}

/// What one rewiring pass did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Synapses switched off.
    pub retired: u32,
    /// Synapses switched on.
    pub activated: u32,
}

/// One layer, as the pass sees it.
struct Layer<'m, 'a> {
    w: &'m mut [i16],
    mask: &'m mut Bits,
    /// Per-synapse learning state zeroed when a synapse is switched on (eligibility
    /// `ebar`, adaptation eligibility `eps`, update accumulator; empty when absent).
    state: [&'m mut [i32]; 3],
    budget: u32,
    code: u32,
    /// `Some(n)`: a recurrent `n x n` layer (no self-connections).
    square: Option<usize>,
    /// Dale's law: the excitatory flags of the presynaptic neurons.
    dale: Option<&'a Bits>,
    n_post: usize,
}

impl Layer<'_, '_> {
    fn sign_of(&self, seed: u64, k: usize) -> bool {
        match self.dale {
            Some(exc) => k
                .checked_div(self.n_post)
                .and_then(|i| exc.get(i).map(|b| *b))
                .unwrap_or(true),
            None => sign(seed, self.code, k),
        }
    }

    fn eligible(&self, k: usize) -> bool {
        match self.square {
            Some(n) => k.checked_rem(n.saturating_add(1)) != Some(0),
            None => true,
        }
    }

    /// Synapses that may be active (all, less the diagonal of a square layer).
    fn capacity(&self) -> usize {
        let all = self.mask.len();
        match self.square {
            Some(n) => all.saturating_sub(n),
            None => all,
        }
    }
}

/// `u = (r * n) >> 32`: a uniform index below `n` from 32 random bits.
fn below(prng: &mut Prng, n: usize) -> usize {
    ((u64::from(prng.next_u32()).saturating_mul(n as u64)) >> 32) as usize
}

fn pass(seed: u64, l: &mut Layer<'_, '_>, wf: Format, noise: u16, prng: &mut Prng) -> Counts {
    let mut c = Counts::default();
    if l.budget == OFF {
        return c;
    }
    // 1-2. Noise, then retire what crossed zero.
    let n = l.mask.len().min(l.w.len());
    for k in 0..n {
        if !l.mask.get(k).is_some_and(|b| *b) {
            continue;
        }
        let pos = l.sign_of(seed, k);
        let ok = l.eligible(k);
        let Some(w) = l.w.get_mut(k) else { continue };
        if noise > 0 && prng.chance_q16(noise) {
            let step: i64 = if prng.next_u32() & 1 == 1 { 1 } else { -1 };
            *w = wf.saturate(i64::from(*w).saturating_add(step)) as i16;
        }
        let theta_pos = if pos { *w > 0 } else { *w < 0 };
        if !theta_pos || !ok {
            *w = 0;
            l.mask.set(k, false);
            c.retired = c.retired.saturating_add(1);
        }
    }
    // 3. Hold the budget.
    let cap = l.capacity();
    let budget = (l.budget as usize).min(cap);
    let mut active = l.mask.count_ones();
    while active < budget {
        let silent = cap.saturating_sub(active);
        let u = below(prng, silent);
        let Some(k) = nth_where(l, false, u) else {
            break;
        };
        let pos = l.sign_of(seed, k);
        if let Some(w) = l.w.get_mut(k) {
            *w = if pos { 1 } else { -1 };
        }
        // Every bank of the state (one ebar per readout-decay class).
        let syn = l.w.len().max(1);
        for s in l.state.iter_mut() {
            for x in s.iter_mut().skip(k).step_by(syn) {
                *x = 0;
            }
        }
        l.mask.set(k, true);
        active = active.saturating_add(1);
        c.activated = c.activated.saturating_add(1);
    }
    while active > budget {
        let u = below(prng, active);
        let Some(k) = nth_where(l, true, u) else {
            break;
        };
        if let Some(w) = l.w.get_mut(k) {
            *w = 0;
        }
        l.mask.set(k, false);
        active = active.saturating_sub(1);
        c.retired = c.retired.saturating_add(1);
    }
    c
}

/// Index of the `u`-th eligible synapse whose mask bit is `on`.
fn nth_where(l: &Layer<'_, '_>, on: bool, u: usize) -> Option<usize> {
    if on {
        l.mask.iter_ones().filter(|&k| l.eligible(k)).nth(u)
    } else {
        l.mask.iter_zeros().filter(|&k| l.eligible(k)).nth(u)
    }
}

/// One rewiring pass over the input and recurrent layers (see the module docs).
/// Does nothing, and draws nothing, when rewiring is off.
pub fn update(cfg: &ChipConfig, mem: &mut Memory<'_>, prng: &mut Prng) -> Counts {
    let r = cfg.rewire();
    if !r.is_on() {
        return Counts::default();
    }
    let wf = cfg.formats().weight;
    let seed = cfg.seed();
    let n = mem.layout.n_rec;
    let dale = if cfg.learning().dale {
        Some(&*mem.exc)
    } else {
        None
    };
    let mut input = Layer {
        w: mem.w_in,
        mask: mem.mask_in,
        state: [&mut *mem.ebar_in, &mut *mem.eps_in, &mut *mem.g_in],
        budget: r.budget_in,
        code: layer::INPUT,
        square: None,
        dale: None,
        n_post: n,
    };
    let a = pass(seed, &mut input, wf, r.noise, prng);
    let mut rec = Layer {
        w: mem.w_rec,
        mask: mem.mask_rec,
        state: [&mut *mem.ebar_rec, &mut *mem.eps_rec, &mut *mem.g_rec],
        budget: r.budget_rec,
        code: layer::RECURRENT,
        square: Some(n),
        dale,
        n_post: n,
    };
    let b = pass(seed, &mut rec, wf, r.noise, prng);
    Counts {
        retired: a.retired.saturating_add(b.retired),
        activated: a.activated.saturating_add(b.activated),
    }
}

/// Prepare a freshly built network for rewiring (the host calls it once, before the
/// chip registers are built, so the image holds the result): every active synapse
/// takes its fixed sign with at least 1 LSB of magnitude (`w = s * max(|w|, 1)`),
/// then the budget is reached with a PRNG seeded from the configuration (random
/// silent synapses switched on at `s * 1 LSB`, or random active ones switched off).
pub fn init(cfg: &ChipConfig, mem: &mut Memory<'_>) {
    let r = cfg.rewire();
    if !r.is_on() {
        return;
    }
    let seed = cfg.seed();
    let n = mem.layout.n_rec;
    let dale = cfg.learning().dale;
    let wf = cfg.formats().weight;
    let mut prng = Prng::new(seed ^ 0x005E_ED0F_DEE9_u64);
    for (code, budget) in [
        (layer::INPUT, r.budget_in),
        (layer::RECURRENT, r.budget_rec),
    ] {
        if budget == OFF {
            continue;
        }
        let (w, mask, square, exc) = if code == layer::INPUT {
            (&mut *mem.w_in, &mut *mem.mask_in, None, None)
        } else {
            (
                &mut *mem.w_rec,
                &mut *mem.mask_rec,
                Some(n),
                if dale { Some(&*mem.exc) } else { None },
            )
        };
        let mut l = Layer {
            w,
            mask,
            state: [&mut [], &mut [], &mut []],
            budget,
            code,
            square,
            dale: exc,
            n_post: n,
        };
        for k in 0..l.mask.len().min(l.w.len()) {
            if !l.mask.get(k).is_some_and(|b| *b) {
                continue;
            }
            let pos = l.sign_of(seed, k);
            if let Some(w) = l.w.get_mut(k) {
                let m = i64::from(*w).saturating_abs().max(1);
                *w = wf.saturate(if pos { m } else { m.saturating_neg() }) as i16;
            }
        }
        // No noise; retires only synapses on the diagonal, then holds the budget.
        pass(seed, &mut l, wf, 0, &mut prng);
    }
}

/// Active synapses of the input and recurrent layers: `(input, recurrent)`.
pub fn active(mem: &Memory<'_>) -> (usize, usize) {
    (mem.mask_in.count_ones(), mem.mask_rec.count_ones())
}
