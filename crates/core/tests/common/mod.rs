//! Test support shared by the core's integration tests: the three memory arenas of a
//! configuration, the xorshift stream the property tests draw their weights, gains
//! and inputs from, the small learning chip most of them build, and the training
//! loop they drive it with.
//!
//! Every test binary uses a part of it.
#![allow(dead_code)]

use bitvec::prelude::*;
use neurochip_core::format::Format;
use std::ops::Range;

use neurochip_core::learning::{Apply, Engine, Feedback, Learning, Loss};
use neurochip_core::{Chip, ChipConfig, ConfigBuilder, Formats, Memory, Rounding, Shifts, Target};
use proptest::prelude::*;

/// The three word arenas (16-bit, 32-bit, unsigned) of one chip's memory, zeroed.
#[derive(Clone, Debug, PartialEq)]
pub struct Arenas {
    /// 16-bit words.
    pub w16: Vec<i16>,
    /// 32-bit words.
    pub w32: Vec<i32>,
    /// Unsigned words.
    pub wu: Vec<u32>,
}

impl Arenas {
    /// Zeroed arenas of the size `cfg`'s layout needs.
    pub fn new(cfg: &ChipConfig) -> Self {
        let l = cfg.layout();
        Self {
            w16: vec![0; l.words16()],
            w32: vec![0; l.words32()],
            wu: vec![0; l.wordsu()],
        }
    }

    /// Arenas for `cfg` holding its default parameters
    /// ([`Memory::init_default_params`]) and zero state.
    pub fn with_defaults(cfg: &ChipConfig) -> Self {
        let mut arenas = Self::new(cfg);
        arenas.mem(cfg).init_default_params(cfg);
        arenas
    }

    /// The configuration `b` builds (it must be valid) and arenas for it holding its
    /// default parameters ([`Arenas::with_defaults`]).
    pub fn build(b: ConfigBuilder) -> (ChipConfig, Self) {
        let cfg = b.build().unwrap();
        (cfg, Self::with_defaults(&cfg))
    }

    /// The memory of `cfg` carved from the arenas.
    pub fn mem(&mut self, cfg: &ChipConfig) -> Memory<'_> {
        Memory::carve(&cfg.layout(), &mut self.w16, &mut self.w32, &mut self.wu).unwrap()
    }
}

/// The next word of a xorshift64 stream (13, 7, 17); the state must not be zero.
pub fn next(s: &mut u64) -> u64 {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    *s
}

/// A weight anywhere in the 16-bit range, saturated into `wf`: one draw.
pub fn any_weight(wf: Format, s: &mut u64) -> i16 {
    wf.saturate((next(s) % 65536) as i64 - 32768) as i16
}

/// Random eligibility gains below 2^24, one draw each.
pub fn random_gains(mem: &mut Memory<'_>, s: &mut u64) {
    for g in mem.psi_gain.iter_mut() {
        *g = (next(s) % (1 << 24)) as u32;
    }
}

/// Every synaptic weight of `mem`: input, recurrent, then output.
pub fn weights<'m>(mem: &'m Memory<'_>) -> impl Iterator<Item = &'m i16> {
    mem.w_in
        .iter()
        .chain(mem.w_rec.iter())
        .chain(mem.w_out.iter())
}

/// Every synaptic weight of `mem`, as [`weights`], to write.
pub fn weights_mut<'m>(mem: &'m mut Memory<'_>) -> impl Iterator<Item = &'m mut i16> {
    mem.w_in
        .iter_mut()
        .chain(mem.w_rec.iter_mut())
        .chain(mem.w_out.iter_mut())
}

/// Small random parameters: every synaptic weight in -127..=127, random gains
/// ([`random_gains`]) and, when `alif`, adaptation strengths below 4096.
pub fn random_params(mem: &mut Memory<'_>, s: &mut u64, alif: bool) {
    for w in weights_mut(mem) {
        *w = (next(s) % 255) as i16 - 127;
    }
    random_gains(mem, s);
    if alif {
        for be in mem.beta.iter_mut() {
            *be = (next(s) % 4096) as i32;
        }
    }
}

