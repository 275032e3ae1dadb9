//! The chip's memories, in storage the caller provides.
//!
//! A chip keeps three kinds of SRAM word, and so does this model:
//!
//! * `i16` words: synaptic weights (input, recurrent, readout), one per synapse;
//! * `i32` words: signed neuron state and parameters (membrane, threshold, adaptation
//!   strength, readout state and bias, refractory counters) and the per-step
//!   accumulators;
//! * `u32` words: unsigned state and parameters (decay factors, adaptation variable)
//!   and bit vectors (spikes, connectivity masks, excitatory flags).
//!
//! [`Layout`] gives the length of every region for a configuration; [`Memory::carve`]
//! cuts the regions out of three caller-provided slices. The host passes vectors,
//! firmware passes statics ([`MemoryBuffers`]). Weight matrices are stored row per
//! presynaptic unit (`w[pre * n_post + post]`), so one incoming event reads one
//! contiguous row: the layout of an event-driven synapse SRAM.

use bitvec::order::Lsb0;
use bitvec::slice::BitSlice;

use crate::config::ChipConfig;
use crate::format::DECAY_FRAC;
use crate::learning::{Apply, Engine, Feedback};

/// Bit vector type of the chip (spikes, masks, flags).
pub type Bits = BitSlice<u32, Lsb0>;

/// Number of `u32` words holding `n` bits.
pub const fn words_for(n: usize) -> usize {
    n.div_ceil(32)
}

/// Region lengths for one configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Layout {
    /// Input channels.
    pub n_in: usize,
    /// Recurrent neurons.
    pub n_rec: usize,
    /// Readout neurons.
    pub n_out: usize,
    /// Learning engine (decides which learning memories exist).
    pub engine: Engine,
    /// When updates are applied ([`Apply::Online`] without learning): which per-sample
    /// update accumulators exist.
    pub apply: Apply,
    /// Random feedback weights exist.
    pub random_feedback: bool,
    /// Per-synapse adaptation eligibility (`eps_a`) exists (learning on, ALIF).
    pub alif: bool,
    /// Membrane-decay classes `C` of the learning circuits ([`crate::classes`]): `C`
    /// banks of presynaptic traces. 1 without learning.
    pub trace_classes: usize,
    /// Readout-decay classes `K`: `K` banks of readout traces, and with the exact
    /// engine of learning signals and filtered eligibilities. 1 without learning.
    pub readout_classes: usize,
}

impl Layout {
    /// Zeroed word arenas (16-bit, 32-bit, unsigned) of this layout's sizes, for
    /// [`Memory::carve`] in the crate's tests.
    #[cfg(test)]
    pub(crate) fn zeroed_arenas(&self) -> (Vec<i16>, Vec<i32>, Vec<u32>) {
        (
            vec![0; self.words16()],
            vec![0; self.words32()],
            vec![0; self.wordsu()],
        )
    }

    /// The layout of an inference-only network of the given sizes.
    pub const fn new(n_in: usize, n_rec: usize, n_out: usize) -> Self {
        Self {
            n_in,
            n_rec,
            n_out,
            engine: Engine::Off,
            apply: Apply::Online,
            random_feedback: false,
            alif: false,
            trace_classes: 1,
            readout_classes: 1,
        }
    }

    /// The same layout with `trace` membrane-decay and `readout` readout-decay classes
    /// (each at least 1; both 1 without learning). Call after
    /// [`Layout::with_learning`].
    pub const fn with_classes(mut self, trace: usize, readout: usize) -> Self {
        let on = self.learning();
        self.trace_classes = if on && trace > 1 { trace } else { 1 };
        self.readout_classes = if on && readout > 1 { readout } else { 1 };
        self
    }

    /// The same sizes with the learning memories of `engine`.
    pub const fn with_learning(
        mut self,
        engine: Engine,
        apply: Apply,
        feedback: Feedback,
        alif: bool,
    ) -> Self {
        let on = !matches!(engine, Engine::Off);
        self.engine = engine;
        self.apply = if on { apply } else { Apply::Online };
        self.random_feedback = on && matches!(feedback, Feedback::Random);
        self.alif = on && alif;
        self
    }

