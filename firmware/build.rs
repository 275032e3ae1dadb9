//! Link with cortex-m-rt's `link.x` with the board's memory map (`memory-qemu.x` or
//! `memory-stm32f411.x`, copied to `memory.x`), and
//! embed the chip image: `$NEUROCHIP_IMAGE` if set, else `images/default.img`
//! (written by `neurochip export`).
use std::{env, fs, path::PathBuf};

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let board = if env::var_os("CARGO_FEATURE_STM32F411").is_some() {
        "memory-stm32f411.x"
    } else {
        "memory-qemu.x"
    };
    fs::copy(board, out.join("memory.x")).expect("the memory maps are next to build.rs");
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed=memory-qemu.x");
    println!("cargo:rerun-if-changed=memory-stm32f411.x");
    println!("cargo:rustc-link-arg=-Tlink.x");

    println!("cargo:rerun-if-env-changed=NEUROCHIP_IMAGE");
    let image = env::var_os("NEUROCHIP_IMAGE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("images/default.img"));
    println!("cargo:rerun-if-changed={}", image.display());
    let bytes = fs::read(&image).unwrap_or_else(|e| {
        panic!(
            "cannot read the chip image {}: {e}; write one with `neurochip export CONFIG -o FILE` \
             and point NEUROCHIP_IMAGE at it",
            image.display()
        )
    });
    fs::write(out.join("chip.img"), bytes).expect("OUT_DIR is writable");
}
