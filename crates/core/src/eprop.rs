//! The e-prop learning circuits: eligibility traces, the broadcast learning signal,
//! and the weight updates of both engines.
//!
//! Per step, after the neuron update (psi known), the exact engine updates every
//! synapse `i -> j` (input and recurrent) in the eligibility format (`EF` fractional
//! bits; `zbar` converted from the trace format, `psi` Q4.12, `beta` membrane format):
//!
//! ```text
//! LIF:   e_ji   = psi_j * zbar_i
//! ALIF:  e_ji   = psi_j * (zbar_i - beta_j * eps_ji)
//!        eps_ji <- psi_j * zbar_i + rho_j * eps_ji - psi_j * beta_j * eps_ji
//! ebar_ji <- round(kappa * ebar_ji) + e_ji
//! ```
//!
//! When the target is valid (the caller passes a target), the output error `err_k`
//! (softmax `pi_k - onehot_k` in Q0.15, or `y_k - y*_k` in the readout format) is
//! broadcast as `L_j = sum_k B_jk err_k (+ rate regularisation)`, and
//!
//! * exact: `dW_ji = -(L_j * ebar_ji) >> shift`, stochastically rounded;
//! * light: `W_ji -= sign(L_j)` with probability `|L_j| * zbar_i * psi_j >> shift`
//!   (over `2^16`), a +-1 LSB step; onto an ALIF neuron the trace is
//!   `zbar_i - beta_j * eps_ji` (signed: the step is `-sign(L_j * that)`), with `eps_ji`
//!   kept as above (the light engine's only per-synapse state) and read after this
//!   step's update;
//! * readout (both): `dW_out_jk = -(err_k * zk_j) >> shift_out` and
//!   `db_k = -(err_k * bk) >> shift_bias` with `bk` the bias eligibility
//!   (`crate::trace`), stochastically rounded.
//!
//! Online mode applies updates at once; sample mode adds them, with 16 more
//! fractional bits, to per-synapse accumulators applied by [`end_sample`]. Dale's
//! law clamps recurrent weights of excitatory neurons at `>= 0` and of inhibitory
//! ones at `<= 0`; masked-out synapses never change; weights saturate.

use crate::classes::{CLASS_MASK, MAX_CLASSES};
use core::slice::ChunksExactMut;

use crate::config::ChipConfig;
use crate::format::{shift_round, twos_width, Format, Limit};
use crate::hash::{self, draw};
use crate::learning::{layer, rate_offset, Apply, Engine, Feedback};
use crate::memory::{Bits, Memory};
use crate::neuron::PSI_FRAC;
use crate::softmax::{softmax_q15, ONE_Q15};
use crate::update::{self, Bounds, OnlineKernel};

/// Extra fractional bits of the per-sample update accumulators.
pub const GRAD_FRAC: u32 = 16;

