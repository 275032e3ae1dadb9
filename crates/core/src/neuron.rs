//! The neuron engine: LIF and adaptive LIF (ALIF) updates, one neuron at a time, as
//! a time-multiplexed neuron engine computes them.
//!
//! For neuron `j`, from step `t` to `t + 1` (TF e-prop conventions, Bellec et al.
//! 2020, Methods; `z[t]` is the neuron's own previous spike):
//!
//! ```text
//! v[t+1] = sat( round(alpha * v[t]) + I_in + I_rec - z[t] * v_th )
//! b[t+1] = sat( round(rho * b[t]) + z[t] )                     (ALIF only)
//! A[t+1] = v_th + round(beta * b[t+1])
//! z[t+1] = v[t+1] > A[t+1]   unless refractory
//! ```
//!
//! `I_in` and `I_rec` are the accumulated synaptic sums scaled by their layer shift
//! (rounded to nearest once). The membrane sum is formed in 64 bits and saturated once
//! into the membrane format. A neuron with `beta = 0` is LIF: its `b` is not touched.
//! After a spike the neuron is refractory for `refractory` steps: it cannot spike and
//! its pseudo-derivative is zero; the reset still happens.

use crate::config::ChipConfig;
use crate::format::{shift_round, twos_width, Limit, ADAPT_FRAC, DECAY_FRAC};
use crate::memory::Memory;
use crate::prng::Prng;

/// One unit of `b` (a spike) in Q16.16.
const B_ONE: i64 = 1 << ADAPT_FRAC;

/// The effective threshold `A = v_th + round(beta * b)`, membrane format (wide).
#[inline]
pub fn adaptive_threshold(thr: i32, beta: i32, b: u32) -> i64 {
    let adapt = shift_round(
        i64::from(beta).saturating_mul(i64::from(b)),
        (ADAPT_FRAC as i32).wrapping_neg(),
    );
    i64::from(thr).saturating_add(adapt)
}

/// The pseudo-derivative `psi`: unsigned Q4.12 (16 bits), a format fixed by design;
/// stored as its bits in [`Memory::psi`](crate::Memory).
pub type Psi = fixed::types::U4F12;
/// Fractional bits of [`Psi`].
pub const PSI_FRAC: u32 = Psi::FRAC_NBITS;
/// Fractional bits of the per-neuron gain `gamma / v_th^2` (Q16.16).
pub const PSI_GAIN_FRAC: u32 = 16;

/// `thr * k / steps` (truncated; `steps >= 1`, `k <= steps`): the level `k` of
/// `steps`, at most `thr`. Level 0 is 0 without a division, and a product that fits in
/// 32 bits divides in 32 bits (one instruction on a Cortex-M4, where a 64-bit
/// division is a library call); both give the same quotient.
#[inline]
fn level(thr: u32, k: u32, steps: u32) -> u32 {
    if k == 0 {
        return 0;
    }
    match thr.checked_mul(k) {
        Some(n) => n.checked_div(steps).unwrap_or(0),
        None => u64::from(thr)
            .wrapping_mul(u64::from(k))
            .checked_div(u64::from(steps))
            .unwrap_or(0) as u32,
    }
}

/// The pseudo-derivative of a neuron:
/// `psi = gamma / v_th * max(0, 1 - |v - A| / v_th) = gain * max(0, v_th - |v - A|)`
/// with `gain = gamma / v_th^2` held per neuron (Q16.16), so no division is needed.
/// Result [`Psi`], rounded to nearest, saturating at its largest value. With `levels > 0` (light
/// engine) `max(0, 1 - |v - A| / v_th)` is first quantised down to `levels` levels
/// `0, 1/(levels-1), ..., 1` by comparisons, again without division.
///
/// A threshold at or below zero gives zero (no level above zero), and so does a
/// neuron at its threshold's distance or farther, or below the first level. Otherwise every
/// quantity is unsigned and below `2^31` (`raw` and its level lie in `0..=thr`), and
/// each product has 32-bit factors: one multiply each on a 32-bit core, with no
/// overflow check, and the same values as in 64-bit signed arithmetic.
#[inline]
pub fn pseudo_derivative(v: i32, a: i64, thr: i32, gain: u32, mem_frac: u32, levels: u8) -> Psi {
    let thr = match u32::try_from(thr) {
        Ok(t) if t > 0 => t,
        _ => return Psi::ZERO,
    };
    let dist = i64::from(v).saturating_sub(a).saturating_abs();
    let raw = i64::from(thr).saturating_sub(dist).max(0) as u32;
    // Far from threshold (most neurons at most steps) there is nothing to scale.
    if raw == 0 {
        return Psi::ZERO;
    }
    let raw = if levels >= 2 {
        let steps = u32::from(levels).wrapping_sub(1);
        // level = largest k in 0..=steps with raw * steps >= thr * k, that is
        // floor(raw * steps / thr) (raw <= thr, so at most steps): one 32-bit
        // division where the product fits, else the comparisons one level at a time.
        let k = match raw.checked_mul(steps) {
            Some(r) => r.checked_div(thr).unwrap_or(0).min(steps),
            None => {
                let (r, t) = (
                    u64::from(raw).wrapping_mul(u64::from(steps)),
                    u64::from(thr),
                );
                let mut k = 0u32;
                while k < steps && r >= t.wrapping_mul(u64::from(k.wrapping_add(1))) {
                    k = k.wrapping_add(1);
                }
                k
            }
        };
        level(thr, k, steps)
    } else {
        raw
    };
    if raw == 0 {
        return Psi::ZERO;
    }
    let shift = (mem_frac
        .saturating_add(PSI_GAIN_FRAC)
        .saturating_sub(PSI_FRAC)) as i32;
    let product = u64::from(raw).wrapping_mul(u64::from(gain)); // below 2^63
    let p = shift_round(product as i64, shift.wrapping_neg());
    Psi::from_bits(p.clamp(0, i64::from(u16::MAX)) as u16)
}

