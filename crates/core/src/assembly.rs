//! An assembly area: excitatory LIF neurons with STDP on their afferent and recurrent
//! synapses and a k-cap for competition, in the spirit of the assembly calculus
//! (Papadimitriou, Vempala, Mitropolsky, Collins & Maass, PNAS 2020).
//!
//! The area has `n` neurons and `n_in` afferent inputs. Each step:
//!
//! 1. input traces advance with the input spikes `x[t]`;
//! 2. each neuron integrates `v = round(leak * v) + sum W_in x[t] + sum W_rec z[t-1]`
//!    (each sum in an `i64` accumulator, the recurrent one divided by `2^rec_shift`
//!    with nearest rounding, saturated once into the `i32` membrane);
//! 3. **k-cap** (global inhibition): an inhibition level `theta >= v_th` is raised
//!    until at most `k` membranes reach it (a bisection over the integer range, the
//!    way a global inhibitory loop settles); ties at the last level are broken by a
//!    scan that starts at a PRNG-drawn neuron, so exactly `k` fire when `k` neurons
//!    are above `v_th`. Spiking neurons reset to 0;
//! 4. STDP ([`crate::stdp`]) on every present afferent and recurrent synapse, if
//!    plasticity is on: potentiation on the postsynaptic spike by the presynaptic
//!    trace (which holds the spikes that could have caused it: `x` up to `t`, `z` up
//!    to `t-1`), depression on the presynaptic spike by the postsynaptic trace (up to
//!    `t-1`);
//! 5. the area's pre and post traces advance with `z[t]`.
//!
//! Weights are excitatory, `0..=w_max`; a negative word ([`ABSENT`]) is no synapse
//! (sparse random connectivity, drawn by [`Area::wire`] from the chip PRNG, no
//! self-synapses). State lives in slices the caller provides ([`AreaMemory`]); the
//! area keeps only its configuration, PRNG, step count and digest.

use crate::digest::Digest;
use crate::format::Limit;
use crate::prng::Prng;
use crate::round::Rounding;
use crate::stdp::{StdpParams, Trace, Weight, ABSENT};

/// Largest area (neurons and inputs): the bisection and the digest use `u32` counts.
pub const MAX_NEURONS: usize = 4096;

/// Configuration of an area.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AreaConfig {
    /// Neurons in the area (`1..=MAX_NEURONS`).
    pub n: usize,
    /// Afferent inputs (`1..=MAX_NEURONS`).
    pub n_in: usize,
    /// Cap: at most `k` neurons fire per step (`1..=n`).
    pub k: usize,
    /// Membrane decay per step, Q1.15 (`0` is the memoryless assembly calculus).
    pub leak: u16,
    /// Lowest inhibition level: a neuron below it never fires (weight units).
    pub v_th: i32,
    /// The recurrent sum is divided by `2^rec_shift` (rounded to nearest) before it
    /// joins the afferent sum: afferent and recurrent weights share one word format,
    /// the shift sets their relative strength (`0..=15`; larger values are clamped).
    pub rec_shift: u8,
    /// Rounding of the membrane decay.
    pub rounding: Rounding,
    /// The STDP circuit.
    pub stdp: StdpParams,
}

/// Why an area or a step was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AreaError {
    /// `n`, `n_in` or `k` out of range.
    #[error("area {field} = {value} is out of range 1..={max}")]
    Size {
        /// Which field.
        field: &'static str,
        /// Its value.
        value: usize,
        /// Largest allowed.
        max: usize,
    },
    /// A memory slice of the wrong length.
    #[error("area memory `{slice}` has {got} words, needs {need}")]
    Memory {
        /// Which slice.
        slice: &'static str,
        /// Length needed.
        need: usize,
        /// Length given.
        got: usize,
    },
}