    const fn learning(&self) -> bool {
        !matches!(self.engine, Engine::Off)
    }

    /// Input and recurrent synapses when the exact engine is on, else `(0, 0)`.
    const fn exact_synapses(&self) -> (usize, usize) {
        if matches!(self.engine, Engine::Exact) {
            let (a, b, _) = self.synapses();
            (a, b)
        } else {
            (0, 0)
        }
    }

    /// Per-synapse `ebar` words (exact engine), one bank per readout-decay class:
    /// `(input, recurrent)`.
    pub const fn ebar_words(&self) -> (usize, usize) {
        let (a, b) = self.exact_synapses();
        let k = self.readout_classes;
        (a.saturating_mul(k), b.saturating_mul(k))
    }

    /// Per-synapse `eps_a` words, with ALIF neurons and either engine: `(input,
    /// recurrent)`.
    pub const fn eps_words(&self) -> (usize, usize) {
        if self.alif {
            let (a, b, _) = self.synapses();
            (a, b)
        } else {
            (0, 0)
        }
    }

    /// Learning-signal words `l`: one per neuron, times the readout-decay classes with
    /// the exact engine (one `L_q` per class); 0 without learning.
    pub const fn signal_words(&self) -> usize {
        if matches!(self.engine, Engine::Exact) {
            self.n_rec.saturating_mul(self.readout_classes)
        } else {
            self.nl()
        }
    }

    /// Words of the learning circuits' class-sized regions of the `u32` arena:
    /// `(xbar, zbar, zk, tclass, kclass)` (`C` input and neuron trace banks, `K`
    /// readout trace banks of `n_rec + 1` words, a class index per neuron when
    /// `C > 1` and per readout when `K > 1`); all 0 without learning.
    pub const fn class_words(&self) -> (usize, usize, usize, usize, usize) {
        if !self.learning() {
            return (0, 0, 0, 0, 0);
        }
        let (c, k) = (self.trace_classes, self.readout_classes);
        (
            self.n_in.saturating_mul(c),
            self.n_rec.saturating_mul(c),
            self.n_rec.saturating_add(1).saturating_mul(k),
            if c > 1 { self.n_rec } else { 0 },
            if k > 1 { self.n_out } else { 0 },
        )
    }

    /// Per-synapse update accumulators: `(input, recurrent, output)`.
    pub const fn grad_words(&self) -> (usize, usize, usize) {
        let (i, r, o) = self.synapses();
        match self.apply {
            Apply::Online => (0, 0, 0),
            Apply::Sample => (i, r, o),
            Apply::Readout => (0, 0, o),
        }
    }

    /// Per-readout bias update accumulators.
    const fn bias_grad_words(&self) -> usize {
        if self.apply.readout_per_sample() {
            self.n_out
        } else {
            0
        }
    }

    /// Neuron-sized learning vectors (`n` when learning, else 0).
    const fn nl(&self) -> usize {
        if self.learning() {
            self.n_rec
        } else {
            0
        }
    }

    /// Synapses per weight matrix: `(input, recurrent, output)`.
    pub const fn synapses(&self) -> (usize, usize, usize) {
        (
            self.n_in.saturating_mul(self.n_rec),
            self.n_rec.saturating_mul(self.n_rec),
            self.n_rec.saturating_mul(self.n_out),
        )
    }

    /// `i16` words needed (weights, random feedback).
    pub const fn words16(&self) -> usize {
        let (a, b, c) = self.synapses();
        let fb = if self.random_feedback { c } else { 0 };
        a.saturating_add(b).saturating_add(c).saturating_add(fb)
    }

