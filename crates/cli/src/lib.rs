//! # neurochip (command line)
//!
//! The one binary of the project, as a library so tests can drive every command:
//! [`config`] reads and checks a chip configuration, [`build`] turns it into a float
//! network, a chip and a stimulus, [`sim`] runs the chip alone or beside the float
//! reference.
#![deny(unsafe_code)]

pub mod build;
pub mod config;
pub mod cycles;
pub mod experiment;
pub mod export;
pub mod init;
pub mod learn;
pub mod peer;
pub mod plot;
pub mod runs;
pub mod sim;
pub mod solve;
pub mod sweep;
pub mod task;
pub mod train;