/// Update every recurrent neuron from its accumulators. Reads the previous spikes in
/// `mem.z` and overwrites them with the new ones; writes the pseudo-derivatives too
/// when the chip learns (on LIF neurons, only when `want_psi` is set). Returns the
/// number of spikes.
#[cfg_attr(target_arch = "x86_64", inline(always))]
pub fn update_neurons(
    cfg: &ChipConfig,
    mem: &mut Memory<'_>,
    prng: &mut Prng,
    want_psi: bool,
) -> u32 {
    let fmt = cfg.formats().membrane;
    let (lo, hi) = (i64::from(fmt.min()), i64::from(fmt.max()));
    let shifts = cfg.shifts();
    let (s_in, s_rec) = (i32::from(shifts.input), i32::from(shifts.recurrent));
    let rounding = cfg.leak_rounding();
    let n_ref = i32::from(cfg.refractory());
    let mf = fmt.frac();
    let levels = match cfg.learning().engine {
        crate::learning::Engine::Light => cfg.learning().psi_levels,
        _ => 0,
    };
    // The spike vector is read and written a 32-bit word at a time, in place: a
    // word's new spikes replace its old ones once its 32 neurons are done, and only
    // those neurons read them.
    let levels_or_learning = !mem.psi.is_empty();
    let mut spikes = 0u32;
    let n = mem.layout.n_rec.min(WORDS.saturating_mul(32));
    // A LIF network (learning or not) has no per-neuron branches: the block path
    // below, 32 neurons a word (vectorised unless stochastic rounding draws from the
    // PRNG, one draw per neuron in order, as the general loop draws). The general loop
    // is for chips with adaptive neurons and for layer shifts beyond 24.
    // A chip without adaptive neurons holds no adaptation strength (the builder
    // writes 0 and the semantic check refuses other memory), so only an ALIF chip
    // reads them.
    let betas = or_all(if cfg.alif() { &*mem.beta } else { &[] });
    let plain = s_in.unsigned_abs() <= 24 && s_rec.unsigned_abs() <= 24 && betas == 0;
    if plain {
        let p = Plain {
            lo,
            hi,
            s_in: Scale::new(s_in),
            s_rec: Scale::new(s_rec),
            n_ref,
            mf,
            levels,
        };
        let learn = levels_or_learning && want_psi;
        // A microcontroller's second pass has branches; the host's vectorises.
        const SETTLE: bool = cfg!(not(target_arch = "x86_64"));
        return p.blocks::<SETTLE>(mem, n, rounding, learn, prng);
    }
    // Every region cut to exactly `n` words, so the per-neuron reads below cannot miss.
    let (Some(vs), Some(thrs), Some(betas), Some(refrs), Some(ains), Some(arecs)) = (
        mem.v.get_mut(..n),
        mem.thr.get(..n),
        mem.beta.get(..n),
        mem.refr.get_mut(..n),
        mem.acc_in.get(..n),
        mem.acc_rec.get(..n),
    ) else {
        return 0;
    };
    let (Some(alphas), Some(rhos), Some(bs)) =
        (mem.alpha.get(..n), mem.rho.get(..n), mem.b.get_mut(..n))
    else {
        return 0;
    };
    let mut z = crate::words::WordsMut::new(mem.z);
    // A word of 32 neurons at a time: their old spikes, and their new ones.
    'words: for word in 0..n.div_ceil(32) {
        let old = z.get(word);
        let mut new = 0u32;
        for j in word.wrapping_mul(32)..n.min(word.wrapping_mul(32).wrapping_add(32)) {
            let bit = (j & 31) as u32;
            let (Some(v), Some(&thr), Some(&beta), Some(refr), Some(&ain), Some(&arec)) = (
                vs.get_mut(j),
                thrs.get(j),
                betas.get(j),
                refrs.get_mut(j),
                ains.get(j),
                arecs.get(j),
            ) else {
                break 'words;
            };
            let (Some(&alpha), Some(&rho), Some(b)) = (alphas.get(j), rhos.get(j), bs.get_mut(j))
            else {
                break 'words;
            };
            let z_old = (old >> bit) & 1 == 1;

            // Leak, input (each accumulator scaled by its layer shift), reset by subtraction.
            let leak = rounding.decay(i64::from(*v), alpha as u16, prng);
            let input = shift_round(i64::from(ain), s_in)
                .saturating_add(shift_round(i64::from(arec), s_rec));
            let reset = if z_old { i64::from(thr) } else { 0 };
            let nv = leak
                .saturating_add(input)
                .saturating_sub(reset)
                .limit(lo, hi) as i32;
            *v = nv;

            // Adaptation (ALIF only; LIF neurons have beta = 0).
            if beta != 0 {
                let decayed = rounding.decay(i64::from(*b), rho as u16, prng);
                let nb = decayed.saturating_add(if z_old { B_ONE } else { 0 });
                *b = nb.clamp(0, i64::from(u32::MAX)) as u32;
            }
            let a = if beta != 0 {
                adaptive_threshold(thr, beta, *b)
            } else {
                i64::from(thr)
            };

            // Pseudo-derivative of this step (learning only), zero while refractory.
            let refractory = *refr > 0;
            if levels_or_learning {
                if let (Some(psi), Some(&gain)) = (mem.psi.get_mut(j), mem.psi_gain.get(j)) {
                    *psi = if refractory {
                        0
                    } else {
                        u32::from(pseudo_derivative(nv, a, thr, gain, mf, levels).to_bits())
                    };
                }
            }
            // Fire unless refractory.
            let fire = if refractory {
                *refr = refr.saturating_sub(1);
                false
            } else {
                i64::from(nv) > a
            };
            if fire {
                *refr = n_ref;
                spikes = spikes.saturating_add(1);
                new |= 1 << bit;
            }
        }
        z.set(word, new);
    }
    spikes
}