    /// `i32` words needed.
    pub const fn words32(&self) -> usize {
        // v, thr, beta, refr, acc_in, acc_rec per neuron; y, bias, acc_out per readout.
        let base = self
            .n_rec
            .saturating_mul(I32_PER_NEURON)
            .saturating_add(self.n_out.saturating_mul(I32_PER_READOUT));
        let (ei, er) = self.ebar_words();
        let (pi, pr) = self.eps_words();
        let (gi, gr, go) = self.grad_words();
        let gb = self.bias_grad_words();
        // L per neuron (and readout class), err per readout.
        let sig = if self.learning() {
            self.signal_words().saturating_add(self.n_out)
        } else {
            0
        };
        base.saturating_add(ei)
            .saturating_add(er)
            .saturating_add(pi)
            .saturating_add(pr)
            .saturating_add(gi)
            .saturating_add(gr)
            .saturating_add(go)
            .saturating_add(gb)
            .saturating_add(sig)
    }

    /// `u32` words needed.
    pub const fn wordsu(&self) -> usize {
        let (a, b, c) = self.synapses();
        let bits = words_for(self.n_rec)
            .saturating_mul(BIT_VECTORS_PER_NEURON)
            .saturating_add(words_for(a))
            .saturating_add(words_for(b))
            .saturating_add(words_for(c));
        // xbar per input; zbar, zk, psi, psi_gain, rbar per neuron when learning, and
        // one more zk word for the always-on bias unit; the traces once per class, and
        // the class indices.
        let (xb, zb, zk, tc, kc) = self.class_words();
        let learn = if self.learning() {
            self.n_rec
                .saturating_mul(3)
                .saturating_add(xb)
                .saturating_add(zb)
                .saturating_add(zk)
                .saturating_add(tc)
                .saturating_add(kc)
        } else {
            0
        };
        self.n_rec
            .saturating_mul(U32_PER_NEURON)
            .saturating_add(self.n_out.saturating_mul(U32_PER_READOUT))
            .saturating_add(bits)
            .saturating_add(learn)
    }

