//! Decay classes of the learning circuits: exact e-prop with heterogeneous time
//! constants.
//!
//! The eligibility of synapse `i -> j` filters the presynaptic spikes with the
//! postsynaptic neuron's own membrane decay, `zbar^(j)_i = alpha_j zbar^(j)_i + z_i`,
//! and the filtered eligibility and readout traces of readout `k` use its own
//! `kappa_k` (`docs/eprop.md`, "Decay classes"). A chip cannot hold one trace per
//! synapse, so it groups the neurons into at most [`MAX_CLASSES`] membrane-decay
//! classes and the readouts into at most [`MAX_CLASSES`] readout-decay classes:
//!
//! | class kind | count | decay of class `c` | per class | class index |
//! |---|---|---|---|---|
//! | membrane (trace) | `C = trace` | `c = 0`: `learning.trace_decay`; `c >= 1`: `alpha[c - 1]` | one input trace bank `xbar_c` (`n_in` words) and one neuron trace bank `zbar_c` (`n_rec` words) | `tclass[j]`, one word per neuron (`C > 1` only) |
//! | readout | `K = readout` | `q = 0`: `learning.elig_decay`; `q >= 1`: `kappa[q - 1]` | one readout trace bank `zk_q` (`n_rec + 1` words), one learning-signal bank `L_q` (`n_rec` words, exact engine) and one filtered eligibility bank `ebar_q` (one word per input and recurrent synapse, exact engine) | `kclass[k]`, one word per readout (`K > 1` only) |
//!
//! With one class of each (the default, [`Classes::ONE`]) every region is as it was
//! before classes existed, and so are the bits, images and digests. The eligibility
//! of `i -> j` reads `zbar_{tclass[j]}[i]` (a per-row table of `C` trace values,
//! looked up per synapse without a branch); the exact engine's update is
//! `dW_ji = -(sum_q L_qj ebar_qji) >> shift` with `L_qj = sum_{k: kclass[k] = q}
//! B_jk err_k`; the readout weight `j -> k` learns from `zk_{kclass[k]}[j]`, its bias
//! from `bk_{kclass[k]}`. A neuron whose own `alpha` (`mem.alpha`) equals its class's
//! decay, and a readout whose `kappa` equals its class's, learn with exact e-prop
//! (the host's quantiser builds them so, `neurochip_emu::quant`).

/// Most classes of each kind.
pub const MAX_CLASSES: usize = 8;

/// A class index masked with this is below [`MAX_CLASSES`] (a table lookup that
/// cannot fail, so it needs no branch).
pub const CLASS_MASK: usize = 7;

/// The decay classes of a chip (part of [`crate::ChipConfig`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Classes {
    /// Membrane-decay classes `C`, `1..=8`: presynaptic trace banks.
    pub trace: u8,
    /// Readout-decay classes `K`, `1..=8`: readout trace, learning-signal and
    /// eligibility banks.
    pub readout: u8,
    /// Decays of membrane classes `1..C` (Q1.15 raw; class 0's is
    /// `learning.trace_decay`); entries past `C - 1` are 0.
    pub alpha: [u16; MAX_CLASSES - 1],
    /// Decays of readout classes `1..K` (Q1.15 raw; class 0's is
    /// `learning.elig_decay`); entries past `K - 1` are 0.
    pub kappa: [u16; MAX_CLASSES - 1],
}

impl Classes {
    /// One class of each kind: the chip without classes.
    pub const ONE: Self = Self {
        trace: 1,
        readout: 1,
        alpha: [0; MAX_CLASSES - 1],
        kappa: [0; MAX_CLASSES - 1],
    };

    /// Whether there is more than one class of either kind.
    pub const fn is_on(&self) -> bool {
        self.trace > 1 || self.readout > 1
    }

    /// Classes with the decays `alpha` (membrane, class 0 first) and `kappa`
    /// (readout); the first of each goes to `learning.trace_decay` /
    /// `learning.elig_decay`, so it is returned apart: `(classes, alpha_0, kappa_0)`.
    /// `None` when either list is empty or longer than [`MAX_CLASSES`].
    pub fn from_decays(alpha: &[u16], kappa: &[u16]) -> Option<(Self, u16, u16)> {
        let mut c = Self::ONE;
        let (&a0, a_rest) = alpha.split_first()?;
        let (&k0, k_rest) = kappa.split_first()?;
        if alpha.len() > MAX_CLASSES || kappa.len() > MAX_CLASSES {
            return None;
        }
        c.trace = alpha.len() as u8;
        c.readout = kappa.len() as u8;
        for (d, &s) in c.alpha.iter_mut().zip(a_rest) {
            *d = s;
        }
        for (d, &s) in c.kappa.iter_mut().zip(k_rest) {
            *d = s;
        }
        Some((c, a0, k0))
    }
}

impl Default for Classes {
    /// [`Classes::ONE`].
    fn default() -> Self {
        Self::ONE
    }
}

/// The decays of `count` classes, class 0's being `first`: an array of
/// [`MAX_CLASSES`] with the unused entries 0.
pub fn decays(first: u16, rest: &[u16; MAX_CLASSES - 1], count: u8) -> [u16; MAX_CLASSES] {
    let mut out = [0u16; MAX_CLASSES];
    let all = core::iter::once(&first).chain(rest.iter());
    for (d, &s) in out.iter_mut().zip(all).take(usize::from(count.max(1))) {
        *d = s;
    }
    out
}
