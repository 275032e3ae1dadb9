//! Stimuli for an STDP assembly area ([`neurochip_core::assembly`]) and the digest
//! workload the host and the firmware compare, as an application
//! ([`AssemblySpec`], application kind 5 of an application image: `neurochip assembly
//! --export OUT.img` writes it, `neurochip run-image` and the firmware's `assembly`
//! binary run it and print the same line).
//!
//! A stimulus is a group of [`STIM_SIZE`] input neurons; stimulus `s` is inputs
//! `s * STIM_SIZE .. (s + 1) * STIM_SIZE`. While it is shown, each of its neurons
//! spikes in a step with probability `p_fire` (drawn from a [`Prng`]); the others are
//! silent unless a background rate is given.

use core::fmt;

use neurochip_core::assembly::{lengths, Area, AreaConfig, AreaError, AreaMemory, MAX_NEURONS};
use neurochip_core::image::{ImageError, Reader, Writer};
use neurochip_core::stdp::{StdpParams, Trace, Weight};
use neurochip_core::{Prng, Rounding};

/// Input neurons per stimulus.
pub const STIM_SIZE: usize = 40;
/// Stimuli of the standard area.
pub const STIMULI: usize = 3;

/// The standard area: `n` neurons, cap `k`, [`STIMULI`] stimuli of [`STIM_SIZE`]
/// inputs; memoryless membranes (leak 0, the assembly calculus' step), recurrent
/// input divided by 4, STDP traces with tau = 5 steps, `a_plus = 2 a_minus`,
/// weights of 7 bits (`w_max = 127`) with stochastic rounding.
pub const fn area_config(n: usize, k: usize) -> AreaConfig {
    AreaConfig {
        n,
        n_in: STIMULI * STIM_SIZE,
        k,
        leak: 0,
        v_th: 48,
        rec_shift: 2,
        rounding: Rounding::Nearest,
        stdp: StdpParams {
            a_pre: 26_828,  // exp(-1/5) in Q1.15: tau = 5 steps
            a_post: 26_828, // exp(-1/5) in Q1.15
            inc: 4096,
            a_plus: 96,
            a_minus: 48,
            shift: 16,
            w_max: 127,
            rounding: Rounding::Stochastic,
        },
    }
}

/// Input spikes for one step: the neurons of every stimulus in `stims` spike with
/// probability `p_fire / 2^16`, all other inputs with `p_bg / 2^16`.
pub fn stimulus(stims: &[usize], p_fire: u16, p_bg: u16, rng: &mut Prng, x: &mut [bool]) {
    stimulus_of(STIM_SIZE, stims, p_fire, p_bg, rng, x);
}

/// [`stimulus`] with stimuli of `size` inputs each (`size` 0 acts as 1).
pub fn stimulus_of(
    size: usize,
    stims: &[usize],
    p_fire: u16,
    p_bg: u16,
    rng: &mut Prng,
    x: &mut [bool],
) {
    for (i, xi) in x.iter_mut().enumerate() {
        let s = i / size.max(1);
        let p = if stims.contains(&s) { p_fire } else { p_bg };
        *xi = p > 0 && rng.chance_q16(p);
    }
}

/// The digest workload ([`AssemblySpec::WORKLOAD`]: the standard area with 200
/// neurons and `k = 20`, seed 7) for `steps` steps in `mem` (sized for it) and `x`
/// (its inputs): the digest (final weights folded in) and the number of spikes.
pub fn workload(
    mem: &mut AreaMemory<'_>,
    x: &mut [bool],
    steps: u32,
) -> Result<(u64, u64), AreaError> {
    let spec = AssemblySpec {
        steps,
        ..AssemblySpec::WORKLOAD
    };
    let r = spec.run(mem, x)?;
    Ok((r.digest, r.spikes))
}

/// Neurons of the digest workload's area.
pub const WORKLOAD_N: usize = 200;
/// Cap of the digest workload's area.
pub const WORKLOAD_K: usize = 20;

