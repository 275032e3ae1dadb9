//! The neurochip command line, as a library so tests can drive it.
#![deny(unsafe_code)]

pub mod config;
