//! Link with cortex-m-rt's `link.x` with the board's memory map (`memory-qemu.x` or
//! `memory-stm32f411.x`, copied to `memory.x`), and
//! embed the chip image: `$NEUROCHIP_IMAGE` if set, else `images/default.img`
//! (written by `neurochip export`); with the `solver` feature, also the solver's
//! application image: `$NEUROCHIP_SOLVER_IMAGE` if set, else `images/solver.img`
//! (written by `neurochip solve FILE --export`); with the `assembly` feature, the
//! assembly's: `$NEUROCHIP_ASSEMBLY_IMAGE`, else `images/assembly.img` (written by
//! `neurochip assembly --export`).
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

    embed(
        &out,
        "NEUROCHIP_IMAGE",
        "images/default.img",
        "chip.img",
        "`neurochip export CONFIG -o FILE`",
    );
    if env::var_os("CARGO_FEATURE_SOLVER").is_some() {
        embed(
            &out,
            "NEUROCHIP_SOLVER_IMAGE",
            "images/solver.img",
            "solver.img",
            "`neurochip solve FILE --seed N --export FILE`",
        );
    }
    if env::var_os("CARGO_FEATURE_ASSEMBLY").is_some() {
        embed(
            &out,
            "NEUROCHIP_ASSEMBLY_IMAGE",
            "images/assembly.img",
            "assembly.img",
            "`neurochip assembly --export FILE`",
        );
    }
}

/// Copy the image named by `$var` (else `default`) to `OUT_DIR/name`.
fn embed(out: &std::path::Path, var: &str, default: &str, name: &str, how: &str) {
    println!("cargo:rerun-if-env-changed={var}");
    let image = env::var_os(var)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(default));
    println!("cargo:rerun-if-changed={}", image.display());
    let bytes = fs::read(&image).unwrap_or_else(|e| {
        panic!(
            "cannot read the image {}: {e}; write one with {how} and point {var} at it",
            image.display()
        )
    });
    fs::write(out.join(name), bytes).expect("OUT_DIR is writable");
}
