//! # neurochip-ref
//!
//! The float reference of the neurochip equations, in `f64`: the same network as the
//! fixed-point chip ([`Network`]), stepped with exact arithmetic ([`Reference`]).
//! The chip is verified against it: built from the chip's dequantised weights, only
//! arithmetic differs; built from the original float weights, quantisation is
//! included too.
#![deny(unsafe_code)]
#![deny(missing_docs)]
// Numerical code indexes several arrays with one index; iterator chains would hide the maths.
#![allow(clippy::needless_range_loop)]

pub mod audio;
pub mod bptt;
pub mod eprop;
pub mod network;
pub mod reward;
pub mod sim;
pub mod stdp;

pub use eprop::{Classes, Decays, FTarget, Grads, LearnParams, Learner, RateScale, Rule};
pub use network::Network;
pub use sim::Reference;