    /// Where the bit vectors lie in the `u32` arena, in [`Memory::carve`]'s order: the
    /// word index of the first (after the decays and `b`), then each vector's name and
    /// length in bits (`z`, `exc`, `mask_in`, `mask_rec`, `mask_out`), each taking
    /// [`words_for`] its bits.
    pub const fn bit_vectors(&self) -> (usize, [(&'static str, usize); 5]) {
        let (a, b, c) = self.synapses();
        let start = self
            .n_rec
            .saturating_mul(U32_PER_NEURON)
            .saturating_add(self.n_out.saturating_mul(U32_PER_READOUT));
        (
            start,
            [
                ("z", self.n_rec),
                ("exc", self.n_rec),
                ("mask_in", a),
                ("mask_rec", b),
                ("mask_out", c),
            ],
        )
    }

    /// Total bytes of chip memory.
    pub const fn bytes(&self) -> usize {
        self.words16()
            .saturating_mul(2)
            .saturating_add(self.words32().saturating_mul(4))
            .saturating_add(self.wordsu().saturating_mul(4))
    }
}

const I32_PER_NEURON: usize = 6;
const I32_PER_READOUT: usize = 3;
const U32_PER_NEURON: usize = 3;
const U32_PER_READOUT: usize = 1;
const BIT_VECTORS_PER_NEURON: usize = 2;

/// Storage too small for a layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{arena} memory too small: the network needs {needed} words, {given} given")]
pub struct MemoryError {
    /// Which arena (`"i16"`, `"i32"` or `"u32"`).
    pub arena: &'static str,
    /// Words needed.
    pub needed: usize,
    /// Words given.
    pub given: usize,
}

/// Every region of chip memory, as views into caller storage.
#[derive(Debug)]
pub struct Memory<'a> {
    /// The layout the regions were cut for.
    pub layout: Layout,
    /// Input weights, `w_in[i * n_rec + j]`, weight format.
    pub w_in: &'a mut [i16],
    /// Recurrent weights, `w_rec[i * n_rec + j]` from neuron `i` to `j`.
    pub w_rec: &'a mut [i16],
    /// Readout weights, `w_out[j * n_out + k]` from neuron `j` to readout `k`.
    pub w_out: &'a mut [i16],
    /// Membrane potentials, membrane format.
    pub v: &'a mut [i32],
    /// Base thresholds `v_th`, membrane format, per neuron (heterogeneity).
    pub thr: &'a mut [i32],
    /// Adaptation strengths `beta`, membrane format per unit of `b`; zero for LIF.
    /// Read only on a chip that declares ALIF neurons ([`crate::ChipConfig::alif`]).
    pub beta: &'a mut [i32],
    /// Refractory counters, steps left.
    pub refr: &'a mut [i32],
    /// Input current accumulator (scratch, cleared every step).
    pub acc_in: &'a mut [i32],
    /// Recurrent current accumulator (scratch, cleared every step).
    pub acc_rec: &'a mut [i32],
    /// Readout states, readout format.
    pub y: &'a mut [i32],
    /// Readout biases, readout format.
    pub bias: &'a mut [i32],
    /// Readout accumulator (scratch).
    pub acc_out: &'a mut [i32],
    /// Membrane decay `alpha`, Q1.15 raw, per neuron.
    pub alpha: &'a mut [u32],
    /// Adaptation decay `rho`, Q1.15 raw, per neuron.
    pub rho: &'a mut [u32],
    /// Adaptation variable `b`, Q16.16 raw, per neuron.
    pub b: &'a mut [u32],
    /// Readout decay `kappa`, Q1.15 raw, per readout.
    pub kappa: &'a mut [u32],
    /// Spikes of the last step, one bit per neuron.
    pub z: &'a mut Bits,
    /// Excitatory flags (Dale's law): bit set = the neuron's outgoing recurrent and
    /// readout weights are kept >= 0; clear = kept <= 0 when Dale's law is on.
    pub exc: &'a mut Bits,
    /// Input connectivity, same indexing as `w_in`.
    pub mask_in: &'a mut Bits,
    /// Recurrent connectivity, same indexing as `w_rec`.
    pub mask_rec: &'a mut Bits,
    /// Readout connectivity, same indexing as `w_out`.
    pub mask_out: &'a mut Bits,
    /// Random feedback weights `B[j * n_out + k]` (weight format, readout shift);
    /// empty unless random feedback.
    pub b_fb: &'a mut [i16],
    /// Presynaptic traces of the inputs, trace format (learning only), one bank of
    /// `n_in` words per membrane-decay class: `xbar[c * n_in + i]`.
    pub xbar: &'a mut [u32],
    /// Presynaptic traces of the neurons, trace format (learning only), one bank of
    /// `n_rec` words per membrane-decay class: `zbar[c * n_rec + i]`.
    pub zbar: &'a mut [u32],
    /// Neuron spikes filtered with the readout decay `kappa`, trace format: the
    /// readout's eligibility (learning only). One more word at the end is the same
    /// trace of an always-on unit: the eligibility of the readout biases. One bank of
    /// `n_rec + 1` words per readout-decay class: `zk[q * (n_rec + 1) + j]`.
    pub zk: &'a mut [u32],
    /// Pseudo-derivatives of the last step, Q4.12 (learning only).
    pub psi: &'a mut [u32],
    /// Per-neuron pseudo-derivative gain `gamma / v_th^2`, Q16.16 (learning only).
    pub psi_gain: &'a mut [u32],
    /// Firing-rate estimates, Q16.16 (learning only).
    pub rbar: &'a mut [u32],
    /// Learning signals of the last learning step (learning only); with the exact
    /// engine one bank of `n_rec` words per readout-decay class, `l[q * n_rec + j]` =
    /// `L_qj`.
    pub l: &'a mut [i32],
    /// Output errors of the last learning step (learning only).
    pub err: &'a mut [i32],
    /// Filtered eligibility traces of input synapses, eligibility format (exact), one
    /// bank per readout-decay class: `ebar_in[q * n_in * n_rec + i * n_rec + j]`.
    pub ebar_in: &'a mut [i32],
    /// Filtered eligibility traces of recurrent synapses (exact), one bank per
    /// readout-decay class.
    pub ebar_rec: &'a mut [i32],
    /// Adaptation eligibility of input synapses (exact, ALIF).
    pub eps_in: &'a mut [i32],
    /// Adaptation eligibility of recurrent synapses (exact, ALIF).
    pub eps_rec: &'a mut [i32],
    /// Update accumulators, weight LSB with 16 more fractional bits (sample mode).
    pub g_in: &'a mut [i32],
    /// Update accumulators of recurrent weights (sample mode).
    pub g_rec: &'a mut [i32],
    /// Update accumulators of readout weights (sample mode).
    pub g_out: &'a mut [i32],
    /// Update accumulators of readout biases (sample mode).
    pub g_bias: &'a mut [i32],
    /// Membrane-decay class of each neuron, `0..C` (learning with `C > 1` classes
    /// only; [`crate::classes`]).
    pub tclass: &'a mut [u32],
    /// Readout-decay class of each readout, `0..K` (learning with `K > 1` only).
    pub kclass: &'a mut [u32],
}

fn take<'a, T>(rest: &mut &'a mut [T], n: usize) -> &'a mut [T] {
    let all = core::mem::take(rest);
    let n = n.min(all.len());
    let (head, tail) = all.split_at_mut(n);
    *rest = tail;
    head
}

