//! # neurochip-emu
//!
//! The chip on the host: [`HostChip`] owns the chip memories in vectors and steps the
//! `neurochip-core` datapath; [`quantize`] maps a float [`neurochip_ref::Network`]
//! onto a chip configuration, choosing the per-layer shifts; [`dequantize`] maps the
//! chip back to floats, so the float reference can run with exactly the chip's
//! weights and parameters; [`rates`] says what a learning rate means (one unit for
//! both engines), which shift realises it, and which rates cannot move any weight.
//!
//! Above the chip, the host library: [`config`] reads and checks a chip configuration
//! file, [`build`] turns it into a float network, a chip and a task, [`train`] and
//! [`learn`] train the chip (and its float twin), [`sim`] runs and verifies it beside
//! the f64 reference, [`probe`] records one sample step by step, [`arch_run`] steps it
//! through the cycle model of an architecture, [`export`] writes and runs chip images,
//! [`csp`] reads constraint problems for the solver; [`apps`] writes, runs and
//! describes application images (the solver's and the assemblies'); [`checkpoint`]
//! keeps a training run's work (checkpoints, and a snapshot when [`stop`] says a
//! signal came); [`weights`] reads and writes a chip's weights, quantised or as
//! real values, checked as images are, and [`weights_file`] as numpy `.npz` files
//! ([`npz`]); [`dataset`] reads a user's event and feature data sets. Sound: [`audio`] makes the chip's front end
//! from settings in real units and turns clips into spikes, [`wav`] reads WAV files,
//! [`speech`] reads a folder in the Speech Commands layout, [`kws`] encodes one for
//! `[task] kind = "audio"`.
#![deny(unsafe_code)]
#![deny(missing_docs)]

pub mod app_cost;
pub mod apps;
pub mod arch;
pub mod arch_run;
pub mod audio;
pub mod batch;
pub mod budget;
pub mod build;
pub mod checkpoint;
pub mod config;
pub mod confusion;
pub mod csp;
pub mod cycle;
pub mod dataset;
pub mod export;
pub mod footprint;
pub mod host;
pub mod init;
pub mod inputs;
pub mod kws;
pub mod learn;
pub mod npz;
pub mod outputs;
pub mod peer;
pub mod probe;
pub mod quant;
pub mod rates;
pub mod reward;
pub mod sim;
pub mod simd;
pub mod snapshot;
pub mod speech;
pub mod stop;
pub mod task;
pub mod train;
pub mod wav;
pub mod weights;
pub mod weights_file;

pub use arch::Arch;
pub use cycle::{CycleChip, CycleModel, CycleReport, FitError};
pub use footprint::{footprint, Footprint};
pub use host::HostChip;
pub use quant::{dequantize, quantize, LearnSpec, QuantError, QuantOptions};
pub use rates::{effective_rates, twin_rates, LayerRates};

/// The value named `s` among `choices` (name, value), else the error "`s` is not a
/// `what`; allowed: " and the names: the parse of a command-line choice.
pub(crate) fn choose<T: Copy>(s: &str, what: &str, choices: &[(&str, T)]) -> Result<T, String> {
    match choices.iter().find(|(name, _)| *name == s) {
        Some(&(_, v)) => Ok(v),
        None => {
            let names: Vec<&str> = choices.iter().map(|&(name, _)| name).collect();
            Err(format!(
                "`{s}` is not a {what}; allowed: {}",
                names.join(", ")
            ))
        }
    }
}

/// `FromStr` for a command-line choice `ty` (a `what`) by [`choose`]: each name and
/// the value it stands for.
macro_rules! choice_from_str {
    ($ty:ty, $what:literal, [$($name:literal => $value:expr),+ $(,)?]) => {
        impl std::str::FromStr for $ty {
            type Err = String;

            fn from_str(s: &str) -> Result<Self, String> {
                $crate::choose(s, $what, &[$(($name, $value)),+])
            }
        }
    };
}
pub(crate) use choice_from_str;

/// A fresh, empty folder `neurochip-{name}-XXXXXX` under the temporary directory, for
/// a unit test's files, of this call alone: it is removed when the guard is dropped,
/// so keep it for the whole test.
#[cfg(test)]
pub(crate) fn test_dir(name: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("neurochip-{name}-"))
        .tempdir()
        .unwrap()
}