/// An assembly application: an area, its wiring, a schedule of stimuli and the steps
/// to run. Run, it wires the area (afferent synapses present with probability
/// `p_in / 2^16`, recurrent ones with `p_rec / 2^16`, initial weights uniform in
/// `w0_lo..=w0_hi`), then runs `steps` plastic steps with stimulus
/// `(t / period) % stimuli` shown (its inputs spike with probability `p_fire / 2^16`,
/// the others with `p_bg / 2^16`, drawn from `Prng::new(stim_seed)`), and folds the
/// final weights into the digest.
///
/// Application block after the kind byte (little endian; `docs/formats.md`):
///
/// | field | encoding | allowed |
/// |---|---|---|
/// | `n`, `k` | u32 each | `1..=4096`, `1..=n` |
/// | `stimuli`, `stim_size` | u32 each | at least 1, `stimuli * stim_size <= 4096` (the inputs) |
/// | `leak` | u16 | Q1.15, at most 32768 |
/// | `v_th` | i32 | any |
/// | `rec_shift` | u8 | `0..=15` |
/// | `rounding` | u8 | 0 truncate, 1 nearest, 2 stochastic |
/// | STDP `a_pre`, `a_post` | u16 each | Q1.15, at most 32768 |
/// | STDP `inc`, `a_plus`, `a_minus` | u16 each | any |
/// | STDP `shift` | u8 | `0..=31` |
/// | STDP `w_max` | i16 | at least 0 |
/// | STDP `rounding` | u8 | as `rounding` |
/// | `seed` | u64 | any |
/// | `p_in`, `p_rec` | u16 each | any |
/// | `w0_lo`, `w0_hi` | i16 each | `0 <= w0_lo <= w0_hi <= w_max` |
/// | `period` | u32 | at least 1 |
/// | `p_fire`, `p_bg` | u16 each | any |
/// | `stim_seed` | u64 | any |
/// | `steps` | u32 | at least 1 |
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AssemblySpec {
    /// The area (`n_in` is `stimuli * stim_size`).
    pub area: AreaConfig,
    /// Stimuli.
    pub stimuli: u32,
    /// Inputs per stimulus.
    pub stim_size: u32,
    /// The area's PRNG seed.
    pub seed: u64,
    /// Afferent connection probability, `/ 2^16`.
    pub p_in: u16,
    /// Recurrent connection probability, `/ 2^16`.
    pub p_rec: u16,
    /// Lowest initial weight.
    pub w0_lo: Weight,
    /// Highest initial weight.
    pub w0_hi: Weight,
    /// Steps each stimulus is shown.
    pub period: u32,
    /// Spike probability of a shown stimulus' inputs, `/ 2^16`.
    pub p_fire: u16,
    /// Spike probability of the other inputs, `/ 2^16`.
    pub p_bg: u16,
    /// Seed of the stimulus PRNG.
    pub stim_seed: u64,
    /// Plastic steps.
    pub steps: u32,
}

/// What an assembly run printed: its digest and spike count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AssemblyRun {
    /// The area's digest, final weights folded in.
    pub digest: u64,
    /// Steps run.
    pub steps: u32,
    /// Spikes over the run.
    pub spikes: u64,
}

impl fmt::Display for AssemblyRun {
    /// `assembly DIGEST steps=N spikes=N`: the line the firmware and `neurochip
    /// run-image` print.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "assembly {:016x} steps={} spikes={}",
            self.digest, self.steps, self.spikes
        )
    }
}

/// Carve an area's memory for `cfg` out of caller arenas: `weights` holds `w_in`
/// then `w_rec`, `traces` holds `tr_in`, `tr_pre`, `tr_post`. Short arenas are
/// refused with the slice that does not fit.
pub fn carve<'m>(
    cfg: &AreaConfig,
    weights: &'m mut [Weight],
    v: &'m mut [i32],
    z: &'m mut [bool],
    traces: &'m mut [Trace],
) -> Result<AreaMemory<'m>, AreaError> {
    let [(_, n_w_in), (_, n_w_rec), (_, n), _, (_, m), _, _] = lengths(cfg);
    fn cut<'a, T>(
        buf: &'a mut [T],
        need: usize,
        slice: &'static str,
    ) -> Result<(&'a mut [T], &'a mut [T]), AreaError> {
        if need > buf.len() {
            return Err(AreaError::Memory {
                slice,
                need,
                got: buf.len(),
            });
        }
        Ok(buf.split_at_mut(need))
    }
    let (w_in, rest) = cut(weights, n_w_in, "w_in")?;
    let (w_rec, _) = cut(rest, n_w_rec, "w_rec")?;
    let (v, _) = cut(v, n, "v")?;
    let (z, _) = cut(z, n, "z")?;
    let (tr_in, rest) = cut(traces, m, "tr_in")?;
    let (tr_pre, rest) = cut(rest, n, "tr_pre")?;
    let (tr_post, _) = cut(rest, n, "tr_post")?;
    Ok(AreaMemory {
        w_in,
        w_rec,
        v,
        z,
        tr_in,
        tr_pre,
        tr_post,
    })
}

