//! UCI 8x8 optical handwritten digits (Alpaydin and Kaynak 1998, CC BY 4.0;
//! the 1797-sample set shipped with scikit-learn, copied to
//! `data/uci-digits/` with its attribution).
//!
//! - [`RateEncoder`], [`LatencyEncoder`] (no_std): an image of 64 pixel counts
//!   `0..=16` to spikes, one channel per pixel (two with on/off latency coding).
//! - [`load_digits`], [`Digits`], [`Digits::split`] (feature `std`): the gzipped
//!   CSV loader and the project's fixed, stratified 1297 / 500 train / test split.

mod encode;
#[cfg(feature = "std")]
mod load;
#[cfg(feature = "std")]
mod split;

pub use encode::{LatencyEncoder, RateEncoder};
#[cfg(feature = "std")]
pub use load::{decode_digits_gz, load_digits, parse_digits, Digits, DigitsError, MAX_CSV_BYTES};
#[cfg(feature = "std")]
pub use split::SPLIT_SEED;

/// Pixels per image (8 x 8, row-major).
pub const N_PIXELS: usize = 64;
/// Largest pixel count (each pixel counts set bits in a 4x4 block).
pub const MAX_PIXEL: u8 = 16;
/// Number of classes (digits 0..=9).
pub const N_CLASSES: usize = 10;
/// Number of samples in the shipped data set.
pub const N_SAMPLES: usize = 1797;
/// Size of the fixed test split.
pub const N_TEST: usize = 500;
/// Size of the fixed training split.
pub const N_TRAIN: usize = N_SAMPLES - N_TEST;

/// One image: 64 pixel counts, row-major.
pub type Image = [u8; N_PIXELS];
