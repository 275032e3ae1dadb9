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

/// `x * a` for a Q1.15 decay `a`, rounded to nearest (`|x| < 2^31`: no overflow).
#[cfg_attr(target_arch = "x86_64", inline(always))]
fn decay_nearest(x: i32, a: u16) -> i64 {
    i64::from(x)
        .wrapping_mul(i64::from(a))
        .wrapping_add(1 << 14)
        .wrapping_shr(15)
}

/// An `ebar` word as the decay reads it: its low 31 bits, sign-extended. Every
/// eligibility format fits in 31 bits, so each value the chip writes reads as itself;
/// a word past them (memory written from outside, such as a hand-made snapshot) reads
/// modulo 2^31, in every runtime alike.
#[inline(always)]
fn word31(x: i32) -> i32 {
    x.wrapping_shl(1) >> 1
}

/// `ebar` decayed by the readout decay `kappa` (Q1.15, at most one), rounded to
/// nearest: [`decay_nearest`] of the word read as 31 bits ([`word31`]).
#[cfg_attr(target_arch = "x86_64", inline(always))]
fn decay_ebar(x: i32, kappa: u16) -> i64 {
    decay_nearest(word31(x), kappa)
}

/// `p * x` for a Q4.12 pseudo-derivative `p`, rounded to nearest, with `|x| <= 2^46`
/// (so the product fits; a larger `x` saturates every eligibility format anyway).
#[cfg_attr(target_arch = "x86_64", inline(always))]
fn times_psi(p: u32, x: i64) -> i64 {
    const HALF: i64 = 1 << (PSI_FRAC - 1);
    let x = x.clamp(-(1 << 46), 1 << 46);
    i64::from(p.min(0xFFFF))
        .wrapping_mul(x)
        .wrapping_add(HALF)
        .wrapping_shr(PSI_FRAC)
}

/// Runs `$body` with `$zs`, presynaptic row `i`'s trace per postsynaptic neuron in the
/// eligibility format (`row = (trace banks, width, i, conv)`: the trace shifted by
/// `conv` bits): one value repeated with one membrane class (so the row pass
/// vectorises), else each neuron's class's trace of the row (a table lookup).
macro_rules! with_row_trace {
    ($row:expr, $classes:expr, $tclass:expr, |$zs:ident| $body:expr) => {{
        let (trace, width, i, conv): (&[u32], usize, usize, i32) = $row;
        if $classes <= 1 {
            let zb = shift_round(i64::from(trace.get(i).copied().unwrap_or(0)), conv);
            let $zs = core::iter::repeat(zb);
            $body
        } else {
            let mut zbs = [0i64; MAX_CLASSES];
            for (z, bank) in zbs.iter_mut().zip(trace.chunks_exact(width)) {
                *z = shift_round(i64::from(bank.get(i).copied().unwrap_or(0)), conv);
            }
            let $zs = $tclass
                .iter()
                .map(|&c| zbs.get(c as usize & CLASS_MASK).copied().unwrap_or(0));
            $body
        }
    }};
}