/// What the readout should produce at this step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target<'a> {
    /// Outside the target-valid window: no learning signal.
    None,
    /// Classification: the index of the correct class.
    Class(usize),
    /// Regression: the wanted readout values, readout format.
    Values(&'a [i32]),
    /// The output errors given directly, one per readout, in the loss's error format
    /// (Q0.15 for classification, the readout format for regression): the
    /// actor–critic's `pi - onehot(a)` and `-c_V` ([`crate::reward`]).
    Error(&'a [i32]),
}

mod eligibility;
mod weights;

pub use eligibility::update_eligibility;
pub use weights::end_sample;
use weights::{update_hidden_layers, update_readout};

/// Output errors into `mem.err` and learning signals into `mem.l` for `target`.
/// Returns false (and leaves both zero) outside the target window. A function of
/// its own on a microcontroller, so that its loops keep their values in registers.
#[cfg_attr(target_arch = "x86_64", inline(always))]
#[cfg_attr(not(target_arch = "x86_64"), inline(never))]
pub fn learning_signal(cfg: &ChipConfig, mem: &mut Memory<'_>, target: Target<'_>) -> bool {
    let l = cfg.learning();
    match (target, l.loss) {
        (Target::None, _) => {
            mem.err.fill(0);
            mem.l.fill(0);
            return false;
        }
        (Target::Class(c), _) => {
            softmax_q15(mem.y, cfg.formats().readout.frac(), mem.err);
            if let Some(e) = mem.err.get_mut(c) {
                *e = e.saturating_sub(ONE_Q15);
            }
        }
        (Target::Values(t), _) => {
            for ((e, &y), &t) in mem.err.iter_mut().zip(mem.y.iter()).zip(t) {
                *e = y.saturating_sub(t);
            }
        }
        (Target::Error(x), _) => {
            for (e, &x) in mem.err.iter_mut().zip(x) {
                *e = x;
            }
        }
    }
    let o = mem.layout.n_out;
    let fb: &[i16] = match l.feedback {
        Feedback::Symmetric => mem.w_out,
        Feedback::Random => mem.b_fb,
    };
    let reg_on = l.reg_shift > 0;
    let n = mem.layout.n_rec.max(1);
    // One bank L_q per readout class (the exact engine's signal memory), or the sum
    // over every readout (one bank): the readouts of class q add to bank q.
    let banks = mem.l.len().checked_div(n).unwrap_or(0);
    let kclass: &[u32] = if banks > 1 { mem.kclass } else { &[] };
    // Rate regularisation adds to readout 0's class.
    let reg_bank = kclass.first().map_or(0, |&q| q as usize);
    // Without classes every chip's readouts are one chunk, summed without the
    // chunks' loop (on the M4 its setup cost more than the sum of two readouts).
    let one_chunk = kclass.is_empty() && o <= SUM_CHUNK;
    for (q, lbank) in mem.l.chunks_exact_mut(n).enumerate() {
        for ((lj, brow), &rb) in lbank
            .iter_mut()
            .zip(fb.chunks_exact(o.max(1)))
            .zip(mem.rbar.iter())
        {
            // Each term is below 2^46 (a 16-bit weight times a 32-bit error), so a
            // sum of up to 2^16 of them cannot overflow: the readouts add in plain
            // (vectorised) 64-bit arithmetic, 2^16 at a time (every chip has
            // fewer), and only those sums saturate.
            let mut s = if one_chunk {
                dot(brow, mem.err)
            } else {
                chunked(brow, mem.err, kclass, q)
            };
            if reg_on && q == reg_bank {
                let d = i64::from(rb).saturating_sub(i64::from(l.reg_target));
                s = s.saturating_add(shift_round(d, i32::from(l.reg_shift).wrapping_neg()));
            }
            *lj = s.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32;
        }
    }
    true
}

/// `sum_k b_k e_k` over the readouts `k` of class `q` (every readout without
/// classes): plain 64-bit sums of [`SUM_CHUNK`] readouts, which saturate as they add.
fn chunked(brow: &[i16], err: &[i32], kclass: &[u32], q: usize) -> i64 {
    let mut s = 0i64;
    let chunks = brow.chunks(SUM_CHUNK).zip(err.chunks(SUM_CHUNK));
    for ((bs, es), cs) in chunks.zip(kclass_chunks(kclass)) {
        let part: i64 = if cs.is_empty() {
            dot(bs, es)
        } else {
            // Readouts of other classes contribute 0 (a select, not a branch).
            bs.iter()
                .zip(es)
                .zip(cs)
                .map(|((&b, &e), &c)| {
                    let e = if c as usize == q { i64::from(e) } else { 0 };
                    i64::from(b).wrapping_mul(e)
                })
                .fold(0, i64::wrapping_add)
        };
        s = s.saturating_add(part);
    }
    s
}

/// `sum_k b_k e_k` in plain 64-bit arithmetic (each term below 2^46).
#[inline(always)]
fn dot(b: &[i16], e: &[i32]) -> i64 {
    b.iter()
        .zip(e)
        .map(|(&b, &e)| i64::from(b).wrapping_mul(i64::from(e)))
        .fold(0, i64::wrapping_add)
}

/// Readouts a learning signal sums before it saturates ([`learning_signal`]).
const SUM_CHUNK: usize = 1 << 16;

/// The chunks of `kclass` beside the readouts' [`SUM_CHUNK`]s: empty ones (without
/// decay classes) for ever.
fn kclass_chunks(kclass: &[u32]) -> impl Iterator<Item = &[u32]> {
    let empty = kclass.is_empty();
    kclass
        .chunks(SUM_CHUNK)
        .chain(core::iter::repeat(&[][..]).take_while(move |_| empty))
}

/// Learning step at chip step `step`: compute the error and learning signal for
/// `target` and update (or accumulate) weights. Call after [`crate::Chip::step`].
/// Returns whether the target was valid.
#[cfg_attr(target_arch = "x86_64", inline(always))]
pub fn learn(cfg: &ChipConfig, mem: &mut Memory<'_>, step: u64, target: Target<'_>) -> bool {
    learn_with(cfg, mem, step, target, update::Kernels::default())
}

/// [`learn`] with a host's vector kernels: the exact engine's online rows of the
/// hidden layers and the readout ([`update::OnlineKernel`]) and the light engine's
/// packed rows ([`update::LightKernel`]); the same bits.
#[cfg_attr(target_arch = "x86_64", inline(always))]
pub fn learn_with(
    cfg: &ChipConfig,
    mem: &mut Memory<'_>,
    step: u64,
    target: Target<'_>,
    kernels: update::Kernels,
) -> bool {
    let l = *cfg.learning();
    if l.engine == Engine::Off || !learning_signal(cfg, mem, target) {
        return false;
    }
    if l.learn_hidden {
        update_hidden_layers(cfg, mem, step, kernels);
    }
    if l.learn_readout {
        update_readout(cfg, mem, step, kernels.online);
    }
    true
}