fn take_bits<'a>(rest: &mut &'a mut [u32], n: usize) -> &'a mut Bits {
    let words = take(rest, words_for(n));
    let bits = BitSlice::from_slice_mut(words);
    let n = n.min(bits.len());
    &mut bits[..n]
}

impl<'a> Memory<'a> {
    /// Cut the regions of `layout` out of three arenas, which must be at least
    /// [`Layout::words16`], [`Layout::words32`] and [`Layout::wordsu`] long. Extra
    /// words are left unused. Contents are kept as they are (the caller initialises
    /// them, or loads an image).
    pub fn carve(
        layout: &Layout,
        w16: &'a mut [i16],
        w32: &'a mut [i32],
        wu: &'a mut [u32],
    ) -> Result<Self, MemoryError> {
        check("i16", layout.words16(), w16.len())?;
        check("i32", layout.words32(), w32.len())?;
        check("u32", layout.wordsu(), wu.len())?;
        let (s_in, s_rec, s_out) = layout.synapses();
        let (n, o) = (layout.n_rec, layout.n_out);
        let nl = layout.nl();
        let ol = if layout.learning() { o } else { 0 };
        let (xb, zb, zk, tc, kc) = layout.class_words();
        let (ei, er) = layout.ebar_words();
        let (pi, pr) = layout.eps_words();
        let (gi, gr, go) = layout.grad_words();
        let gb = layout.bias_grad_words();
        let fb = if layout.random_feedback { s_out } else { 0 };
        let mut r16 = w16;
        let mut r32 = w32;
        let mut ru = wu;
        Ok(Self {
            layout: *layout,
            w_in: take(&mut r16, s_in),
            w_rec: take(&mut r16, s_rec),
            w_out: take(&mut r16, s_out),
            v: take(&mut r32, n),
            thr: take(&mut r32, n),
            beta: take(&mut r32, n),
            refr: take(&mut r32, n),
            acc_in: take(&mut r32, n),
            acc_rec: take(&mut r32, n),
            y: take(&mut r32, o),
            bias: take(&mut r32, o),
            acc_out: take(&mut r32, o),
            alpha: take(&mut ru, n),
            rho: take(&mut ru, n),
            b: take(&mut ru, n),
            kappa: take(&mut ru, o),
            z: take_bits(&mut ru, n),
            exc: take_bits(&mut ru, n),
            mask_in: take_bits(&mut ru, s_in),
            mask_rec: take_bits(&mut ru, s_rec),
            mask_out: take_bits(&mut ru, s_out),
            b_fb: take(&mut r16, fb),
            xbar: take(&mut ru, xb),
            zbar: take(&mut ru, zb),
            zk: take(&mut ru, zk),
            psi: take(&mut ru, nl),
            psi_gain: take(&mut ru, nl),
            rbar: take(&mut ru, nl),
            l: take(&mut r32, layout.signal_words()),
            err: take(&mut r32, ol),
            ebar_in: take(&mut r32, ei),
            ebar_rec: take(&mut r32, er),
            eps_in: take(&mut r32, pi),
            eps_rec: take(&mut r32, pr),
            g_in: take(&mut r32, gi),
            g_rec: take(&mut r32, gr),
            g_out: take(&mut r32, go),
            g_bias: take(&mut r32, gb),
            tclass: take(&mut ru, tc),
            kclass: take(&mut ru, kc),
        })
    }

