//! # neurochip-core
//!
//! The fixed-point datapath of the neurochip neuromorphic chip, written the way the
//! chip computes it: `#![no_std]`, no allocation, no panics, and every arithmetic
//! operation saturating, wrapping or rounding on purpose, so that debug and release
//! builds, the host and a Cortex-M microcontroller compute the same bits.
//!
//! The chip holds its state in memory that the caller provides ([`Memory`]), the way
//! a chip holds it in SRAM: the host allocates vectors, firmware uses statics.
//! A configuration is validated once into a [`ChipConfig`]; after that, stepping the
//! chip cannot fail except for a wrongly sized input.
//!
//! ```
//! use neurochip_core::{Chip, ConfigBuilder, MemoryBuffers};
//! # use bitvec::prelude::*;
//! let cfg = ConfigBuilder::new(4, 8, 2).build().unwrap();
//! let layout = cfg.layout();
//! let mut bufs = MemoryBuffers::<512, 512, 512>::new();
//! let mut mem = bufs.carve(&layout).unwrap();
//! mem.init_default_params(&cfg);
//! let mut chip = Chip::new(cfg, &mem).unwrap();
//! let input = bitarr![u32, Lsb0; 1, 0, 1, 1];
//! let out = chip.step(&mut mem, &input[..4]).unwrap();
//! assert_eq!(out.spikes, 0);
//! ```
#![cfg_attr(not(test), no_std)]
#![deny(unsafe_code)]
#![deny(missing_docs)]
#![deny(clippy::unwrap_used, clippy::expect_used)]
#![deny(clippy::panic, clippy::indexing_slicing)]
#![cfg_attr(not(test), deny(clippy::arithmetic_side_effects))]

#[cfg(feature = "assembly")]
pub mod assembly;
pub mod audio;
pub mod board;
pub mod chip;
pub mod classes;
pub mod config;
pub mod digest;
pub mod eprop;
pub mod format;
pub mod hash;
pub mod image;
pub mod learning;
pub mod memory;
pub mod neuron;
#[cfg(feature = "persist")]
pub mod persist;
pub mod prng;
#[cfg(feature = "persist")]
pub mod ramflash;
pub mod ranges;
pub mod readout;
pub mod release;
pub mod reward;
pub mod rewire;
pub mod round;
pub mod semantic;
pub mod softmax;
#[cfg(feature = "solver")]
pub mod solver;
#[cfg(feature = "assembly")]
pub mod stdp;
pub mod synapse;
pub mod trace;
pub mod update;
pub mod words;

pub use chip::{Chip, Datapath, StepError, StepOutput};
pub use config::{ChipConfig, ChipLimits, ConfigBuilder, ConfigError, Formats, Shifts};
pub use digest::Digest;
pub use eprop::Target;
pub use format::{Decay, Format};
pub use learning::{Apply, Engine, Feedback, Learning, Loss};
pub use memory::{Layout, Memory, MemoryBuffers, MemoryError};
pub use prng::Prng;
pub use round::Rounding;