/// The one rounding whose addend is drawn ([`crate::round::Rounding::fixed_addend`]).
const STOCHASTIC: crate::round::Rounding = crate::round::Rounding::Stochastic;

/// The neuron engine's constants for [`update_neurons`]' block path (LIF, inference).
struct Plain {
    lo: i64,
    hi: i64,
    s_in: Scale,
    s_rec: Scale,
    n_ref: i32,
    /// Membrane fractional bits and pseudo-derivative levels (learning only).
    mf: u32,
    levels: u8,
}

/// One block of up to 32 neurons for [`Plain::block`], with their previous spikes in
/// the bits of `old`.
struct Block<'a> {
    v: &'a mut [i32],
    thr: &'a [i32],
    refr: &'a mut [i32],
    ain: &'a [i32],
    arec: &'a [i32],
    alpha: &'a [u32],
    old: u32,
}

impl<'a> Block<'a> {
    /// A block without inputs or decays: what [`settle`] reads (membranes,
    /// thresholds, refractory counts and the previous spikes).
    fn settling(v: &'a mut [i32], thr: &'a [i32], refr: &'a mut [i32], old: u32) -> Self {
        let (ain, arec, alpha) = (&[][..], &[][..], &[][..]);
        Block {
            v,
            thr,
            refr,
            ain,
            arec,
            alpha,
            old,
        }
    }
}

/// The width of a step's sums ([`Plain::sums`]): 64-bit, in [`Plain::block`].
const WIDE: u8 = 0;
/// 32-bit ([`Plain::fits_32`]), in two passes: [`Plain::first_pass`] over the layer,
/// then [`Plain::block`]'s second loop or [`settle_any`] a block at a time.
const NARROW: u8 = 1;
/// 32-bit, with both layer shifts to the left: each input one multiply.
const LEFT: u8 = 2;
/// [`LEFT`] with a membrane of at most 16 bits ([`Plain::short`]): the leak in 32 bits
/// too.
const LEFT16: u8 = 3;

/// The or of every word of `x`, four a pass (the M4's loop overhead shared).
fn or_all(x: &[i32]) -> i32 {
    let mut quads = x.chunks_exact(4);
    let mut m = 0;
    for q in &mut quads {
        if let [a, b, c, d] = *q {
            m |= a | b | c | d;
        }
    }
    quads.remainder().iter().fold(m, |m, &b| m | b)
}

/// A block's pseudo-derivatives and their gains (both empty without learning).
type Psis<'a> = (&'a mut [u32], &'a [u32]);

impl Plain {
    /// Whether every sum of this step's membrane update fits in 32 bits, so that
    /// [`Plain::first_pass`] may add in 32-bit words ([`NARROW`]) and get the bits of the
    /// 64-bit sums: the leak is below `2 |v| + 1` (a decay is below 2), an input term
    /// below `(|acc| + 1) 2^s`, where an input accumulator is below `n_in 2^15` and
    /// the recurrent one below `spikes 2^15` (16-bit weights), and the reset is a
    /// threshold. `|v|` and `|thr|` are at most the membrane format's largest
    /// magnitude: the semantic check holds every loaded image and snapshot to it
    /// ([`crate::semantic`]), the builder writes no other, and every step keeps it
    /// (the membrane saturates to the format; thresholds do not change). Memory
    /// written by hand outside the format still runs, without a panic: its sums wrap.
    fn fits_32(&self, n_in: usize, spikes: u64) -> bool {
        // The bound in plain 64-bit arithmetic, which a 32-bit core does in a few
        // instructions where saturating products take dozens: each operand is capped
        // first, where the bound is already past 2^31 (`|v| + 1` at 2^32, an event
        // count at 2^20: its term is then at least 2^35), so the answer is the same
        // and no sum reaches 2^62 (a layer shift is at most 24 to the left).
        let m = self
            .lo
            .unsigned_abs()
            .max(self.hi.unsigned_abs())
            .min(1 << 32)
            .wrapping_add(1);
        let term =
            |events: u64, s: Scale| (events.min(1 << 20) << 15 | 1).wrapping_shl(s.left.min(24));
        // The leak (`2 |v| + 1`), the inputs and the reset (`|thr|`).
        let bound = m
            .wrapping_mul(3)
            .wrapping_add(1)
            .wrapping_add(term(n_in as u64, self.s_in))
            .wrapping_add(term(spikes, self.s_rec));
        bound < 1 << 31 && self.lo >= i64::from(i32::MIN) && self.hi <= i64::from(i32::MAX)
    }

