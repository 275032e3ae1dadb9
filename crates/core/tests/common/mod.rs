//! Test support shared by the core's integration tests: the three memory arenas of a
//! configuration, the xorshift stream the property tests draw their weights, gains
//! and inputs from, and the small learning chip most of them build.
//!
//! Every test binary uses a part of it.
#![allow(dead_code)]

use bitvec::prelude::*;
use neurochip_core::format::Format;
use neurochip_core::learning::{Apply, Engine, Learning};
use neurochip_core::{ChipConfig, ConfigBuilder, Formats, Memory, Rounding, Shifts};

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
