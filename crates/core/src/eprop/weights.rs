//! The weight updates of [`super`]: the hidden layers' rows through the engines'
//! kernels ([`crate::update`]), the readout's weights and biases, Dale's law and the
//! weight format's bounds.

use super::eligibility::{beta_eps, beta_frac};
use super::*;

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

/// The hidden layers' updates of a learning step ([`update_hidden`] for the input
/// layer, then the recurrent one).
#[inline(always)]
pub(super) fn update_hidden_layers(
    cfg: &ChipConfig,
    mem: &mut Memory<'_>,
    step: u64,
    kernels: update::Kernels,
) {
    let l = *cfg.learning();
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

/// Readout weights and biases: `dW_out_jk = -(err_k * zk_j) >> shift_out` and
/// `db_k = -(err_k * bk) >> shift_bias`, in 2^-16 LSB, through the exact kernel.
#[cfg_attr(target_arch = "x86_64", inline(always))]
#[cfg_attr(not(target_arch = "x86_64"), inline(never))]
pub(super) fn update_readout(
    cfg: &ChipConfig,
    mem: &mut Memory<'_>,
    step: u64,
    kernel: Option<OnlineKernel>,
) {
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
}