    /// Zero the dynamic state (membranes, adaptation, refractory counters, spikes,
    /// readouts), keeping weights and parameters: the state at the start of a sample.
    pub fn reset_state(&mut self) {
        self.z.fill(false);
        for s in [&mut *self.b, self.xbar, self.zbar, self.zk, self.psi] {
            s.fill(0);
        }
        for s in [&mut *self.v, self.refr, self.y, self.l, self.err] {
            s.fill(0);
        }
        for s in [&mut *self.ebar_in, self.ebar_rec, self.eps_in, self.eps_rec] {
            s.fill(0);
        }
    }

    /// Zero the per-sample update accumulators.
    pub fn clear_updates(&mut self) {
        for s in [&mut *self.g_in, self.g_rec, self.g_out, self.g_bias] {
            s.fill(0);
        }
    }

    /// Fill parameters with simple defaults: every neuron LIF with `alpha = 0.95`,
    /// threshold 1.0 in the membrane format of `cfg`, excitatory, fully connected,
    /// `kappa = 0.95`, zero weights and biases. Mostly for tests and examples; real
    /// networks are built on the host from a configuration file.
    pub fn init_default_params(&mut self, cfg: &ChipConfig) {
        let a = (0.95 * f64::from(1u32 << DECAY_FRAC)) as u32;
        self.alpha.fill(a);
        self.rho.fill(a);
        self.kappa.fill(a);
        let one = 1i32 << cfg.formats().membrane.frac().min(30);
        self.thr.fill(one);
        self.beta.fill(0);
        self.bias.fill(0);
        for w in [&mut *self.w_in, self.w_rec, self.w_out] {
            w.fill(0);
        }
        for bits in [&mut *self.exc, self.mask_in, self.mask_rec, self.mask_out] {
            bits.fill(true);
        }
        self.reset_state();
    }
}

fn check(arena: &'static str, needed: usize, given: usize) -> Result<(), MemoryError> {
    if given < needed {
        Err(MemoryError {
            arena,
            needed,
            given,
        })
    } else {
        Ok(())
    }
}

/// Fixed-size arenas for targets without an allocator (statics on firmware, or the
/// stack for small chips): `A` `i16` words, `B` `i32` words, `C` `u32` words.
#[derive(Debug)]
pub struct MemoryBuffers<const A: usize, const B: usize, const C: usize> {
    w16: [i16; A],
    w32: [i32; B],
    wu: [u32; C],
}

impl<const A: usize, const B: usize, const C: usize> MemoryBuffers<A, B, C> {
    /// Zeroed arenas.
    pub const fn new() -> Self {
        Self {
            w16: [0; A],
            w32: [0; B],
            wu: [0; C],
        }
    }

    /// Carve a [`Memory`] for `layout` out of these arenas.
    pub fn carve(&mut self, layout: &Layout) -> Result<Memory<'_>, MemoryError> {
        Memory::carve(layout, &mut self.w16, &mut self.w32, &mut self.wu)
    }
}