    /// The block path of [`update_neurons`] over the chip's `n` neurons, 32 a block:
    /// the sums' width chosen once a step, the new spikes written in place. Returns
    /// the spike count. With `SETTLE` the second pass of the 32-bit sums at inference
    /// goes through [`settle_any`] (branches and one saturate: a microcontroller's
    /// choice) rather than [`Plain::block`]'s select loop (the host's, which
    /// vectorises); both give the same bits (`tests::settle_is_the_select_loop`). A
    /// function of its own on a microcontroller, so that the general loop (adaptive
    /// neurons) keeps its registers.
    #[cfg_attr(target_arch = "x86_64", inline(always))]
    #[cfg_attr(not(target_arch = "x86_64"), inline(never))]
    fn blocks<const SETTLE: bool>(
        &self,
        mem: &mut Memory<'_>,
        n: usize,
        rounding: crate::round::Rounding,
        learn: bool,
        prng: &mut Prng,
    ) -> u32 {
        let sums = self.sums(mem, n);
        let fixed = rounding.fixed_addend(DECAY_FRAC);
        if sums != WIDE {
            // The 32-bit sums' first pass over the whole layer (it reads no spike),
            // so that each block below runs the second pass alone.
            self.first_pass(mem, n.div_ceil(32).saturating_mul(32), sums, fixed, prng);
        }
        let (lo, hi) = (self.lo as i32, self.hi as i32);
        let words = n.div_ceil(32);
        if SETTLE && !learn && sums != WIDE {
            // The second pass alone reads a block's membranes, thresholds and
            // refractory counts: no other region's blocks are cut.
            let cells = mem.v.chunks_mut(32).zip(mem.thr.chunks(32));
            let cells = cells.zip(mem.refr.chunks_mut(32)).take(words);
            return each_word(mem.z, cells, |((v, thr), refr), old| {
                settle_any(Block::settling(v, thr, refr, old), lo, hi, self.n_ref)
            });
        }
        let blocks = mem
            .v
            .chunks_mut(32)
            .zip(mem.thr.chunks(32))
            .zip(mem.refr.chunks_mut(32))
            .zip(mem.acc_in.chunks(32).zip(mem.acc_rec.chunks(32)))
            .zip(mem.alpha.chunks(32))
            .take(words);
        // Learning: the pseudo-derivatives too, 32 a block (none without learning).
        let mut psis = mem.psi.chunks_mut(32);
        let mut gains = mem.psi_gain.chunks(32);
        each_word(
            mem.z,
            blocks,
            #[cfg_attr(target_arch = "x86_64", inline(always))]
            |((((v, thr), refr), (ain, arec)), alpha), old| {
                let b = Block {
                    ain,
                    arec,
                    alpha,
                    ..Block::settling(v, thr, refr, old)
                };
                let psi = (
                    psis.next().unwrap_or_default(),
                    gains.next().unwrap_or_default(),
                );
                // The rounding's addend of the decay shift (`Rounding::addend`): a
                // constant unless it draws, so that the constant case vectorises (and the
                // drawing case is named as a constant, so that its mask folds). The
                // 32-bit sums' second pass draws nothing.
                match (sums, learn) {
                    (WIDE, false) => self.dithered::<false>(b, psi, fixed, prng),
                    (WIDE, true) => self.dithered::<true>(b, psi, fixed, prng),
                    (_, false) => self.block::<false, false>(b, psi, || 0),
                    (_, true) => self.block::<false, true>(b, psi, || 0),
                }
            },
        )
    }

    /// Whether every membrane is within 16 bits (`-2^15..2^15`), which the semantic
    /// check holds loaded memory to and every step keeps ([`Plain::fits_32`]): the
    /// leak then fits 32 bits ([`leak32`]).
    fn short(&self) -> bool {
        self.lo >= -(1 << 15) && self.hi < 1 << 15
    }

    /// [`Plain::block`]'s whole update in 64-bit sums with the chip's rounding: a
    /// fixed addend (`fixed`) or one drawn from the PRNG per neuron.
    #[cfg_attr(target_arch = "x86_64", inline(always))]
    fn dithered<const LEARN: bool>(
        &self,
        b: Block<'_>,
        psi: Psis<'_>,
        fixed: Option<i64>,
        prng: &mut Prng,
    ) -> u32 {
        match fixed {
            Some(a) => self.block::<true, LEARN>(b, psi, || a),
            None => self.block::<true, LEARN>(b, psi, || STOCHASTIC.addend(DECAY_FRAC, prng)),
        }
    }

