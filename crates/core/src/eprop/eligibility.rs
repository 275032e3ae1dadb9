//! The eligibility circuits of [`super`]: the filtered eligibility `ebar` of every
//! synapse (exact engine) and the adaptive neurons' `eps` (both engines), updated
//! every step from the traces and pseudo-derivatives ([`update_eligibility`]).

use super::*;

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
pub(super) fn beta_frac(cfg: &ChipConfig) -> (u32, i64) {
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
pub(super) fn beta_eps(bj: i32, ep: i32, mf: u32, mhalf: i64) -> i64 {
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