/// Random weights anywhere in `wf` ([`any_weight`]): the recurrent ones first, each
/// with the sign Dale's law gives its row in `mem.exc` when `dale`, then the input,
/// output and feedback weights; then random gains ([`random_gains`]).
pub fn random_weights(mem: &mut Memory<'_>, wf: Format, dale: bool, s: &mut u64) {
    let n = mem.layout.n_rec;
    for (k, w) in mem.w_rec.iter_mut().enumerate() {
        let v = any_weight(wf, s);
        *w = match (dale, mem.exc[k / n]) {
            (false, _) => v,
            (true, true) => v.max(0),
            (true, false) => v.min(0),
        };
    }
    for w in mem
        .w_in
        .iter_mut()
        .chain(mem.w_out.iter_mut())
        .chain(mem.b_fb.iter_mut())
    {
        *w = any_weight(wf, s);
    }
    random_gains(mem, s);
}

/// Each input spikes with probability `p_in` percent, one draw each.
pub fn draw_input(x: &mut BitSlice<u32, Lsb0>, s: &mut u64, p_in: u32) {
    for mut bit in x.iter_mut() {
        *bit = (next(s) % 100) < u64::from(p_in);
    }
}

/// The default formats with `bits`-bit integer weights.
pub fn weight_formats(bits: u32) -> Formats {
    Formats {
        weight: Format::signed(bits, 0).unwrap(),
        ..Formats::default()
    }
}

/// The default learning with the exact or the light engine, applied per sample or
/// online.
pub fn learning(exact: bool, sample: bool) -> Learning {
    Learning {
        engine: if exact { Engine::Exact } else { Engine::Light },
        apply: if sample { Apply::Sample } else { Apply::Online },
        ..Learning::DEFAULT
    }
}

/// [`learning`] with the learning-rate shifts `[input, recurrent, output, bias]`,
/// Dale's law on or off, and trace and eligibility decays of 32,000.
pub fn shifted_learning(exact: bool, sample: bool, shifts: [u8; 4], dale: bool) -> Learning {
    Learning {
        shift_in: shifts[0],
        shift_rec: shifts[1],
        shift_out: shifts[2],
        shift_bias: shifts[3],
        dale,
        trace_decay: 32_000,
        elig_decay: 32_000,
        ..learning(exact, sample)
    }
}

/// Input, recurrent and output shifts 6, 4 and 4.
pub const SHIFTS: Shifts = Shifts {
    input: 6,
    recurrent: 4,
    output: 4,
};

/// The learning chip of the property tests: `n_in x n_rec x n_out`, [`SHIFTS`],
/// refractory period 1, stochastic leak rounding, `formats`, `learning` and `seed`;
/// the caller adds what its test varies and builds.
pub fn learning_chip(
    (n_in, n_rec, n_out): (usize, usize, usize),
    formats: Formats,
    learning: Learning,
    seed: u64,
) -> ConfigBuilder {
    ConfigBuilder::new(n_in, n_rec, n_out)
        .formats(formats)
        .shifts(SHIFTS)
        .refractory(1)
        .leak_rounding(Rounding::Stochastic)
        .learning(learning)
        .seed(seed)
}

/// The random learning chip of a property test: its sizes, weight width, engine
/// (exact or light), application (per sample or online), input spike probability
/// (percent) and seed.
#[derive(Clone, Debug)]
pub struct ChipCase {
    pub n_in: usize,
    pub n_rec: usize,
    pub n_out: usize,
    pub weight_bits: u32,
    pub exact: bool,
    pub sample: bool,
    pub p_in: u32,
    pub seed: u64,
}