    /// The width of this step's sums over the first `n` neurons: 64-bit, 32-bit, or
    /// 32-bit with both layer shifts to the left (one multiply each, and fewer
    /// constants held on a 32-bit core).
    #[cfg_attr(target_arch = "x86_64", inline(always))]
    fn sums(&self, mem: &Memory<'_>, n: usize) -> u8 {
        let mut fired = 0u64;
        crate::words::for_each_word(mem.z, |k, w| {
            if k < n.div_ceil(32) {
                fired = fired.saturating_add(u64::from(w.count_ones()));
            }
        });
        let left = self.s_in.right == 0 && self.s_rec.right == 0;
        match self.fits_32(mem.layout.n_in, fired) {
            false => WIDE,
            true if left && self.short() => LEFT16,
            true if left => LEFT,
            true => NARROW,
        }
    }

    /// The first pass of the 32-bit sums (`sums` not [`WIDE`]) over the first `m`
    /// neurons, the whole layer in one loop: each membrane becomes its leak (with the
    /// rounding's addend, `fixed` or drawn in neuron order) plus its two inputs.
    #[cfg_attr(target_arch = "x86_64", inline(always))]
    fn first_pass(
        &self,
        mem: &mut Memory<'_>,
        m: usize,
        sums: u8,
        fixed: Option<i64>,
        prng: &mut Prng,
    ) {
        let end = m.min(mem.v.len());
        let v = mem.v.get_mut(..end).unwrap_or(&mut []);
        let input = (&*mem.acc_in, &*mem.acc_rec);
        let alpha = &*mem.alpha;
        let drawn = || STOCHASTIC.addend(DECAY_FRAC, prng);
        match (sums, fixed) {
            (LEFT16, Some(a)) => self.leak_and_input::<LEFT16>(v, input, alpha, || a),
            (LEFT16, None) => self.leak_and_input::<LEFT16>(v, input, alpha, drawn),
            (LEFT, Some(a)) => self.leak_and_input::<LEFT>(v, input, alpha, || a),
            (LEFT, None) => self.leak_and_input::<LEFT>(v, input, alpha, drawn),
            (_, Some(a)) => self.leak_and_input::<NARROW>(v, input, alpha, || a),
            (_, None) => self.leak_and_input::<NARROW>(v, input, alpha, drawn),
        }
    }

    /// [`Plain::first_pass`] in the form `SUMS`: each membrane `v` becomes its leak
    /// (with `dither`'s addend, drawn in neuron order) plus its two inputs, wrapping
    /// (they fit: `fits_32`). Over the cells the four slices share.
    #[cfg_attr(target_arch = "x86_64", inline(always))]
    fn leak_and_input<const SUMS: u8>(
        &self,
        v: &mut [i32],
        (ain, arec): (&[i32], &[i32]),
        alpha: &[u32],
        mut dither: impl FnMut() -> i64,
    ) {
        let cells = v.iter_mut().zip(ain.iter().zip(arec)).zip(alpha);
        for ((v, (&ain, &arec)), &alpha) in cells {
            let input = if SUMS == LEFT || SUMS == LEFT16 {
                ain.wrapping_mul(self.s_in.mul)
                    .wrapping_add(arec.wrapping_mul(self.s_rec.mul))
            } else {
                self.s_in
                    .apply32(ain)
                    .wrapping_add(self.s_rec.apply32(arec))
            };
            let leak = if SUMS == LEFT16 {
                leak32(*v, alpha, dither())
            } else {
                leak(*v, alpha, dither()) as i32
            };
            *v = leak.wrapping_add(input);
        }
    }

    /// Up to 32 neurons: the same arithmetic as the general loop, branch-free, so that
    /// the compiler vectorises it. With `ALL` the whole update in plain 64-bit sums,
    /// which are exact here: a leak is below 2^47 and each input (a 32-bit
    /// accumulator shifted by at most 24) below 2^56; `dither` gives each neuron's
    /// rounding addend, in neuron order. Without, the second pass of the 32-bit sums
    /// ([`Plain::fits_32`]), whose first ([`Plain::first_pass`]) left leak and input in
    /// the membranes: the reset, the bound, the refractory count and the threshold
    /// (`dither` unused). With `LEARN` it also writes each neuron's pseudo-derivative
    /// (LIF: its threshold is `A`; zero while refractory), as the general loop does.
    /// Returns the new spikes.
    // On a microcontroller a function of its own, so that its loops keep their
    // values in registers rather than sharing them with the rest of the step.
    #[cfg_attr(target_arch = "x86_64", inline(always))]
    #[cfg_attr(not(target_arch = "x86_64"), inline(never))]
    fn block<const ALL: bool, const LEARN: bool>(
        &self,
        b: Block<'_>,
        (psi, gain): Psis<'_>,
        mut dither: impl FnMut() -> i64,
    ) -> u32 {
        let mut new = 0u32;
        let mut psi = psi.iter_mut().zip(gain);
        let (lo, hi) = (self.lo as i32, self.hi as i32);
        let cells =
            b.v.iter_mut()
                .zip(b.thr)
                .zip(b.refr.iter_mut())
                .zip(b.ain.iter().zip(b.arec))
                .zip(b.alpha);
        for (k, ((((v, &thr), refr), (&ain, &arec)), &alpha)) in cells.enumerate() {
            let k = k as u32 & 31;
            let z_old = (b.old >> k) & 1 == 1;
            let nv = if !ALL {
                let reset = if z_old { thr } else { 0 };
                v.wrapping_sub(reset).limit(lo, hi)
            } else {
                let leak = leak(*v, alpha, dither());
                let input = self.s_in.apply(ain).wrapping_add(self.s_rec.apply(arec));
                let reset = if z_old { i64::from(thr) } else { 0 };
                leak.wrapping_add(input)
                    .wrapping_sub(reset)
                    .limit(self.lo, self.hi) as i32
            };
            *v = nv;
            let refractory = *refr > 0;
            if LEARN {
                if let Some((p, &gain)) = psi.next() {
                    *p = if refractory {
                        0
                    } else {
                        let d =
                            pseudo_derivative(nv, i64::from(thr), thr, gain, self.mf, self.levels);
                        u32::from(d.to_bits())
                    };
                }
            }
            let fire = !refractory && nv > thr;
            *refr = if fire {
                self.n_ref
            } else if refractory {
                refr.wrapping_sub(1)
            } else {
                *refr
            };
            new |= u32::from(fire) << k;
        }
        new
    }
}

