//! Deterministic task generators for the neurochip model.
//!
//! Every generator here is *counter based*: the spike of input channel `c` at
//! time step `t` of sample `s` is a pure function of `(seed, s, t, c)` (see
//! [`rng`]). No generator keeps state, so the host, the cycle-level emulator and
//! the Cortex-M firmware can regenerate any step of any sample and get the same
//! bits. Integer hashing decides every random event; the few float quantities
//! (probabilities from rates, sinusoid targets) are computed with plain IEEE
//! `f32` operations and [`libm`], never with fused multiply-add or platform
//! intrinsics, so x86-64 and thumbv7em agree bit for bit.
//!
//! Tasks (one per module):
//! - [`poisson`]: independent Poisson (Bernoulli-per-step) input channels.
//! - [`cue`]: evidence accumulation (cue accumulation) of Bellec et al. 2020, Fig. 3.
//! - [`pattern`]: pattern generation (regression on sums of sinusoids), Fig. 2.
//! - [`store_recall`]: the store-recall working-memory task (e-prop / LSNN).
//! - [`audio`]: sound through the front end (`neurochip_core::audio`) into a spike
//!   raster, `2 * bands` channels a step.
//! - [`kws`] (feature `audio`): keyword-spotting clips compiled into a chip image.
//! - [`digits`]: UCI 8x8 handwritten digits: spike encoders (no_std) and the
//!   loader and fixed train/test split (feature `std`).
//!
//! The run loop (one for every model and workload, host and firmware alike):
//! - [`sample`]: a sample (spikes, target and label per step) and a source of them;
//! - [`model`]: the interface the chip, the cycle model and the float twin offer;
//! - [`runner`]: a sample's steps, a plan's order, an image's plan.
//!
//! # Spike vector convention
//! Inputs are written into a caller-provided [`Spikes`] (`BitSlice<u32, Lsb0>`,
//! the chip's input format). A generator with `n` channels writes channel `c`
//! to bit `c` for `c < min(out.len(), n)` and clears any bits of `out` at or
//! past `n`. A short buffer gets the first `out.len()` channels; nothing
//! panics. No generator allocates.
//!
//! # Quick start
//! ```
//! use bitvec::prelude::*;
//! use neurochip_tasks::CueConfig;
//!
//! let cfg = CueConfig::default(); // 7 cues, 2250 steps of 1 ms, 40 inputs
//! cfg.check()?;
//! let sample = cfg.sample(42);
//! let mut buf = [0u32; 2];
//! let spikes = &mut buf.view_bits_mut::<Lsb0>()[..sample.n_inputs()];
//! let mut recall_steps = 0;
//! for t in 0..sample.steps() {
//!     sample.spikes(t, spikes); // same bits on the host and the firmware
//!     recall_steps += u32::from(sample.in_recall(t));
//! }
//! assert_eq!(recall_steps, 150);
//! assert!(sample.label() <= 1);
//! # Ok::<(), neurochip_tasks::TaskError>(())
//! ```
//!
//! # Validation
//! Each task has a plain configuration struct with `Default` (the papers'
//! values where they give them; each field's doc states its default) and `check() -> Result<(), TaskError>`. Generators never panic, even
//! for configurations that fail `check()`; their output is then meaningless.
#![cfg_attr(not(any(feature = "std", test)), no_std)]
#![deny(unsafe_code)]
#![deny(missing_docs)]
#![deny(clippy::unwrap_used, clippy::expect_used)]
#![deny(clippy::panic, clippy::indexing_slicing)]

pub mod app;
#[cfg(feature = "assembly")]
pub mod assembly;
pub mod audio;
pub mod cue;
pub mod digits;
mod error;
#[cfg(feature = "audio")]
pub mod kws;
pub mod model;
#[cfg(feature = "reward")]
pub mod navigation;
pub mod pattern;
pub mod poisson;
#[cfg(feature = "reward")]
pub mod reward_cue;
pub mod rng;
pub mod runner;
pub mod sample;
#[cfg(feature = "solver")]
pub mod solver;
mod source;
pub mod store_recall;
#[cfg(feature = "user")]
pub mod user;

pub use cue::{CueConfig, CueSample};
pub use error::TaskError;
pub use pattern::{Pattern, PatternConfig};
pub use poisson::PoissonInput;
pub use source::{fill, fill_populations, SpikeSource};
pub use store_recall::{StoreRecallConfig, StoreRecallSample};

/// A spike vector: one bit per input channel, the chip's input format.
pub type Spikes = bitvec::slice::BitSlice<u32, bitvec::order::Lsb0>;