/// Memory of an area, provided by the caller.
#[derive(Debug)]
pub struct AreaMemory<'a> {
    /// Afferent weights, `n * n_in`, row `j` (postsynaptic neuron) holds its inputs.
    pub w_in: &'a mut [Weight],
    /// Recurrent weights, `n * n`, row `j` (postsynaptic) holds its presynaptic neurons.
    pub w_rec: &'a mut [Weight],
    /// Membranes, `n`.
    pub v: &'a mut [i32],
    /// Spikes of the last step, `n`.
    pub z: &'a mut [bool],
    /// Presynaptic traces of the inputs, `n_in`.
    pub tr_in: &'a mut [Trace],
    /// Presynaptic traces of the area's neurons, `n`.
    pub tr_pre: &'a mut [Trace],
    /// Postsynaptic traces of the area's neurons, `n`.
    pub tr_post: &'a mut [Trace],
}

/// Slice lengths an area of `cfg` needs, in the order of [`AreaMemory`]'s fields.
pub fn lengths(cfg: &AreaConfig) -> [(&'static str, usize); 7] {
    let (n, m) = (cfg.n, cfg.n_in);
    [
        ("w_in", n.saturating_mul(m)),
        ("w_rec", n.saturating_mul(n)),
        ("v", n),
        ("z", n),
        ("tr_in", m),
        ("tr_pre", n),
        ("tr_post", n),
    ]
}

fn check_len(slice: &'static str, need: usize, got: usize) -> Result<(), AreaError> {
    if need == got {
        Ok(())
    } else {
        Err(AreaError::Memory { slice, need, got })
    }
}

/// An assembly area (its memory is passed to every call).
#[derive(Clone, Debug)]
pub struct Area {
    cfg: AreaConfig,
    prng: Prng,
    digest: Digest,
    t: u32,
}

impl Area {
    /// Check `cfg` and the memory's slice lengths.
    pub fn new(cfg: AreaConfig, seed: u64, mem: &AreaMemory<'_>) -> Result<Self, AreaError> {
        for (field, value, max) in [
            ("n", cfg.n, MAX_NEURONS),
            ("n_in", cfg.n_in, MAX_NEURONS),
            ("k", cfg.k, cfg.n.min(MAX_NEURONS)),
        ] {
            if value == 0 || value > max {
                return Err(AreaError::Size { field, value, max });
            }
        }
        let got = [
            mem.w_in.len(),
            mem.w_rec.len(),
            mem.v.len(),
            mem.z.len(),
            mem.tr_in.len(),
            mem.tr_pre.len(),
            mem.tr_post.len(),
        ];
        for ((slice, need), got) in lengths(&cfg).into_iter().zip(got) {
            check_len(slice, need, got)?;
        }
        Ok(Self {
            cfg,
            prng: Prng::new(seed),
            digest: Digest::new(),
            t: 0,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &AreaConfig {
        &self.cfg
    }

    /// The chip PRNG (for callers that draw stimuli from the same generator).
    pub fn prng(&mut self) -> &mut Prng {
        &mut self.prng
    }

    /// The running digest: spikes and membranes of every step, weights when folded.
    pub fn digest(&self) -> u64 {
        self.digest.value()
    }

    /// Steps taken.
    pub fn steps(&self) -> u32 {
        self.t
    }

    /// Draw sparse random connectivity: each afferent synapse is present with
    /// probability `p_in / 2^16`, each recurrent one (no self-synapse) with
    /// `p_rec / 2^16`; a present synapse starts at a weight drawn uniformly from
    /// `w0_lo..=w0_hi` (clamped to `[0, w_max]`). Weights are folded into the digest.
    pub fn wire(
        &mut self,
        mem: &mut AreaMemory<'_>,
        p_in: u16,
        p_rec: u16,
        w0_lo: Weight,
        w0_hi: Weight,
    ) {
        let w_max = self.cfg.stdp.w_max();
        let lo = i32::from(w0_lo).limit(0, w_max);
        let hi = i32::from(w0_hi).limit(lo, w_max);
        let span = (hi.wrapping_sub(lo) as u32).wrapping_add(1);
        let prng = &mut self.prng;
        let mut draw = |p: u16| -> Weight {
            if prng.chance_q16(p) {
                let r = prng.next_u32().checked_rem(span).unwrap_or(0);
                lo.saturating_add(r as i32) as Weight
            } else {
                ABSENT
            }
        };
        for w in mem.w_in.iter_mut() {
            *w = draw(p_in);
        }
        let n = self.cfg.n;
        for (j, row) in mem.w_rec.chunks_exact_mut(n).enumerate() {
            for (i, w) in row.iter_mut().enumerate() {
                *w = if i == j { ABSENT } else { draw(p_rec) };
            }
        }
        self.fold_weights(mem);
    }

    /// Fold every weight into the digest.
    pub fn fold_weights(&mut self, mem: &AreaMemory<'_>) {
        self.digest.fold_i16s(mem.w_in);
        self.digest.fold_i16s(mem.w_rec);
    }

    /// Clear membranes, spikes and traces (weights and PRNG are kept).
    pub fn reset_state(&mut self, mem: &mut AreaMemory<'_>) {
        mem.v.fill(0);
        mem.z.fill(false);
        mem.tr_in.fill(0);
        mem.tr_pre.fill(0);
        mem.tr_post.fill(0);
    }

    /// Make `cue` the spikes of the last step (a partial assembly, for recall): they
    /// drive the next step through the recurrent weights. Extra neurons are ignored;
    /// missing ones are silent.
    pub fn force(&mut self, mem: &mut AreaMemory<'_>, cue: &[bool]) {
        let mut c = cue.iter();
        for z in mem.z.iter_mut() {
            *z = c.next().copied().unwrap_or(false);
        }
    }

    /// One step with input spikes `x` (length `n_in`), with or without STDP.
    /// Returns how many neurons fired. Fails only on a wrongly sized input.
    pub fn step(
        &mut self,
        mem: &mut AreaMemory<'_>,
        x: &[bool],
        plastic: bool,
    ) -> Result<usize, AreaError> {
        check_len("x", self.cfg.n_in, x.len())?;
        let cfg = self.cfg;
        let stdp = cfg.stdp;
        // 1. input traces include x[t]: they may have caused this step's spikes.
        stdp.advance(mem.tr_in, stdp.a_pre, x, &mut self.prng);

        // 2. integrate (reads z[t-1]).
        let rows_in = mem.w_in.chunks_exact(cfg.n_in);
        let rows_rec = mem.w_rec.chunks_exact(cfg.n);
        for ((v, row_in), row_rec) in mem.v.iter_mut().zip(rows_in).zip(rows_rec) {
            let mut acc: i64 = 0;
            for (&w, &s) in row_in.iter().zip(x) {
                if s && w > 0 {
                    acc = acc.saturating_add(i64::from(w));
                }
            }
            let mut rec: i64 = 0;
            for (&w, &s) in row_rec.iter().zip(mem.z.iter()) {
                if s && w > 0 {
                    rec = rec.saturating_add(i64::from(w));
                }
            }
            let rec = match cfg.rec_shift.min(15) {
                0 => rec,
                k => Rounding::Nearest.shift(rec, u32::from(k), &mut self.prng),
            };
            let acc = acc.saturating_add(rec);
            let leaked = if *v == 0 {
                0
            } else {
                cfg.rounding.decay(i64::from(*v), cfg.leak, &mut self.prng)
            };
            *v = leaked
                .saturating_add(acc)
                .clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32;
        }

        // 3. k-cap.
        let fired = self.cap(mem);

        // 4. STDP.
        if plastic {
            self.plasticity(mem, x);
        }

        // 5. area traces include z[t]; spikers reset.
        stdp.advance(mem.tr_pre, stdp.a_pre, mem.z, &mut self.prng);
        stdp.advance(mem.tr_post, stdp.a_post, mem.z, &mut self.prng);
        for (v, &z) in mem.v.iter_mut().zip(mem.z.iter()) {
            if z {
                *v = 0;
            }
        }
        self.fold_step(mem);
        if plastic {
            self.fold_weights(mem);
        }
        self.t = self.t.wrapping_add(1);
        Ok(fired)
    }

    /// Global inhibition: set `z` to the (at most) `k` largest membranes at or above
    /// `v_th`; returns how many fired.
    fn cap(&mut self, mem: &mut AreaMemory<'_>) -> usize {
        let k = self.cfg.k;
        let count = |theta: i64, v: &[i32]| v.iter().filter(|&&x| i64::from(x) >= theta).count();
        let lo0 = i64::from(self.cfg.v_th);
        let vmax = mem.v.iter().copied().max().map_or(lo0, i64::from);
        let theta = if count(lo0, mem.v) <= k {
            lo0
        } else {
            // count(lo) > k, count(hi) <= k.
            let (mut lo, mut hi) = (lo0, vmax.saturating_add(1));
            while hi.saturating_sub(lo) > 1 {
                let mid = lo.saturating_add(hi.saturating_sub(lo) / 2);
                if count(mid, mem.v) > k {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            hi
        };
        let mut fired = 0usize;
        for (z, &v) in mem.z.iter_mut().zip(mem.v.iter()) {
            *z = i64::from(v) >= theta;
            fired = fired.saturating_add(usize::from(*z));
        }
        // Ties just below theta fill the remaining places, from a random start.
        if theta > lo0 && fired < k {
            let tie = theta.saturating_sub(1);
            let n = self.cfg.n;
            let start = (self.prng.next_u32() as usize).checked_rem(n).unwrap_or(0);
            // `min(len)`: a memory of another size than the checked one cannot panic.
            let (head_z, tail_z) = mem.z.split_at_mut(start.min(mem.z.len()));
            let (head_v, tail_v) = mem.v.split_at(start.min(mem.v.len()));
            let order = tail_z
                .iter_mut()
                .zip(tail_v)
                .chain(head_z.iter_mut().zip(head_v));
            for (z, &v) in order {
                if fired >= k {
                    break;
                }
                if !*z && i64::from(v) == tie {
                    *z = true;
                    fired = fired.saturating_add(1);
                }
            }
        }
        fired
    }

    /// STDP on afferent and recurrent synapses for this step's spikes.
    fn plasticity(&mut self, mem: &mut AreaMemory<'_>, x: &[bool]) {
        let stdp = self.cfg.stdp;
        let prng = &mut self.prng;
        let (n, m) = (self.cfg.n, self.cfg.n_in);
        let posts = mem.z.iter().zip(mem.tr_post.iter());
        let rows = mem
            .w_in
            .chunks_exact_mut(m)
            .zip(mem.w_rec.chunks_exact_mut(n));
        for ((row_in, row_rec), (&post, &y)) in rows.zip(posts) {
            for ((w, &pre), &xt) in row_in.iter_mut().zip(x).zip(mem.tr_in.iter()) {
                stdp.update(w, post, xt, pre, y, prng);
            }
            for ((w, &pre), &xt) in row_rec.iter_mut().zip(mem.z.iter()).zip(mem.tr_pre.iter()) {
                stdp.update(w, post, xt, pre, y, prng);
            }
        }
    }

    fn fold_step(&mut self, mem: &AreaMemory<'_>) {
        self.digest.fold(u64::from(self.t));
        for c in mem.z.chunks(64) {
            let mut w = 0u64;
            for (b, &z) in c.iter().enumerate() {
                if z {
                    w |= 1u64 << (b as u32 & 63);
                }
            }
            self.digest.fold(w);
        }
        self.digest.fold_i32s(mem.v);
    }
}