/// How [`settle`] bounds a membrane.
trait Bound: Copy {
    fn bound(self, v: i32) -> i32;
}

/// Any bounds `lo..=hi`.
#[derive(Clone, Copy)]
struct Range(i32, i32);

impl Bound for Range {
    #[inline(always)]
    fn bound(self, v: i32) -> i32 {
        v.limit(self.0, self.1)
    }
}

/// The bounds `[-2^M, 2^M - 1]` of a two's-complement format: one saturate
/// instruction on the M4 (`SSAT`).
#[derive(Clone, Copy)]
struct Twos<const M: u32>;

impl<const M: u32> Bound for Twos<M> {
    #[inline(always)]
    fn bound(self, v: i32) -> i32 {
        let hi = 1i32.wrapping_shl(M).wrapping_sub(1);
        v.limit(!hi, hi)
    }
}

/// Each block of `blocks` (word `k` of the spike vector `z`'s neurons, in order)
/// through `f`, with the block's previous spikes, word `k` of `z`; `f`'s new spikes
/// replace them. Returns the count of new spikes.
#[cfg_attr(target_arch = "x86_64", inline(always))]
fn each_word<T>(
    z: &mut crate::memory::Bits,
    blocks: impl Iterator<Item = T>,
    mut f: impl FnMut(T, u32) -> u32,
) -> u32 {
    let mut z = crate::words::WordsMut::new(z);
    let mut spikes = 0u32;
    for (k, block) in blocks.enumerate() {
        let w = f(block, z.get(k));
        z.set(k, w);
        spikes = spikes.saturating_add(w.count_ones());
    }
    spikes
}

/// [`settle`] for the bounds `lo..=hi`: with a constant width (one `SSAT` on the
/// M4) where they are a two's-complement format of 8 to 16 bits (every shipped
/// example's membrane), else as they are (the general clamp: a loop compiled for
/// every width, unrolled, cost 7.5 KB of code).
fn settle_any(b: Block<'_>, lo: i32, hi: i32, n_ref: i32) -> u32 {
    macro_rules! widths {
        ($($m:literal)*) => {
            match twos_width(lo.into(), hi.into()) {
                $(Some($m) => settle(b, Twos::<$m>, n_ref),)*
                _ => settle(b, Range(lo, hi), n_ref),
            }
        };
    }
    widths!(7 8 9 10 11 12 13 14 15)
}

/// The second pass of the 32-bit sums on a microcontroller at inference
/// ([`Plain::blocks`]), a word of neurons whose membranes already hold leak and input
/// ([`Plain::first_pass`]): the same reset, bound, refractory count and threshold as
/// [`Plain::block`]'s second loop, with branches rather than selects, so that a quiet
/// neuron (most, most steps) runs none of the firing and refractory work. Returns
/// the new spikes.
#[inline(never)]
fn settle(b: Block<'_>, bound: impl Bound, n_ref: i32) -> u32 {
    let Block {
        v, thr, refr, old, ..
    } = b;
    // The reset of the last step's spikes first, one spike at a time (few neurons
    // fire in a step): the same wrapping subtraction before the bound.
    let mut old = old;
    while old != 0 {
        let k = old.trailing_zeros() as usize;
        old &= old.wrapping_sub(1);
        if let (Some(v), Some(&thr)) = (v.get_mut(k), thr.get(k)) {
            *v = v.wrapping_sub(thr);
        }
    }
    let n = v.len().min(thr.len()).min(refr.len());
    let (Some(v), Some(thr), Some(refr)) = (v.get_mut(..n), thr.get(..n), refr.get_mut(..n)) else {
        return 0;
    };
    let (mut new, mut bit) = (0u32, 1u32);
    let mut cell = |v: &mut i32, thr: i32, refr: &mut i32| {
        let nv = bound.bound(*v);
        *v = nv;
        if *refr > 0 {
            *refr = refr.wrapping_sub(1);
        } else if nv > thr {
            *refr = n_ref;
            new |= bit;
        }
        bit = bit.wrapping_shl(1);
    };
    // Four neurons a loop turn (a microcontroller's loops are not unrolled), then
    // the rest one at a time.
    let (mut v4, mut t4, mut r4) = (
        v.chunks_exact_mut(4),
        thr.chunks_exact(4),
        refr.chunks_exact_mut(4),
    );
    for ((v, t), r) in (&mut v4).zip(&mut t4).zip(&mut r4) {
        for ((v, &thr), refr) in v.iter_mut().zip(t).zip(r.iter_mut()) {
            cell(v, thr, refr);
        }
    }
    let rest = v4.into_remainder().iter_mut().zip(t4.remainder());
    for ((v, &thr), refr) in rest.zip(r4.into_remainder().iter_mut()) {
        cell(v, thr, refr);
    }
    new
}

