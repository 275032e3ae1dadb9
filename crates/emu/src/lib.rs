//! # neurochip-emu
//!
//! The chip on the host: [`HostChip`] owns the chip memories in vectors and steps the
//! `neurochip-core` datapath; [`quantize`] maps a float [`neurochip_ref::Network`]
//! onto a chip configuration, choosing the per-layer shifts; [`dequantize`] maps the
//! chip back to floats, so the float reference can run with exactly the chip's
//! weights and parameters.
#![deny(unsafe_code)]
#![deny(missing_docs)]

pub mod arch;
pub mod batch;
pub mod cycle;
pub mod footprint;
pub mod host;
pub mod quant;
pub mod snapshot;

pub use arch::Arch;
pub use cycle::{CycleChip, CycleModel, CycleReport, FitError};
pub use footprint::{footprint, Footprint};
pub use host::HostChip;
pub use quant::{
    dequantize, effective, effective_rates, quantize, EffectiveRates, LearnSpec, QuantError,
    QuantOptions,
};