impl AssemblySpec {
    /// The digest workload: the standard area ([`area_config`]) with [`WORKLOAD_N`]
    /// neurons and cap [`WORKLOAD_K`], seed 7, afferent probability 0.1, recurrent
    /// 0.25, initial weights 8..=24, 200 steps with each of the [`STIMULI`] shown for
    /// 20 steps at 90% and a 2% background drawn from `Prng::new(99)`.
    pub const WORKLOAD: Self = Self {
        area: area_config(WORKLOAD_N, WORKLOAD_K),
        stimuli: STIMULI as u32,
        stim_size: STIM_SIZE as u32,
        seed: 7,
        p_in: 6554,
        p_rec: 16384,
        w0_lo: 8,
        w0_hi: 24,
        period: 20,
        p_fire: 58_982,
        p_bg: 1_311,
        stim_seed: 99,
        steps: 200,
    };

    /// Run in `mem` (sized for the area) with `x` (at least `n_in` entries).
    pub fn run(&self, mem: &mut AreaMemory<'_>, x: &mut [bool]) -> Result<AssemblyRun, AreaError> {
        self.run_observed(mem, x, |_, _| {})
    }

    /// [`AssemblySpec::run`], showing `on_step(x, z)` the input and the spikes of
    /// every step (the cycle model counts what the step did).
    pub fn run_observed(
        &self,
        mem: &mut AreaMemory<'_>,
        x: &mut [bool],
        mut on_step: impl FnMut(&[bool], &[bool]),
    ) -> Result<AssemblyRun, AreaError> {
        let n_in = self.area.n_in;
        let got = x.len();
        let x = x.get_mut(..n_in).ok_or(AreaError::Memory {
            slice: "x",
            need: n_in,
            got,
        })?;
        let mut area = Area::new(self.area, self.seed, mem)?;
        area.wire(mem, self.p_in, self.p_rec, self.w0_lo, self.w0_hi);
        let mut rng = Prng::new(self.stim_seed);
        let (size, stimuli) = (self.stim_size as usize, self.stimuli.max(1));
        let mut spikes = 0u64;
        for t in 0..self.steps {
            let s = (t / self.period.max(1)) % stimuli;
            stimulus_of(size, &[s as usize], self.p_fire, self.p_bg, &mut rng, x);
            let fired = area.step(mem, x, true)?;
            on_step(x, mem.z);
            spikes = spikes.saturating_add(fired as u64);
        }
        area.fold_weights(mem);
        Ok(AssemblyRun {
            digest: area.digest(),
            steps: self.steps,
            spikes,
        })
    }

    /// Write the fields after the kind byte.
    pub(crate) fn put(&self, w: &mut Writer<'_>) {
        let a = &self.area;
        let st = &a.stdp;
        w.u32(a.n as u32);
        w.u32(a.k as u32);
        w.u32(self.stimuli);
        w.u32(self.stim_size);
        w.u16(a.leak);
        w.u32(a.v_th as u32);
        w.u8(a.rec_shift);
        w.u8(a.rounding.code());
        for v in [st.a_pre, st.a_post, st.inc, st.a_plus, st.a_minus] {
            w.u16(v);
        }
        w.u8(st.shift);
        w.u16(st.w_max as u16);
        w.u8(st.rounding.code());
        w.u64(self.seed);
        w.u16(self.p_in);
        w.u16(self.p_rec);
        w.u16(self.w0_lo as u16);
        w.u16(self.w0_hi as u16);
        w.u32(self.period);
        w.u16(self.p_fire);
        w.u16(self.p_bg);
        w.u64(self.stim_seed);
        w.u32(self.steps);
    }