/// `v * alpha + dither`, shifted back by the decay's fraction: the leak of the block
/// path, in 64 bits (below 2^47: it cannot wrap).
#[cfg_attr(target_arch = "x86_64", inline(always))]
fn leak(v: i32, alpha: u32, dither: i64) -> i64 {
    i64::from(v)
        .wrapping_mul(i64::from(alpha as u16))
        .wrapping_add(dither)
        .wrapping_shr(DECAY_FRAC)
}

/// [`leak`] in 32 bits, for a membrane of at most 16 bits ([`Plain::short`]):
/// `|v alpha| <= 2^15 (2^16 - 1) < 2^31` and the addend is below `2^15`, so the sum
/// fits and its floor shift is the 64-bit one.
#[cfg_attr(target_arch = "x86_64", inline(always))]
fn leak32(v: i32, alpha: u32, dither: i64) -> i32 {
    v.wrapping_mul(i32::from(alpha as u16))
        .wrapping_add(dither as i32)
        .wrapping_shr(DECAY_FRAC)
}

/// `shift_round(x, s)` for a 32-bit accumulator and a layer shift `s` in `-24..=24`,
/// set up once per step: a left shift (below 2^55, so it cannot saturate) or a
/// rounded right shift, without the saturating multiply that keeps the general form
/// from vectorising. The right shift is done in 32 bits (an accumulator is below 2^27
/// in magnitude, see [`crate::synapse`], so adding the rounding half cannot wrap) and
/// the left shift is a widening multiply by `2^s`: on a 32-bit core one `smull`
/// rather than three 64-bit shifts.
#[derive(Clone, Copy)]
struct Scale {
    half: i32,
    right: u32,
    left: u32,
    mul: i32,
}

impl Scale {
    // Not inlined on a microcontroller: the compiler would see that `mul` is `2^s` and
    // turn the one-instruction widening multiply back into 64-bit shifts.
    #[cfg_attr(not(target_arch = "x86_64"), inline(never))]
    fn new(s: i32) -> Self {
        let right = s.clamp(-24, 0).unsigned_abs();
        let left = s.clamp(0, 24) as u32;
        Self {
            half: 1i32.wrapping_shl(right) >> 1,
            right,
            left,
            mul: 1i32.wrapping_shl(left),
        }
    }

    /// The rounded right shift, in 32 bits (it cannot wrap: see above).
    #[cfg_attr(target_arch = "x86_64", inline(always))]
    fn right(self, x: i32) -> i32 {
        x.wrapping_add(self.half).wrapping_shr(self.right)
    }

    /// [`Scale::apply`] in 32 bits, when the result fits ([`Plain::fits_32`]).
    #[cfg_attr(target_arch = "x86_64", inline(always))]
    fn apply32(self, x: i32) -> i32 {
        if cfg!(target_arch = "x86_64") {
            self.right(x).wrapping_shl(self.left)
        } else {
            self.right(x).wrapping_mul(self.mul)
        }
    }

    /// `shift_round(x, s)`.
    #[cfg_attr(target_arch = "x86_64", inline(always))]
    fn apply(self, x: i32) -> i64 {
        i64::from(self.right(x)).wrapping_mul(i64::from(self.mul))
    }
}