/// A [`ChipCase`] of `n_in` inputs, `n_rec` neurons and `n_out` readouts in the
/// ranges given, 2- to 16-bit weights, either engine and application, inputs that
/// spike with any probability and any seed.
pub fn chip_case(
    n_in: Range<usize>,
    n_rec: Range<usize>,
    n_out: Range<usize>,
) -> impl Strategy<Value = ChipCase> {
    (
        (n_in, n_rec, n_out, 2u32..=16),
        (any::<bool>(), any::<bool>()),
        (0u32..=100, any::<u64>()),
    )
        .prop_map(
            |((n_in, n_rec, n_out, weight_bits), (exact, sample), (p_in, seed))| ChipCase {
                n_in,
                n_rec,
                n_out,
                weight_bits,
                exact,
                sample,
                p_in,
                seed,
            },
        )
}

impl ChipCase {
    /// The case's weight format: `weight_bits`-bit integers.
    pub fn weight_format(&self) -> Format {
        weight_formats(self.weight_bits).weight
    }

    /// The case's [`learning_chip`] learning by `learning`; the caller adds what its
    /// test varies.
    pub fn chip(&self, learning: Learning) -> ConfigBuilder {
        let dims = (self.n_in, self.n_rec, self.n_out);
        learning_chip(dims, weight_formats(self.weight_bits), learning, self.seed)
    }

    /// A [`Run`] of `steps` steps in samples of `sample`, at the case's input rate.
    pub fn run(&self, steps: u32, sample: u32) -> Run {
        Run {
            steps,
            sample,
            p_in: self.p_in,
        }
    }
}

/// Symmetric or random feedback.
pub fn any_feedback() -> impl Strategy<Value = Feedback> {
    prop_oneof![Just(Feedback::Symmetric), Just(Feedback::Random)]
}

/// A classification or a regression loss.
pub fn any_loss() -> impl Strategy<Value = Loss> {
    prop_oneof![Just(Loss::Classification), Just(Loss::Regression)]
}

/// Dale's law in `mem`: no recurrent weight out of an excitatory neuron is negative,
/// none out of an inhibitory one positive.
pub fn check_dale(mem: &Memory<'_>) -> Result<(), TestCaseError> {
    let n = mem.layout.n_rec;
    for (k, &w) in mem.w_rec.iter().enumerate() {
        let exc = mem.exc[k / n];
        prop_assert!(
            if exc { w >= 0 } else { w <= 0 },
            "Dale violated at synapse {k} (presynaptic neuron {}, {}): {w}",
            k / n,
            if exc { "excitatory" } else { "inhibitory" }
        );
    }
    Ok(())
}

/// Regression targets at the ends of the range: `i32::MAX` for even readouts,
/// `i32::MIN` for odd ones.
pub fn extreme_values(n_out: usize) -> Vec<i32> {
    (0..n_out)
        .map(|k| if k % 2 == 0 { i32::MAX } else { i32::MIN })
        .collect()
}

/// A training run for [`drive`]: `steps` steps, samples of `sample` steps, inputs
/// that spike with probability `p_in` percent.
pub struct Run {
    /// Steps in all.
    pub steps: u32,
    /// Steps of a sample.
    pub sample: u32,
    /// The probability of each input spiking at a step, percent.
    pub p_in: u32,
}

/// Train `chip` on `mem` for a [`Run`]: at each step `t`, random inputs
/// ([`draw_input`] from `s`), a step, a learning step toward `target(t, s)`, and at
/// the end of each sample its end; `check` the memory after each of them.
pub fn drive<'v>(
    chip: &mut Chip,
    mem: &mut Memory<'_>,
    run: Run,
    s: &mut u64,
    mut target: impl FnMut(u32, &mut u64) -> Target<'v>,
    mut check: impl FnMut(&Memory<'_>) -> Result<(), TestCaseError>,
) -> Result<(), TestCaseError> {
    let mut x = bitvec![u32, Lsb0; 0; mem.layout.n_in];
    for t in 0..run.steps {
        draw_input(&mut x, s, run.p_in);
        chip.step(mem, &x).unwrap();
        check(mem)?;
        chip.learn(mem, target(t, s)).unwrap();
        check(mem)?;
        if t % run.sample == run.sample - 1 {
            chip.end_sample(mem).unwrap();
            check(mem)?;
        }
    }
    Ok(())
}