    /// Read and range-check the fields after the kind byte.
    pub(crate) fn get(r: &mut Reader<'_>) -> Result<Self, ImageError> {
        let bad = |field| ImageError::Field { field };
        let check = |ok: bool, field| if ok { Ok(()) } else { Err(bad(field)) };
        let q15 = |v: u16| v <= 1 << 15;
        let n = r.u32("app.assembly.n")? as usize;
        check((1..=MAX_NEURONS).contains(&n), "app.assembly.n")?;
        let k = r.u32("app.assembly.k")? as usize;
        check((1..=n).contains(&k), "app.assembly.k")?;
        let stimuli = r.u32("app.assembly.stimuli")?;
        check(stimuli >= 1, "app.assembly.stimuli")?;
        let stim_size = r.u32("app.assembly.stim_size")?;
        let n_in = (stimuli as usize).saturating_mul(stim_size as usize);
        check((1..=MAX_NEURONS).contains(&n_in), "app.assembly.stim_size")?;
        let leak = r.u16("app.assembly.leak")?;
        check(q15(leak), "app.assembly.leak")?;
        let v_th = r.u32("app.assembly.v_th")? as i32;
        let rec_shift = r.u8("app.assembly.rec_shift")?;
        check(rec_shift <= 15, "app.assembly.rec_shift")?;
        let rounding = Rounding::from_code(r.u8("app.assembly.rounding")?)
            .ok_or(bad("app.assembly.rounding"))?;
        let a_pre = r.u16("app.assembly.stdp.a_pre")?;
        check(q15(a_pre), "app.assembly.stdp.a_pre")?;
        let a_post = r.u16("app.assembly.stdp.a_post")?;
        check(q15(a_post), "app.assembly.stdp.a_post")?;
        let inc = r.u16("app.assembly.stdp.inc")?;
        let a_plus = r.u16("app.assembly.stdp.a_plus")?;
        let a_minus = r.u16("app.assembly.stdp.a_minus")?;
        let shift = r.u8("app.assembly.stdp.shift")?;
        check(shift <= 31, "app.assembly.stdp.shift")?;
        let w_max = r.u16("app.assembly.stdp.w_max")? as Weight;
        check(w_max >= 0, "app.assembly.stdp.w_max")?;
        let stdp_rounding = Rounding::from_code(r.u8("app.assembly.stdp.rounding")?)
            .ok_or(bad("app.assembly.stdp.rounding"))?;
        let seed = r.u64("app.assembly.seed")?;
        let p_in = r.u16("app.assembly.p_in")?;
        let p_rec = r.u16("app.assembly.p_rec")?;
        let w0_lo = r.u16("app.assembly.w0_lo")? as Weight;
        let w0_hi = r.u16("app.assembly.w0_hi")? as Weight;
        check(
            0 <= w0_lo && w0_lo <= w0_hi && w0_hi <= w_max,
            "app.assembly.w0",
        )?;
        let period = r.u32("app.assembly.period")?;
        check(period >= 1, "app.assembly.period")?;
        let p_fire = r.u16("app.assembly.p_fire")?;
        let p_bg = r.u16("app.assembly.p_bg")?;
        let stim_seed = r.u64("app.assembly.stim_seed")?;
        let steps = r.u32("app.assembly.steps")?;
        check(steps >= 1, "app.assembly.steps")?;
        Ok(Self {
            area: AreaConfig {
                n,
                n_in,
                k,
                leak,
                v_th,
                rec_shift,
                rounding,
                stdp: StdpParams {
                    a_pre,
                    a_post,
                    inc,
                    a_plus,
                    a_minus,
                    shift,
                    w_max,
                    rounding: stdp_rounding,
                },
            },
            stimuli,
            stim_size,
            seed,
            p_in,
            p_rec,
            w0_lo,
            w0_hi,
            period,
            p_fire,
            p_bg,
            stim_seed,
            steps,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::Standalone;

    #[test]
    fn the_workload_round_trips_through_its_block() {
        let app = Standalone::Assembly(AssemblySpec::WORKLOAD);
        let mut buf = [0u8; 128];
        let n = app.encode(&mut buf).unwrap();
        assert_eq!(n, 75);
        assert_eq!(Standalone::decode(&buf[..n]).unwrap(), app);
        assert!(matches!(
            app.encode(&mut [0u8; 10]),
            Err(ImageError::Space { needed: 75, .. })
        ));
    }

    #[test]
    fn carve_refuses_short_arenas_and_run_a_short_input() {
        let cfg = area_config(10, 2);
        let (mut v, mut z, mut tr) = ([0i32; 10], [false; 10], [0u16; 140]);
        let mut w = [0i16; 100 + 10 * 120 - 1];
        assert_eq!(
            carve(&cfg, &mut w, &mut v, &mut z, &mut tr).unwrap_err(),
            AreaError::Memory {
                slice: "w_rec",
                need: 100,
                got: 99
            }
        );
        let mut w = [0i16; 100 + 10 * 120];
        let mut mem = carve(&cfg, &mut w, &mut v, &mut z, &mut tr).unwrap();
        let spec = AssemblySpec {
            area: cfg,
            ..AssemblySpec::WORKLOAD
        };
        assert!(matches!(
            spec.run(&mut mem, &mut [false; 119]),
            Err(AreaError::Memory { slice: "x", .. })
        ));
        assert_eq!(spec.run(&mut mem, &mut [false; 120]).unwrap().steps, 200);
    }
}
