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
use core::fmt;

use crate::config::ChipConfig;
use crate::format::DECAY_FRAC;

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
}

impl Layout {
    /// The layout of a network of the given sizes.
    pub const fn new(n_in: usize, n_rec: usize, n_out: usize) -> Self {
        Self { n_in, n_rec, n_out }
    }

    /// Synapses per weight matrix: `(input, recurrent, output)`.
    pub const fn synapses(&self) -> (usize, usize, usize) {
        (
            self.n_in.saturating_mul(self.n_rec),
            self.n_rec.saturating_mul(self.n_rec),
            self.n_rec.saturating_mul(self.n_out),
        )
    }

    /// `i16` words needed (weights).
    pub const fn words16(&self) -> usize {
        let (a, b, c) = self.synapses();
        a.saturating_add(b).saturating_add(c)
    }

    /// `i32` words needed.
    pub const fn words32(&self) -> usize {
        // v, thr, beta, refr, acc_in, acc_rec per neuron; y, bias, acc_out per readout.
        self.n_rec
            .saturating_mul(I32_PER_NEURON)
            .saturating_add(self.n_out.saturating_mul(I32_PER_READOUT))
    }

    /// `u32` words needed.
    pub const fn wordsu(&self) -> usize {
        let (a, b, c) = self.synapses();
        let bits = words_for(self.n_rec)
            .saturating_mul(BIT_VECTORS_PER_NEURON)
            .saturating_add(words_for(a))
            .saturating_add(words_for(b))
            .saturating_add(words_for(c));
        self.n_rec
            .saturating_mul(U32_PER_NEURON)
            .saturating_add(self.n_out.saturating_mul(U32_PER_READOUT))
            .saturating_add(bits)
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
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryError {
    /// Which arena (`"i16"`, `"i32"` or `"u32"`).
    pub arena: &'static str,
    /// Words needed.
    pub needed: usize,
    /// Words given.
    pub given: usize,
}

impl fmt::Display for MemoryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} memory too small: the network needs {} words, {} given",
            self.arena, self.needed, self.given
        )
    }
}

impl core::error::Error for MemoryError {}

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
        })
    }

    /// Zero the dynamic state (membranes, adaptation, refractory counters, spikes,
    /// readouts), keeping weights and parameters: the state at the start of a sample.
    pub fn reset_state(&mut self) {
        self.v.fill(0);
        self.b.fill(0);
        self.refr.fill(0);
        self.y.fill(0);
        self.z.fill(false);
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
        self.w_in.fill(0);
        self.w_rec.fill(0);
        self.w_out.fill(0);
        self.exc.fill(true);
        self.mask_in.fill(true);
        self.mask_rec.fill(true);
        self.mask_out.fill(true);
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