impl<const A: usize, const B: usize, const C: usize> Default for MemoryBuffers<A, B, C> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::learning::{Apply, Engine, Feedback};

    /// With one decay class of each kind (the default) every region has the length it
    /// had before classes existed (`crate::classes`): the arenas' sizes by the formulas
    /// of that layout, the traces, signals and eligibilities once, no class indices.
    #[test]
    fn one_class_layout_is_the_layout_before_classes() {
        let engines = [Engine::Off, Engine::Exact, Engine::Light];
        let applies = [Apply::Online, Apply::Sample, Apply::Readout];
        let feedbacks = [Feedback::Symmetric, Feedback::Random];
        for (ni, n, o) in [(1, 1, 1), (3, 37, 2), (40, 100, 2), (64, 256, 10)] {
            for engine in engines {
                for apply in applies {
                    for fb in feedbacks {
                        for alif in [false, true] {
                            let l = Layout::new(ni, n, o)
                                .with_learning(engine, apply, fb, alif)
                                .with_classes(1, 1);
                            let on = engine != Engine::Off;
                            let exact = engine == Engine::Exact;
                            let sample = on && apply == Apply::Sample;
                            let readout = on && apply == Apply::Readout;
                            let (si, sr, so) = (ni * n, n * n, n * o);
                            let fbw = if on && fb == Feedback::Random { so } else { 0 };
                            assert_eq!(l.words16(), si + sr + so + fbw);
                            let w32 = 6 * n
                                + 3 * o
                                + if exact { si + sr } else { 0 }
                                + if on && alif { si + sr } else { 0 }
                                + if sample { si + sr + so + o } else { 0 }
                                + if readout { so + o } else { 0 }
                                + if on { n + o } else { 0 };
                            assert_eq!(l.words32(), w32, "{ni} {n} {o} {engine:?} {apply:?}");
                            let wu = 3 * n
                                + o
                                + 2 * words_for(n)
                                + words_for(si)
                                + words_for(sr)
                                + words_for(so)
                                + if on { ni + 5 * n + 1 } else { 0 };
                            assert_eq!(l.wordsu(), wu, "{ni} {n} {o} {engine:?} {apply:?}");
                            let (mut a, mut b, mut c) = l.zeroed_arenas();
                            let mem = Memory::carve(&l, &mut a, &mut b, &mut c).unwrap();
                            let nl = if on { n } else { 0 };
                            assert_eq!(mem.xbar.len(), if on { ni } else { 0 });
                            assert_eq!(mem.zbar.len(), nl);
                            assert_eq!(mem.zk.len(), if on { n + 1 } else { 0 });
                            assert_eq!(mem.l.len(), nl);
                            assert_eq!(mem.ebar_rec.len(), if exact { sr } else { 0 });
                            assert!(mem.tclass.is_empty() && mem.kclass.is_empty());
                            // Classes ask for nothing without learning.
                            assert_eq!(l.with_classes(8, 8) == l, !on);
                        }
                    }
                }
            }
        }
    }

    /// [`Layout::bit_vectors`] says where [`Memory::carve`] puts each bit vector.
    #[test]
    fn bit_vectors_are_where_carve_puts_them() {
        let l = Layout::new(3, 37, 2).with_learning(
            Engine::Exact,
            Apply::Sample,
            Feedback::Random,
            true,
        );
        let (mut a, mut b, mut c) = l.zeroed_arenas();
        let (start, v) = l.bit_vectors();
        for (k, (name, bits)) in v.iter().enumerate() {
            c.fill(0);
            {
                let mem = Memory::carve(&l, &mut a, &mut b, &mut c).unwrap();
                let vectors = [mem.z, mem.exc, mem.mask_in, mem.mask_rec, mem.mask_out];
                let target = vectors.into_iter().nth(k).unwrap();
                assert_eq!(target.len(), *bits, "{name}");
                target.set(bits - 1, true);
            }
            let at = start + v[..k].iter().map(|(_, n)| words_for(*n)).sum::<usize>();
            let last = at + words_for(*bits) - 1;
            assert_eq!(c[last], 1 << ((bits - 1) % 32), "{name}");
        }
    }
}
