//! # neurochip-lab
//!
//! What is built on the host library ([`neurochip_emu`]) to study the chip: the
//! experiments of `docs/experiments.md` ([`experiment`]), sweeps over engines, formats,
//! seeds and architectures ([`sweep`]), run folders with their reports ([`runs`]) and the
//! plots they draw ([`plot`]).
#![deny(unsafe_code)]

pub mod experiment;
pub mod plot;
pub mod runs;
pub mod sweep;