/// Words of the largest spike vector.
const WORDS: usize = (crate::config::HARD_MAX_UNITS as usize).div_ceil(32);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// [`Plain::fits_32`] as first written, in saturating arithmetic.
    fn fits_32_saturating(p: &Plain, n_in: usize, spikes: u64) -> bool {
        let m =
            p.lo.unsigned_abs()
                .max(p.hi.unsigned_abs())
                .saturating_add(1);
        let term = |events: u64, s: Scale| {
            events
                .saturating_mul(1 << 15)
                .saturating_add(1)
                .saturating_mul(1 << s.left)
        };
        let bound = m
            .saturating_mul(2)
            .saturating_add(1)
            .saturating_add(term(n_in as u64, p.s_in))
            .saturating_add(term(spikes, p.s_rec))
            .saturating_add(m);
        bound < 1 << 31 && p.lo >= i64::from(i32::MIN) && p.hi <= i64::from(i32::MAX)
    }

    proptest! {
        /// The microcontroller's block path ([`settle_any`] for the second pass of
        /// the 32-bit sums) is the host's ([`Plain::block`]'s select loop): the same
        /// membranes, refractory counts, spikes and draws, for any number of neurons
        /// (a partial last word too), either rounding, membranes of 10 to 24 bits
        /// (constant saturates to 16, the general clamp above) and layer shifts
        /// either way (every width of sums, 64-bit too).
        #[test]
        fn settle_is_the_select_loop(
            n_rec in 1usize..=100,
            seed in any::<u64>(),
            stochastic in any::<bool>(),
            s in (-3i32..=3, -3i32..=3),
            bits in 10u32..=24,
        ) {
            let cfg = crate::ConfigBuilder::new(8, n_rec, 2).build().unwrap();
            let l = cfg.layout();
            let (mut a, mut b, mut c) = l.zeroed_arenas();
            let mem = Memory::carve(&l, &mut a, &mut b, &mut c).unwrap();
            let hi = (1i32 << (bits - 1)) - 1;
            let mut x = seed | 1;
            let mut next = |m: u32| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 20) as u32 % m
            };
            for j in 0..n_rec {
                mem.v[j] = next(2 * hi as u32) as i32 - hi;
                mem.thr[j] = 1 + next(hi as u32) as i32;
                mem.refr[j] = next(4) as i32;
                mem.acc_in[j] = next(512) as i32 - 256;
                mem.acc_rec[j] = next(512) as i32 - 256;
                mem.alpha[j] = next(32769);
                mem.z.set(j, next(4) == 0);
            }
            let p = Plain {
                lo: i64::from(!hi),
                hi: i64::from(hi),
                s_in: Scale::new(s.0),
                s_rec: Scale::new(s.1),
                n_ref: 3,
                mf: 0,
                levels: 0,
            };
            let rounding = if stochastic {
                crate::round::Rounding::Stochastic
            } else {
                crate::round::Rounding::Nearest
            };
            let (mut a2, mut b2, mut c2) = (a.clone(), b.clone(), c.clone());
            let mut mem = Memory::carve(&l, &mut a, &mut b, &mut c).unwrap();
            let mut mem2 = Memory::carve(&l, &mut a2, &mut b2, &mut c2).unwrap();
            let (mut r1, mut r2) = (Prng::new(seed), Prng::new(seed));
            let want = p.blocks::<false>(&mut mem, n_rec, rounding, false, &mut r1);
            let got = p.blocks::<true>(&mut mem2, n_rec, rounding, false, &mut r2);
            prop_assert_eq!(got, want);
            prop_assert_eq!(r1, r2);
            prop_assert_eq!((a, b, c), (a2, b2, c2));
        }

        /// The capped bound is the saturating one, for every membrane range, layer
        /// shift and event count, near the edge (small counts) and far past it.
        #[test]
        fn fits_32_is_the_saturating_bound(
            m in prop_oneof![0u32..=40, Just(63)],
            s in (-24i32..=24, -24i32..=24),
            n_in in prop_oneof![0usize..=70_000, Just(usize::MAX)],
            spikes in prop_oneof![0u64..=70_000, 0u64..=1 << 40, Just(u64::MAX)],
            lo_off in 0i64..=2,
        ) {
            let hi = i64::MAX >> (63 - m);
            let p = Plain {
                lo: (-hi).saturating_sub(lo_off),
                hi,
                s_in: Scale::new(s.0),
                s_rec: Scale::new(s.1),
                n_ref: 0,
                mf: 0,
                levels: 0,
            };
            prop_assert_eq!(p.fits_32(n_in, spikes), fits_32_saturating(&p, n_in, spikes));
        }

        /// The 32-bit leak of a membrane of at most 16 bits is the 64-bit one, for
        /// every decay and every addend of a rounding (below 2^15).
        #[test]
        fn leak32_is_the_leak(v in -(1i32 << 15)..(1 << 15), alpha in any::<u16>(), d in 0i64..1 << 15) {
            prop_assert_eq!(leak32(v, u32::from(alpha), d), leak(v, u32::from(alpha), d) as i32);
        }

        /// The microcontroller's second pass ([`settle_any`], with the saturate of a
        /// two's-complement width or any bounds) is the block's second loop: the
        /// reset by the threshold after a spike, the bound, one step of the
        /// refractory count, and a spike above threshold unless refractory.
        #[test]
        fn settle_is_the_second_pass(
            cells in prop::collection::vec((any::<i32>(), any::<i32>(), -3i32..6), 0..=32),
            old in any::<u32>(),
            bits in 8u32..=31,
            twos in any::<bool>(),
            n_ref in 0i32..=255,
        ) {
            let m = bits - 1;
            let (lo, hi) = if twos {
                (-(1i64 << m) as i32, ((1i64 << m) - 1) as i32)
            } else {
                (-(1i32 << (m / 2)) + 3, (1i32 << (m / 2)) - 5)
            };
            let mut v: Vec<i32> = cells.iter().map(|c| c.0).collect();
            let thr: Vec<i32> = cells.iter().map(|c| c.1 >> 1).collect();
            let mut refr: Vec<i32> = cells.iter().map(|c| c.2).collect();
            let (mut want_v, mut want_r, mut want) = (v.clone(), refr.clone(), 0u32);
            for k in 0..v.len() {
                let reset = if (old >> k) & 1 == 1 { thr[k] } else { 0 };
                want_v[k] = v[k].wrapping_sub(reset).clamp(lo, hi);
                if want_r[k] > 0 {
                    want_r[k] -= 1;
                } else if want_v[k] > thr[k] {
                    want_r[k] = n_ref;
                    want |= 1 << k;
                }
            }
            let b = Block::settling(&mut v, &thr, &mut refr, old);
            prop_assert_eq!(settle_any(b, lo, hi, n_ref), want);
            prop_assert_eq!(v, want_v);
            prop_assert_eq!(refr, want_r);
        }
    }
}