/// Update the per-synapse eligibility: the exact engine's `ebar` and `eps_a`, the
/// light engine's `eps_a` (ALIF only; `light_eps`). Call after the neuron update of
/// every step. Each presynaptic row is one pass over the
/// postsynaptic neurons, branch-free, so the compiler vectorises it; with decay
/// classes ([`crate::classes`]) a row reads its trace of each membrane class once and
/// each synapse takes the one of its postsynaptic neuron's class (a table lookup, no
/// branch), and the row is filtered once per readout class.
///
/// On a microcontroller it is its own function, not inlined into the step: its
/// inner loop then gets the registers to itself (no spills for the step's values).
#[cfg_attr(target_arch = "x86_64", inline(always))]
#[cfg_attr(not(target_arch = "x86_64"), inline(never))]
pub fn update_eligibility(cfg: &ChipConfig, mem: &mut Memory<'_>) {
    if cfg.learning().engine == Engine::Off {
        return;
    }
    let l = cfg.learning();
    let ef = l.elig;
    let tf = cfg.formats().trace.frac() as i32;
    let (mf, mhalf) = beta_frac(cfg);
    let (lo, hi) = (i64::from(ef.min()), i64::from(ef.max()));
    let k = Row {
        lo,
        hi,
        width: twos_width(lo, hi),
        mf,
        mhalf,
        kappa: l.elig_decay,
    };
    let conv = (ef.frac() as i32).wrapping_sub(tf);
    if l.engine == Engine::Light {
        light_eps(mem, k, conv);
        return;
    }
    let layout = mem.layout;
    let n = layout.n_rec;
    if n == 0 {
        return;
    }
    let classes = layout.trace_classes;
    let kappas = cfg.readout_decays();
    // A pseudo-derivative is 16 bits (the neuron update writes `to_bits` of one); a
    // memory that holds more is clamped here once, not at every synapse it reaches.
    for p in mem.psi.iter_mut() {
        *p = (*p).min(0xFFFF);
    }
    let psi: &[u32] = mem.psi;
    let beta: &[i32] = mem.beta;
    let rho: &[u32] = mem.rho;
    let tclass: &[u32] = mem.tclass;
    let layers: [EligLayer<'_>; 2] = [
        (mem.xbar, layout.n_in, &mut *mem.ebar_in, &mut *mem.eps_in),
        (mem.zbar, n, &mut *mem.ebar_rec, &mut *mem.eps_rec),
    ];
    for (trace, width, ebar, eps) in layers {
        let syn = width.saturating_mul(n);
        if syn == 0 {
            continue;
        }
        let alif = !eps.is_empty();
        let eps_rows = eps.chunks_exact_mut(n);
        // Bank q of ebar is readout class q's; bank 0 last, so the ALIF pass that
        // updates eps comes after every bank has read it.
        let mut banks = ebar.chunks_exact_mut(syn).zip(kappas).rev();
        let mut rows: [Option<ChunksExactMut<'_, i32>>; MAX_CLASSES] = Default::default();
        let mut decays = [0u16; MAX_CLASSES];
        let mut nb = 0usize;
        for (slot, d) in rows.iter_mut().zip(decays.iter_mut()) {
            if let Some((bank, kappa)) = banks.next() {
                *slot = Some(bank.chunks_exact_mut(n));
                *d = kappa;
                nb = nb.saturating_add(1);
            }
        }
        if !alif && classes <= 1 {
            lif_rows(k, (&mut rows[..], &decays[..], nb), trace, width, conv, psi);
            continue;
        }
        let columns = (tclass, psi, beta, rho);
        general_rows(
            k,
            (&mut rows[..], &decays[..], nb),
            (trace, width, conv, classes),
            columns,
            alif.then_some(eps_rows),
        );
    }
}

/// The rows of a LIF layer of one membrane class (`trace`, `width` presynaptic
/// units shifted by `conv` bits into the eligibility format), each through
/// [`Row::lif_row`] in each bank (32-bit where that gives the same bits, else its
/// 64-bit loop). Kept apart from the adaptive layers' loop so that on a
/// microcontroller each keeps its registers.
#[cfg_attr(target_arch = "x86_64", inline(always))]
#[cfg_attr(not(target_arch = "x86_64"), inline(never))]
fn lif_rows(
    k: Row,
    (rows, decays, nb): (&mut [Option<ChunksExactMut<'_, i32>>], &[u16], usize),
    trace: &[u32],
    width: usize,
    conv: i32,
    psi: &[u32],
) {
    for i in 0..width {
        let tr = trace.get(i).copied().unwrap_or(0);
        let zb = shift_round(i64::from(tr), conv);
        for (slot, &kappa) in rows.iter_mut().zip(decays).take(nb) {
            if let Some(erow) = slot.as_mut().and_then(|r| r.next()) {
                Row { kappa, ..k }.lif_row(erow, zb, psi, (tr, conv));
            }
        }
    }
}

/// The rows of a layer with adaptive neurons or membrane classes, each through
/// [`filter_banks`] (`eps_rows`: the layer's `eps` rows, with adaptive neurons).
#[cfg_attr(target_arch = "x86_64", inline(always))]
#[cfg_attr(not(target_arch = "x86_64"), inline(never))]
#[allow(clippy::type_complexity)]
fn general_rows(
    k: Row,
    (rows, decays, nb): (&mut [Option<ChunksExactMut<'_, i32>>], &[u16], usize),
    (trace, width, conv, classes): (&[u32], usize, i32, usize),
    (tclass, psi, beta, rho): (&[u32], &[u32], &[i32], &[u32]),
    mut eps_rows: Option<ChunksExactMut<'_, i32>>,
) {
    for i in 0..width {
        let eps_row = eps_rows.as_mut().and_then(|r| r.next());
        let banks = (&mut rows[..], decays, nb);
        let row = (trace, width, i, conv);
        with_row_trace!(row, classes, tclass, |zs| filter_banks(
            k, banks, eps_row, zs, psi, beta, rho
        ));
    }
}

/// The `ebar` rows of one presynaptic row, one per readout-class bank (`rows` and their
/// `decays`, the first `nb` in use; bank 0 last), filtered with the row's trace `zs`
/// per postsynaptic neuron; the last bank's pass updates the ALIF `eps`.
#[cfg_attr(target_arch = "x86_64", inline(always))]
fn filter_banks(
    k: Row,
    (rows, decays, nb): (&mut [Option<ChunksExactMut<'_, i32>>], &[u16], usize),
    mut eps_row: Option<&mut [i32]>,
    zs: impl Iterator<Item = i64> + Clone,
    psi: &[u32],
    beta: &[i32],
    rho: &[u32],
) {
    for (b, (slot, &kappa)) in rows.iter_mut().zip(decays).take(nb).enumerate() {
        let Some(erow) = slot.as_mut().and_then(|r| r.next()) else {
            continue;
        };
        let last = b.saturating_add(1) == nb;
        Row { kappa, ..k }.filter(
            erow,
            eps_row.as_deref_mut(),
            last,
            zs.clone(),
            psi,
            beta,
            rho,
        );
    }
}

/// One layer of [`update_eligibility`]: its presynaptic trace banks, their width
/// (presynaptic units), its `ebar` banks and its `eps`.
type EligLayer<'a> = (&'a [u32], usize, &'a mut [i32], &'a mut [i32]);

/// The constants of one eligibility row pass.
#[derive(Clone, Copy)]
struct Row {
    /// Eligibility format bounds, and their two's-complement width ([`twos_width`]).
    lo: i64,
    hi: i64,
    width: Option<u32>,
    /// Membrane fractional bits (of `beta`) and half an LSB of them.
    mf: u32,
    mhalf: i64,
    /// This bank's readout decay.
    kappa: u16,
}

impl Row {
    /// One row of one `ebar` bank: `ebar = round(kappa ebar) + e` with `e = psi_j zb_j`
    /// (LIF, `eps` `None`) or `psi_j (zb_j - beta_j eps_j)` (ALIF), `zb_j` the row's
    /// trace in the eligibility format for postsynaptic neuron `j`. The ALIF `eps` is
    /// read, and updated only when `update_eps` (the last bank's pass).
    #[cfg_attr(target_arch = "x86_64", inline(always))]
    #[allow(clippy::too_many_arguments)]
    fn filter(
        self,
        erow: &mut [i32],
        eps: Option<&mut [i32]>,
        update_eps: bool,
        zs: impl Iterator<Item = i64>,
        psi: &[u32],
        beta: &[i32],
        rho: &[u32],
    ) {
        let Row {
            lo,
            hi,
            mf,
            mhalf,
            kappa,
            ..
        } = self;
        // A format's bounds are in order; said here, the clamps below cannot panic.
        if lo > hi {
            return;
        }
        match eps {
            None => {
                for ((eb, &p), zb) in erow.iter_mut().zip(psi).zip(zs) {
                    let e = times_psi(p, zb);
                    // Both terms are below 2^50: the sum fits.
                    *eb = decay_ebar(*eb, kappa).wrapping_add(e).clamp(lo, hi) as i32;
                }
            }
            Some(prow) => {
                let cells = erow.iter_mut().zip(prow.iter_mut()).zip(zs);
                for ((((eb, ep), zb), &p), (&bj, &rj)) in cells.zip(psi).zip(beta.iter().zip(rho)) {
                    let beps = beta_eps(bj, *ep, mf, mhalf);
                    // |zb - beps| <= 2^47: times_psi clamps it to 2^46.
                    let e = times_psi(p, zb.clamp(-(1 << 46), 1 << 46).wrapping_sub(beps));
                    *eb = decay_ebar(*eb, kappa).wrapping_add(e).clamp(lo, hi) as i32;
                    if update_eps && bj != 0 {
                        *ep = self.next_eps(*ep, zb, beps, p, rj);
                    }
                }
            }
        }
    }

    /// [`Row::filter`] of a LIF row with the trace `zb` (eligibility format), in
    /// 32-bit arithmetic where it gives the same bits: with `|zb| < 2^27` the
    /// pseudo-derivative term `round(p zb)` (`p` clamped to 16 bits) is below 2^31
    /// (with `|zb| < 2^15` the product itself is below `2^31 - 2^15` and cannot
    /// wrap: 32-bit lanes; else it is one widening multiply); with `kappa <= 2^15` the
    /// decayed value is no larger than `ebar`, an `i32`; and a sum past the `i32`
    /// range saturates to a bound past the format's, which the clamp then takes to
    /// the same format bound as the 64-bit sum. A larger trace or a decay above 1
    /// (which the checks refuse) takes the 64-bit loop. On a microcontroller a
    /// function of its own, so that the loop keeps its values in registers.
    #[cfg_attr(target_arch = "x86_64", inline(always))]
    #[cfg_attr(not(target_arch = "x86_64"), inline(never))]
    fn lif_row(self, erow: &mut [i32], zb: i64, psi: &[u32], (tr, conv): (u32, i32)) {
        // A format's bounds are in order; said here, the clamp below cannot panic.
        if self.lo > self.hi {
            return;
        }
        let narrow = (
            i32::try_from(self.lo),
            i32::try_from(self.hi),
            i32::try_from(zb),
        );
        let (Ok(lo), Ok(hi), Ok(zb)) = narrow else {
            return self.lif_row64(erow, zb, psi);
        };
        if self.kappa > 1 << 15 || zb.unsigned_abs() >= 1 << 27 {
            return self.lif_row64(erow, zb.into(), psi);
        }
        let kappa = self.kappa;
        // A microcontroller saturates a format of known width in one instruction.
        if cfg!(not(target_arch = "x86_64")) {
            if let Some(e) = trace_term(tr, conv) {
                if self.format_cells(erow, psi, e) {
                    return;
                }
            }
        }
        const HALF: i32 = 1 << (PSI_FRAC - 1);
        if zb.unsigned_abs() < 1 << 15 {
            lif_cells(erow, psi, (kappa, lo, hi), |p| {
                (p as i32)
                    .wrapping_mul(zb)
                    .wrapping_add(HALF)
                    .wrapping_shr(PSI_FRAC)
            });
        } else {
            // `times_psi` itself: its clamp of an `i32` trace is no work.
            lif_cells(erow, psi, (kappa, lo, hi), |p| {
                times_psi(p, i64::from(zb)) as i32
            });
        }
    }

    /// [`lif_cells`] for this row's decay, if below one ([`decay_high`]), into its
    /// bounds, if a two's-complement format's (`width`: 8 to 31 bits), with
    /// that width a constant: the clamp is then one saturate instruction on the M4
    /// (`SSAT`), and two cells share each load. Returns `false` (nothing done)
    /// otherwise. The same bits as [`lif_cells`]; only a microcontroller takes it (on
    /// the host the vector clamp already costs nothing; the tests below run it there).
    #[inline(always)]
    fn format_cells(self, erow: &mut [i32], psi: &[u32], e: impl Fn(u32) -> i32) -> bool {
        let (Some(k16), Some(m)) = (decay_high_factor(self.kappa), self.width) else {
            return false;
        };
        macro_rules! widths {
            ($($b:literal)*) => {
                match m {
                    $($b => width_cells::<$b>(erow, psi, k16, &e),)*
                    _ => return false,
                }
            };
        }
        widths!(7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30);
        true
    }

    /// [`Row::lif_row`] in 64-bit arithmetic: the LIF case of [`Row::filter`] for one
    /// trace value. Written again rather than called through `filter`: a second
    /// call site cost the kws network's exact step on the M4 1.2% (its adaptive
    /// layers take `filter`; 3,733 k against 3,688 k instructions a step).
    fn lif_row64(self, erow: &mut [i32], zb: i64, psi: &[u32]) {
        for (eb, &p) in erow.iter_mut().zip(psi) {
            let e = times_psi(p, zb);
            *eb = decay_ebar(*eb, self.kappa)
                .wrapping_add(e)
                .clamp(self.lo, self.hi) as i32;
        }
    }

    /// One row of the light engine's `eps` (`zs`: the row's trace per postsynaptic
    /// neuron, eligibility format): the ALIF columns (`beta_j != 0`) take their next
    /// value, the others keep theirs (zero), branch-free.
    #[cfg_attr(target_arch = "x86_64", inline(always))]
    fn eps_row(
        self,
        row: &mut [i32],
        zs: impl Iterator<Item = i64>,
        psi: &[u32],
        beta: &[i32],
        rho: &[u32],
    ) {
        let cells = row.iter_mut().zip(zs).zip(psi);
        for (((ep, zb), &p), (&bj, &rj)) in cells.zip(beta.iter().zip(rho)) {
            let beps = beta_eps(bj, *ep, self.mf, self.mhalf);
            let next = self.next_eps(*ep, zb, beps, p, rj);
            *ep = if bj != 0 { next } else { *ep };
        }
    }

    /// The ALIF eligibility's next value, `eps <- psi zb + rho eps - psi beta eps`,
    /// with `beps = beta eps` ([`beta_eps`]) and `zb` in the eligibility format.
    #[cfg_attr(target_arch = "x86_64", inline(always))]
    fn next_eps(self, ep: i32, zb: i64, beps: i64, p: u32, rho: u32) -> i32 {
        let pz = times_psi(p, zb);
        let pb = times_psi(p, beps);
        let ne = pz
            .wrapping_add(decay_nearest(ep, rho as u16))
            .wrapping_sub(pb);
        ne.limit(self.lo, self.hi) as i32
    }
}

/// The cells of [`Row::lif_row`]: `ebar = sat(round(kappa ebar) + e(psi))`, clamped
/// to `[lo, hi]`, with `e` the row's pseudo-derivative term of a 16-bit psi
/// ([`update_eligibility`] clamps them once a step).
#[inline(always)]
fn lif_cells(
    erow: &mut [i32],
    psi: &[u32],
    (kappa, lo, hi): (u16, i32, i32),
    e: impl Fn(u32) -> i32,
) {
    let a = i32::from(kappa.min(1 << 15));
    for (eb, &p) in erow.iter_mut().zip(psi) {
        *eb = decay_split(*eb, a).saturating_add(e(p)).limit(lo, hi);
    }
}

/// [`decay_ebar`] in 32-bit lanes, for `a = kappa <= 2^15`: with the 31-bit word
/// `x' = h 2^15 + l` (`h` its top 16 bits, signed; `l` its low 15), `round(x' a)` is
/// `h a + round(l a)`, and both products fit 31 bits. The host's vector units
/// multiply 32-bit lanes at twice the rate of 64-bit ones.
#[inline(always)]
fn decay_split(x: i32, a: i32) -> i32 {
    let h = x.wrapping_shl(1) >> 16;
    let l = x & 0x7FFF;
    h.wrapping_mul(a)
        .wrapping_add(l.wrapping_mul(a).wrapping_add(1 << 14) >> 15)
}

/// The LIF pseudo-derivative term `round(p zb 2^-12)` of a row whose trace `zb` is a
/// 16-bit trace word `tr` shifted up by `conv` (0 to 11) bits, in unsigned 32-bit
/// arithmetic: dividing by `2^conv` above and below, it is
/// `(p tr + 2^(s - 1)) >> s` with `s = 12 - conv`, and with `p` and `tr` below 2^16
/// the product and its half fit 32 bits (one `MLA` and one shift on the M4, for
/// every trace the row may hold). `None` for a wider word or another shift.
#[inline(always)]
fn trace_term(tr: u32, conv: i32) -> Option<impl Fn(u32) -> i32 + Copy> {
    if tr > 0xFFFF || !(0..=11).contains(&conv) {
        return None;
    }
    let s = 12u32.wrapping_sub(conv as u32);
    // Kept opaque, so that the M4 adds it in its multiply.
    let half = core::hint::black_box(1u32.wrapping_shl(s.wrapping_sub(1)));
    Some(move |p: u32| (p.wrapping_mul(tr).wrapping_add(half) >> s) as i32)
}

/// `kappa 2^16`, the factor of [`decay_high`], for a decay below one (`kappa < 2^15`).
#[inline(always)]
fn decay_high_factor(kappa: u16) -> Option<i32> {
    (kappa < 1 << 15).then(|| i32::from(kappa) << 16)
}

/// [`decay_ebar`] for a decay below one, from [`decay_high_factor`]: the high word of
/// `2x (kappa 2^16) + 2^31`. Doubling `x` in 32 bits drops its bit 31 (the 31-bit
/// read), and the high word is the floor of `(x' kappa 2^17 + 2^31) / 2^32`, the
/// same as `decay_nearest(x', kappa)`. One rounding multiply on the M4 (`SMMULR`).
#[inline(always)]
fn decay_high(x: i32, k16: i32) -> i32 {
    (i64::from(x.wrapping_shl(1))
        .wrapping_mul(i64::from(k16))
        .wrapping_add(1 << 31)
        >> 32) as i32
}

/// The cells of [`Row::format_cells`] for a format whose largest value is `2^M - 1`.
#[inline(never)]
fn width_cells<const M: u32>(erow: &mut [i32], psi: &[u32], k16: i32, e: &impl Fn(u32) -> i32) {
    let hi: i32 = 1i32.wrapping_shl(M).wrapping_sub(1);
    // Kept opaque: knowing `k16 >= 0`, the compiler would trade the signed rounding
    // multiply for an unsigned one and a sign correction (three more instructions).
    let k16 = core::hint::black_box(k16);
    let cell = |eb: &mut i32, p: u32| {
        *eb = decay_high(*eb, k16).saturating_add(e(p)).limit(!hi, hi);
    };
    // Two cells a pass: one double-word load of each row, one loop branch; the rows
    // cut to one length first, so that their remainders are the same cells.
    let n = erow.len().min(psi.len());
    let (Some(erow), Some(psi)) = (erow.get_mut(..n), psi.get(..n)) else {
        return;
    };
    let mut pairs = erow.chunks_exact_mut(2);
    let mut ps = psi.chunks_exact(2);
    for (eb, p) in (&mut pairs).zip(&mut ps) {
        if let ([e0, e1], [p0, p1]) = (eb, p) {
            cell(e0, *p0);
            cell(e1, *p1);
        }
    }
    for (eb, &p) in pairs.into_remainder().iter_mut().zip(ps.remainder()) {
        cell(eb, p);
    }
}

/// The fractional bits of `beta` (the membrane format's) and half an LSB of them.
fn beta_frac(cfg: &ChipConfig) -> (u32, i64) {
    let mf = cfg.formats().membrane.frac().min(62);
    let half = if mf == 0 {
        0
    } else {
        1i64.wrapping_shl(mf.wrapping_sub(1))
    };
    (mf, half)
}

/// `beta_j * eps_ji` rounded back to the eligibility format: `beta` has `mf`
/// fractional bits (`mhalf` half an LSB of them); `|beta * eps| <= 2^62`, and the
/// result is clamped to `2^46`.
#[cfg_attr(target_arch = "x86_64", inline(always))]
fn beta_eps(bj: i32, ep: i32, mf: u32, mhalf: i64) -> i64 {
    i64::from(bj)
        .wrapping_mul(i64::from(ep))
        .wrapping_add(mhalf)
        .wrapping_shr(mf)
        .clamp(-(1 << 46), 1 << 46)
}

/// The light engine's ALIF eligibility (`eps_a`, the exact engine's recipe without
/// `ebar`), for the synapses onto adaptive neurons: one pass over each layer's rows,
/// after the neuron update of every step, so that the learning step reads the
/// eligibility this step left. The light engine keeps no other per-synapse state. On
/// a microcontroller it is a function of its own, so that it does not share the
/// exact engine's registers in [`update_eligibility`].
#[cfg_attr(target_arch = "x86_64", inline(always))]
#[cfg_attr(not(target_arch = "x86_64"), inline(never))]
fn light_eps(mem: &mut Memory<'_>, k: Row, conv: i32) {
    let layout = mem.layout;
    let n = layout.n_rec;
    let classes = layout.trace_classes;
    let (psi, beta, rho, tclass): (&[u32], &[i32], &[u32], &[u32]) =
        (mem.psi, mem.beta, mem.rho, mem.tclass);
    let layers: [(&[u32], usize, &mut [i32]); 2] = [
        (mem.xbar, layout.n_in, &mut *mem.eps_in),
        (mem.zbar, n, &mut *mem.eps_rec),
    ];
    // Only the columns from the first adaptive neuron to the last can change (an LSNN
    // puts its ALIF neurons after the LIF ones): the rest keep their value.
    let Some(first) = beta.iter().position(|&b| b != 0) else {
        return;
    };
    let end = beta
        .iter()
        .rposition(|&b| b != 0)
        .map_or(first, |j| j.saturating_add(1));
    let cols = first..end;
    let (Some(psi), Some(beta), Some(rho)) = (
        psi.get(cols.clone()),
        beta.get(cols.clone()),
        rho.get(cols.clone()),
    ) else {
        return;
    };
    for (trace, width, eps) in layers {
        for (i, row) in eps.chunks_exact_mut(n.max(1)).take(width).enumerate() {
            let Some(row) = row.get_mut(cols.clone()) else {
                continue;
            };
            let at = (trace, width, i, conv);
            with_row_trace!(at, classes, tclass, |zs| k.eps_row(
                row,
                zs.skip(first),
                psi,
                beta,
                rho
            ));
        }
    }
}

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

/// The range a weight of format `wf` may take, narrowed by Dale's law: an
/// excitatory presynaptic unit (`Some(true)`) keeps its weights `>= 0`, an
/// inhibitory one `<= 0`.
#[cfg_attr(target_arch = "x86_64", inline(always))]
#[cfg_attr(not(target_arch = "x86_64"), inline)]
fn bounds(wf: Format, sign: Option<bool>) -> Bounds {
    signed(
        Bounds {
            lo: wf.min(),
            hi: wf.max(),
        },
        sign,
    )
}

/// The bounds of `range` for a row of sign `sign` (see [`bounds`]).
#[inline(always)]
fn signed(Bounds { lo, hi }: Bounds, sign: Option<bool>) -> Bounds {
    match sign {
        Some(true) => Bounds { lo: lo.max(0), hi },
        Some(false) => Bounds { lo, hi: hi.min(0) },
        None => Bounds { lo, hi },
    }
}

/// One hidden layer (input or recurrent weights) and what its update reads.
struct Hidden<'a> {
    /// Hash layer code ([`crate::hash::layer`]).
    code: u32,
    shift: u8,
    trace: &'a [u32],
    ebar: &'a [i32],
    /// The ALIF eligibility (empty without ALIF neurons): the light engine reads it.
    eps: &'a [i32],
    w: &'a mut [i16],
    g: &'a mut [i32],
    mask: &'a Bits,
    /// Dale sign of each presynaptic unit (`None` for inputs or with Dale's law off).
    pre_sign: Option<&'a Bits>,
}

/// What every hidden layer's update reads of the neurons: the learning signals (one
/// bank per readout class with the exact engine), the pseudo-derivatives, and the
/// membrane classes ([`crate::classes`]).
#[derive(Clone, Copy)]
struct Post<'a> {
    lsig: &'a [i32],
    psi: &'a [u32],
    beta: &'a [i32],
    trace_classes: usize,
    tclass: &'a [u32],
}

/// One hidden layer's update at chip step `step`, row by row through the kernels of
/// [`crate::update`]. With a learning-rate spread each synapse's offset
/// ([`rate_offset`]) is added to its shift, one synapse at a time.
#[cfg_attr(target_arch = "x86_64", inline(always))]
fn update_hidden(
    cfg: &ChipConfig,
    step: u64,
    layer: Hidden<'_>,
    post: Post<'_>,
    kernels: update::Kernels,
) {
    let kernel = kernels.online;
    let n = post.psi.len();
    if n == 0 {
        return;
    }
    let psi = post.psi;
    // The first bank: the light engine's only one.
    let lsig = post.lsig.get(..n).unwrap_or(&[]);
    let banks = post.lsig.len().checked_div(n).unwrap_or(1).max(1);
    let l = cfg.learning();
    let (seed, spread) = (cfg.seed(), l.lr_spread);
    let wf = cfg.formats().weight;
    let sample = l.apply.hidden_per_sample();
    let use_ = if l.engine == Engine::Light {
        draw::CHANCE
    } else {
        draw::ROUND
    };
    let base = hash::step_base(seed, step, layer.code, use_);
    // `first_zero` stops at the first absent synapse (`all` counts every one).
    let dense = layer.mask.first_zero().is_none();
    let mask = if dense { None } else { Some(layer.mask) };
    let shift = i32::from(layer.shift);
    let sign = |i: usize| layer.pre_sign.and_then(|s| s.get(i).map(|b| *b));
    // The weight format's range once, narrowed a row at a time by its sign.
    let range = bounds(wf, None);
    let g: &mut [i32] = if sample { layer.g } else { &mut [] };
    if l.engine == Engine::Light {
        let k = |idx: usize| {
            let off = rate_offset(seed, layer.code, idx, spread);
            shift.saturating_add(off as i32).max(0) as u32
        };
        let b = |i: usize| signed(range, sign(i));
        let uniform = (spread == 0).then_some(shift.max(0) as u32);
        // Onto an ALIF neuron: zbar_i - beta_j eps_ji, back in the trace format.
        let (mf, mhalf) = beta_frac(cfg);
        let conv = (l.elig.frac() as i32).wrapping_sub(cfg.formats().trace.frac() as i32);
        let eps = layer.eps;
        let trace = |idx: usize, j: usize, tr: u32| -> i64 {
            let ep = eps.get(idx).copied().unwrap_or(0);
            let bj = post.beta.get(j).copied().unwrap_or(0);
            let beps = shift_round(beta_eps(bj, ep, mf, mhalf), conv.wrapping_neg());
            i64::from(tr).wrapping_sub(beps)
        };
        let adaptive = update::Adaptive {
            beta: post.beta,
            trace: &trace,
        };
        update::light(
            layer.w,
            g,
            layer.trace,
            post.trace_classes,
            post.tclass,
            lsig,
            psi,
            mask,
            k,
            uniform,
            b,
            base,
            (!eps.is_empty()).then_some(&adaptive),
            kernels.light,
        );
        return;
    }
    let layer_mask = update::LayerMask::new(mask);
    let k0 = shift.wrapping_sub(GRAD_FRAC as i32);
    // A host's kernel takes the online rows of one shift in its range and one class,
    // a few rows a call. (Only a host has a kernel: on a microcontroller this folds
    // away.)
    if let (Some(kernel), Some(right)) = (kernel, update::kernel_shift(k0)) {
        if cfg!(target_arch = "x86_64") && spread == 0 && banks == 1 && g.is_empty() {
            // A mask shorter than the layer ends it at its last whole row.
            let rows = mask.map_or(usize::MAX, |m| m.len().checked_div(n).unwrap_or(0));
            let cells = (&mut *layer.w, layer.ebar, lsig);
            kernel_rows(cells, layer_mask, rows, sign, (right, range, base), kernel);
            return;
        }
    }
    let mut g_rows = g.chunks_exact_mut(n);
    // One ebar bank (and learning-signal bank) per readout class.
    let syn = layer.ebar.len().checked_div(banks).unwrap_or(0);
    for (i, (wrow, erow)) in layer
        .w
        .chunks_exact_mut(n)
        .zip(layer.ebar.chunks_exact(n))
        .enumerate()
    {
        let grow: &mut [i32] = g_rows.next().unwrap_or(&mut []);
        let b = signed(range, sign(i));
        let i0 = i.saturating_mul(n);
        if mask.is_some_and(|m| m.len() < i0.saturating_add(n)) {
            return;
        }
        for (s, e) in layer_mask.runs(i0, n) {
            // One run at a time, or one synapse at a time with a rate spread.
            let mut j = s;
            while j < e {
                let (end, k) = if spread == 0 {
                    (e, k0)
                } else {
                    let off = rate_offset(seed, layer.code, i0.saturating_add(j), spread);
                    (j.saturating_add(1), k0.saturating_add(off as i32))
                };
                let at = i0.saturating_add(j);
                if banks > 1 {
                    // sum_q L_qj ebar_qji: bank q of ebar at q * syn, of L at q * n.
                    let mut terms: [(&[i32], &[i32]); MAX_CLASSES] = [(&[], &[]); MAX_CLASSES];
                    for (q, t) in terms.iter_mut().enumerate().take(banks) {
                        let e0 = q.saturating_mul(syn).saturating_add(at);
                        let l0 = q.saturating_mul(n).saturating_add(j);
                        let len = end.saturating_sub(j);
                        *t = (
                            layer.ebar.get(e0..e0.saturating_add(len)).unwrap_or(&[]),
                            post.lsig.get(l0..l0.saturating_add(len)).unwrap_or(&[]),
                        );
                    }
                    if let (Some(w), Some(terms)) = (wrow.get_mut(j..end), terms.get(..banks)) {
                        let g = grow.get_mut(j..end).unwrap_or(&mut []);
                        update::exact_classes(w, g, terms, k, b, base, at);
                    }
                } else if let (Some(w), Some(eb), Some(ls)) =
                    (wrow.get_mut(j..end), erow.get(j..end), lsig.get(j..end))
                {
                    let g = grow.get_mut(j..end).unwrap_or(&mut []);
                    update::exact(w, g, eb, ls, k, b, base, at, kernel);
                }
                j = end;
            }
        }
    }
}

/// Absent synapses a row may have and still go through a kernel call with others
/// ([`kernel_rows`]).
const ROW_GAPS: usize = 8;

/// Rows a kernel call takes at the most ([`kernel_rows`]).
const KERNEL_ROWS: usize = 16;

/// A layer's online rows of one shift (`right`, in [`update::KERNEL_SHIFTS`]) and one
/// class through a host's kernel: up to [`KERNEL_ROWS`] consecutive rows of one
/// Dale sign a call, the kernel's constants set up once for them. A row with at most
/// [`ROW_GAPS`] absent synapses joins a call: their weights are kept aside and put
/// back, and every other synapse's update depends only on its own index, so the bits
/// are those of one call a run of present synapses (a dense recurrent row without its
/// self-synapse is two runs). A row with more takes its runs one call each. `rows`:
/// how many rows the mask covers; `sign`: a row's Dale sign; `range`: the weight
/// format's bounds.
#[cfg_attr(target_arch = "x86_64", inline(always))]
fn kernel_rows(
    (w, ebar, lsig): (&mut [i16], &[i32], &[i32]),
    mask: update::LayerMask<'_>,
    rows: usize,
    sign: impl Fn(usize) -> Option<bool>,
    (right, range, base): (u32, Bounds, u32),
    kernel: OnlineKernel,
) {
    let n = lsig.len();
    let (Some(wr), Some(er)) = (w.len().checked_div(n), ebar.len().checked_div(n)) else {
        return;
    };
    let rows = rows.min(wr).min(er);
    let mut kept = [(0usize, 0i16); KERNEL_ROWS * ROW_GAPS];
    let mut i = 0usize;
    while i < rows {
        let row_sign = sign(i);
        let (mut end, mut nk) = (i, 0usize);
        while end < rows && end.wrapping_sub(i) < KERNEL_ROWS && sign(end) == row_sign {
            let i0 = end.wrapping_mul(n);
            let mut gaps = [0usize; ROW_GAPS];
            let Some(ng) = mask.absent(i0, n, &mut gaps) else {
                break;
            };
            for &j in gaps.get(..ng).unwrap_or_default() {
                let at = i0.wrapping_add(j);
                if let (Some(slot), Some(&x)) = (kept.get_mut(nk), w.get(at)) {
                    *slot = (at, x);
                    nk = nk.wrapping_add(1);
                }
            }
            end = end.wrapping_add(1);
        }
        let b = signed(range, row_sign);
        if end == i {
            // More absent synapses than a row keeps aside: its runs, one call each.
            let i0 = i.wrapping_mul(n);
            for (s, e) in mask.runs(i0, n) {
                let (a, z) = (i0.wrapping_add(s), i0.wrapping_add(e));
                let cells = (w.get_mut(a..z), ebar.get(a..z), lsig.get(s..e));
                if let (Some(w), Some(eb), Some(ls)) = cells {
                    update::exact(w, &mut [], eb, ls, right as i32, b, base, a, Some(kernel));
                }
            }
            i = i.wrapping_add(1);
            continue;
        }
        let (a, z) = (i.wrapping_mul(n), end.wrapping_mul(n));
        if let (Some(w), Some(ebar)) = (w.get_mut(a..z), ebar.get(a..z)) {
            kernel(update::OnlineRow {
                w,
                ebar,
                lsig,
                right,
                bounds: b,
                base,
                index0: a,
            });
        }
        for &(at, x) in kept.get(..nk).unwrap_or_default() {
            if let Some(v) = w.get_mut(at) {
                *v = x;
            }
        }
        i = end;
    }
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
        let input = Hidden {
            code: layer::INPUT,
            shift: l.shift_in,
            trace: mem.xbar,
            ebar: mem.ebar_in,
            eps: mem.eps_in,
            w: mem.w_in,
            g: mem.g_in,
            mask: mem.mask_in,
            pre_sign: None,
        };
        let post = Post {
            lsig: mem.l,
            psi: mem.psi,
            beta: mem.beta,
            trace_classes: mem.layout.trace_classes,
            tclass: mem.tclass,
        };
        update_hidden(cfg, step, input, post, kernels);
        let recurrent = Hidden {
            code: layer::RECURRENT,
            shift: l.shift_rec,
            trace: mem.zbar,
            ebar: mem.ebar_rec,
            eps: mem.eps_rec,
            w: mem.w_rec,
            g: mem.g_rec,
            mask: mem.mask_rec,
            pre_sign: if l.dale { Some(&*mem.exc) } else { None },
        };
        update_hidden(cfg, step, recurrent, post, kernels);
    }
    if l.learn_readout {
        update_readout(cfg, mem, step, kernels.online);
    }
    true
}

/// Readout weights and biases: `dW_out_jk = -(err_k * zk_j) >> shift_out` and
/// `db_k = -(err_k * bk) >> shift_bias`, in 2^-16 LSB, through the exact kernel.
#[cfg_attr(target_arch = "x86_64", inline(always))]
#[cfg_attr(not(target_arch = "x86_64"), inline(never))]
fn update_readout(cfg: &ChipConfig, mem: &mut Memory<'_>, step: u64, kernel: Option<OnlineKernel>) {
    let l = cfg.learning();
    let o = mem.layout.n_out;
    let seed = cfg.seed();
    let sample = l.apply.readout_per_sample();
    let b = bounds(cfg.formats().weight, None);
    let base = hash::step_base(seed, step, layer::READOUT, draw::ROUND);
    let shift = i32::from(l.shift_out).wrapping_sub(GRAD_FRAC as i32);
    let mut g_rows = mem.g_out.chunks_exact_mut(o.max(1));
    // Readout k learns from the trace bank of its class (bank q at q * (n_rec + 1)).
    let n = mem.layout.n_rec;
    let bank = n.saturating_add(1);
    let kclass: &[u32] = mem.kclass;
    let bank_of = |k: usize| {
        kclass
            .get(k)
            .map_or(0, |&q| (q as usize).saturating_mul(bank))
    };
    let out_mask = update::LayerMask::new(Some(mem.mask_out));
    let acc = update::Accumulate::new(shift);
    let err_max = mem.err.iter().map(|e| e.unsigned_abs()).max().unwrap_or(0);
    // Online with a host's kernel: a few whole rows a call where the layer allows,
    // else the rows one at a time below. (Only a host has a kernel: on a
    // microcontroller this folds away and leaves the row loop's code as it was.)
    let whole = match kernel {
        Some(kernel) if cfg!(target_arch = "x86_64") && !sample && kclass.is_empty() => {
            let cells = (&mut *mem.w_out, &*mem.err, &*mem.zk, &*mem.mask_out);
            l.lr_spread == 0 && readout_rows(cells, o, (shift, b, base), kernel)
        }
        _ => false,
    };
    let w_rows: &mut [i16] = if whole { &mut [] } else { mem.w_out };
    for (j, wrow) in w_rows.chunks_exact_mut(o.max(1)).enumerate() {
        let grow: &mut [i32] = match (sample, g_rows.next()) {
            (true, Some(r)) => r,
            _ => &mut [],
        };
        let zk_row = |k: usize| mem.zk.get(bank_of(k).saturating_add(j)).copied();
        let Some(zk0) = zk_row(0) else {
            break;
        };
        if kclass.is_empty() && zk0 == 0 {
            continue;
        }
        let i0 = j.saturating_mul(o);
        if kclass.is_empty() && l.lr_spread == 0 && sample && grow.len() == o {
            // Sample mode: each present synapse's change added to its accumulator,
            // one add a synapse (the same bits as `update::exact` with `g`).
            let cells = grow.iter_mut().zip(mem.err.iter()).enumerate();
            let present = |k: usize| out_mask.has(i0.saturating_add(k));
            if let Some(acc) = acc.narrow(err_max, zk0) {
                // Every product and change fits 32 bits (the M4's one multiply). The
                // trace is below 2^31 unless every error is 0, and then so is every
                // product, whatever the cast gives.
                let zk = zk0 as i32;
                for (k, (g, &e)) in cells {
                    if present(k) {
                        acc.add(g, e, zk);
                    }
                }
                continue;
            }
            let zk = i64::from(zk0.min(i32::MAX as u32));
            acc.add_all(
                cells.filter_map(|(k, (g, &e))| {
                    present(k).then(|| (g, i64::from(e).wrapping_mul(zk)))
                }),
            );
            continue;
        }
        if kclass.is_empty() && l.lr_spread == 0 && o >= 8 {
            // One trace and one shift for the whole row: its runs of present
            // synapses through the row kernel, up to 64 synapses a call (the same
            // bits as one synapse at a time: each draws by its own index). Rows of
            // a few readouts cost less one synapse at a time.
            let zk = zk0.min(i32::MAX as u32) as i32;
            let zs = [zk; 64];
            if mem.mask_out.len() < i0.saturating_add(o) {
                break;
            }
            for (s, e) in out_mask.runs(i0, o) {
                let mut k = s;
                while k < e {
                    let end = e.min(k.saturating_add(zs.len()));
                    if let (Some(w), Some(er)) = (wrow.get_mut(k..end), mem.err.get(k..end)) {
                        let g = grow.get_mut(k..end).unwrap_or(&mut []);
                        let at = i0.saturating_add(k);
                        update::exact(w, g, er, &zs, shift, b, base, at, kernel);
                    }
                    k = end;
                }
            }
            continue;
        }
        for k in 0..o {
            let zk = zk_row(k).unwrap_or(0);
            if zk == 0 {
                continue;
            }
            let at = i0.saturating_add(k);
            if !mem.mask_out.get(at).is_some_and(|b| *b) {
                continue;
            }
            let off = rate_offset(seed, layer::READOUT, at, l.lr_spread) as i32;
            let (Some(w), Some(e)) = (wrow.get_mut(k..=k), mem.err.get(k..=k)) else {
                continue;
            };
            let g = grow.get_mut(k..=k).unwrap_or(&mut []);
            let zk = zk.min(i32::MAX as u32) as i32;
            let zs = core::slice::from_ref(&zk);
            update::exact(w, g, e, zs, shift.saturating_add(off), b, base, at, None);
        }
    }
    let rf = cfg.formats().readout;
    let bsh = i32::from(l.shift_bias).wrapping_sub(GRAD_FRAC as i32);
    let base = hash::step_base(seed, step, layer::BIAS, draw::ROUND);
    for (k, (b, &e)) in mem.bias.iter_mut().zip(mem.err.iter()).enumerate() {
        let bk = i64::from(
            mem.zk
                .get(bank_of(k).saturating_add(n))
                .copied()
                .unwrap_or(0),
        );
        let d_q16 = shift_round(
            i64::from(e).saturating_mul(bk).saturating_neg(),
            bsh.wrapping_neg(),
        );
        if sample {
            if let Some(acc) = mem.g_bias.get_mut(k) {
                let d = d_q16.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32;
                *acc = acc.saturating_add(d);
            }
        } else {
            let d = hash::dither_shift(d_q16, GRAD_FRAC, base, k);
            *b = rf.saturate(i64::from(*b).saturating_add(d));
        }
    }
}

/// Readout synapses a call of [`readout_rows`] takes at the most.
const READOUT_SPAN: usize = 256;

/// The readout's online update through a host's kernel, `READOUT_SPAN / o` whole
/// rows a call, when every readout synapse of the `n_rec` rows is present and one
/// trace bank and one shift serve them all: row `j`'s synapses `j o .. j o + o`
/// follow row `j - 1`'s, so a call takes consecutive rows, with the errors laid out
/// once a row and each row's trace repeated over its readouts. Each synapse draws by
/// its own index, so the bits are those of [`update::exact`] a row at a time, and a
/// row whose trace is zero (which the row loop passes over) has zero products and
/// keeps its weights, which are within the format. A row of a few readouts then
/// costs a few vector lanes rather than a kernel call with a padded tail. Returns
/// whether it took the layer (`(w_out, err, zk, mask)`: the weights, the errors, the
/// readout traces of bank 0 and the readout mask).
#[cfg_attr(target_arch = "x86_64", inline(always))]
fn readout_rows(
    (w_out, err, zk, mask): (&mut [i16], &[i32], &[u32], &Bits),
    o: usize,
    (shift, b, base): (i32, Bounds, u32),
    kernel: OnlineKernel,
) -> bool {
    let Some(rows) = READOUT_SPAN.checked_div(o).filter(|&r| r > 0) else {
        return false;
    };
    let n = w_out.len().checked_div(o).unwrap_or(0);
    let syn = n.saturating_mul(o);
    let (Some(err), Some(zk), Some(mask)) = (err.get(..o), zk.get(..n), mask.get(..syn)) else {
        return false;
    };
    if mask.first_zero().is_some() {
        return false;
    }
    let span = rows.saturating_mul(o);
    let mut errs = [0i32; READOUT_SPAN];
    for row in errs.chunks_exact_mut(o).take(rows) {
        row.copy_from_slice(err);
    }
    let mut zs = [0i32; READOUT_SPAN];
    let calls = w_out.chunks_mut(span).zip(zk.chunks(rows));
    for (c, (wc, zc)) in calls.enumerate() {
        let len = wc.len();
        for (cells, &z) in zs.chunks_exact_mut(o).zip(zc) {
            cells.fill(z.min(i32::MAX as u32) as i32);
        }
        if let (Some(e), Some(z)) = (errs.get(..len), zs.get(..len)) {
            let at = c.saturating_mul(span);
            update::exact(wc, &mut [], e, z, shift, b, base, at, Some(kernel));
        }
    }
    true
}

/// End of a sample at chip step `step`: apply the accumulated updates (sample mode)
/// with stochastic rounding and clear the accumulators.
#[cfg_attr(target_arch = "x86_64", inline(always))]
pub fn end_sample(cfg: &ChipConfig, mem: &mut Memory<'_>, step: u64) {
    let l = cfg.learning();
    if l.engine == Engine::Off || l.apply == Apply::Online {
        return;
    }
    let wf = cfg.formats().weight;
    let seed = cfg.seed();
    let base = |code| hash::step_base(seed, step, code, draw::APPLY);
    update::apply(mem.w_in, mem.g_in, bounds(wf, None), base(layer::INPUT), 0);
    let b_rec = base(layer::RECURRENT);
    let n = mem.layout.n_rec.max(1);
    for (i, (w, g)) in mem
        .w_rec
        .chunks_mut(n)
        .zip(mem.g_rec.chunks_mut(n))
        .enumerate()
    {
        let sign = if l.dale {
            mem.exc.get(i).map(|b| *b)
        } else {
            None
        };
        update::apply(w, g, bounds(wf, sign), b_rec, i.saturating_mul(n));
    }
    update::apply(
        mem.w_out,
        mem.g_out,
        bounds(wf, None),
        base(layer::READOUT),
        0,
    );
    let rf = cfg.formats().readout;
    let b_bias = base(layer::BIAS);
    for (k, (b, g)) in mem.bias.iter_mut().zip(mem.g_bias.iter()).enumerate() {
        let d = hash::dither_shift(i64::from(*g), GRAD_FRAC, b_bias, k);
        *b = rf.saturate(i64::from(*b).saturating_add(d));
    }
    mem.clear_updates();
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The firmware's LIF cells (`SMMULR`, `SSAT`, two at a time) give the bits of
        /// the portable cells for every width, any word (the 31-bit read included),
        /// any decay below one, odd and even rows, and both pseudo-derivative terms.
        #[test]
        fn format_cells_are_the_portable_cells(
            words in prop::collection::vec(any::<i32>(), 0..40),
            psi in prop::collection::vec(0u32..=0xFFFF, 40),
            bits in 8u32..=31,
            kappa in 0u16..(1 << 15),
            zb in -(1i32 << 27)..(1 << 27),
            small in any::<bool>(),
        ) {
            let f = Format::signed(bits, 0).unwrap_or(Format::raw(24, 0, true));
            let zb = if small { zb >> 12 } else { zb };
            let e = move |p: u32| times_psi(p, i64::from(zb)) as i32;
            let (mut fast, mut portable) = (words.clone(), words);
            prop_assert!(row(kappa, f.min(), f.max()).format_cells(&mut fast, &psi, e));
            lif_cells(&mut portable, &psi, (kappa, f.min(), f.max()), e);
            prop_assert_eq!(fast, portable);
        }

        /// The firmware's LIF term from the 16-bit trace word is the rounded product
        /// with the trace shifted into the eligibility format, for every shift it
        /// takes; wider words and other shifts are left to the portable cells.
        #[test]
        fn trace_term_is_the_rounded_product(
            p in 0u32..=0xFFFF,
            tr in 0u32..=0x1_FFFF,
            conv in -2i32..=14,
        ) {
            let zb = shift_round(i64::from(tr), conv);
            match trace_term(tr, conv) {
                Some(e) => prop_assert_eq!(i64::from(e(p)), times_psi(p, zb)),
                None => prop_assert!(tr > 0xFFFF || !(0..=11).contains(&conv)),
            }
        }
    }

    proptest! {
        /// The readout a few rows a kernel call gives the bits of the row loop (one
        /// [`update::exact`] a row, rows whose trace is zero passed over) for any
        /// count of readouts and rows, trace (zero included), error and shift (both
        /// sides of the one-shift range); a layer with an absent synapse, or rows
        /// wider than a call, are left to the row loop.
        #[test]
        fn readout_rows_are_the_row_loop(
            o in prop_oneof![1usize..=70, 240usize..=270],
            n in 0usize..=24,
            cells in prop::collection::vec((any::<i16>(), any::<u32>(), any::<bool>()), 24 * 270),
            err in prop::collection::vec(any::<i32>(), 270),
            shift in -8i32..=50,
            (lo, hi) in (-32768i32..=0, 0i32..=32767),
            base in any::<u32>(),
            gap in prop::option::of(any::<prop::sample::Index>()),
        ) {
            use bitvec::prelude::*;
            let b = Bounds { lo, hi };
            let err: Vec<i32> = err.iter().take(o).map(|e| e >> 8).collect();
            let zk: Vec<u32> = (0..n)
                .map(|j| if cells[j].2 { 0 } else { cells[j].1 >> (j % 20) })
                .collect();
            let w0: Vec<i16> = cells
                .iter()
                .take(n * o)
                .map(|c| c.0.clamp(lo as i16, hi as i16))
                .collect();
            let mut mask = bitvec![u32, Lsb0; 1; n * o];
            if let Some(g) = gap.filter(|_| n > 0) {
                mask.set(g.index(n * o), false);
            }
            let mut fast = w0.clone();
            let took = readout_rows(
                (&mut fast, &err, &zk, &mask),
                o,
                (shift, b, base),
                update::online_row,
            );
            prop_assert_eq!(took, o <= READOUT_SPAN && (gap.is_none() || n == 0));
            if !took {
                prop_assert_eq!(&fast, &w0);
                return Ok(());
            }
            let mut rows = w0;
            for (j, wrow) in rows.chunks_exact_mut(o).enumerate() {
                if zk[j] == 0 {
                    continue;
                }
                let zs = vec![zk[j].min(i32::MAX as u32) as i32; o];
                update::exact(wrow, &mut [], &err, &zs, shift, b, base, j * o, None);
            }
            prop_assert_eq!(fast, rows);
        }
    }

    /// A row pass with decay `kappa` into `[lo, hi]`.
    fn row(kappa: u16, lo: i32, hi: i32) -> Row {
        Row {
            lo: lo.into(),
            hi: hi.into(),
            width: twos_width(lo.into(), hi.into()),
            mf: 0,
            mhalf: 0,
            kappa,
        }
    }

    /// A decay of one, or bounds that are not a two's-complement format's, leave the
    /// row to the portable cells.
    #[test]
    fn format_cells_decline_what_they_cannot_saturate() {
        let mut cells = [5, -7, 9];
        let psi = [1, 2, 3];
        let e = |p: u32| p as i32;
        assert!(!row(1 << 15, -128, 127).format_cells(&mut cells, &psi, e));
        assert!(!row(30_000, -100, 127).format_cells(&mut cells, &psi, e));
        assert!(!row(30_000, i32::MIN, i32::MAX).format_cells(&mut cells, &psi, e));
        assert_eq!(cells, [5, -7, 9]);
        assert!(row(30_000, -128, 127).format_cells(&mut cells, &psi, e));
    }
}
