//! The STDP assembly application: runs the assembly image embedded at build time
//! (`$NEUROCHIP_ASSEMBLY_IMAGE`, else `images/assembly.img`, written by `neurochip
//! assembly --export FILE`): an area under a k-cap, its wiring, a schedule of stimuli
//! and the steps to run. The image is checked (header, CRC, every field), the area is
//! carved out of static arenas (about 140 KB: up to 64,000 weights, 1,024 neurons and
//! 1,024 inputs) and run; it prints `assembly DIGEST steps=N spikes=N`, the line
//! `neurochip run-image FILE` prints. The committed image is the digest workload
//! (`AssemblySpec::WORKLOAD`: 200 neurons, k = 20, 200 steps). QEMU only: the arenas
//! do not fit the STM32F411's 128 KiB of RAM.
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use neurochip_firmware::{out, report, standalone};
use neurochip_tasks::app::Standalone;
use neurochip_tasks::assembly::carve;

/// The assembly image, embedded by build.rs.
static IMAGE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/assembly.img"));

/// Most weights, afferent and recurrent (`n * n_in + n * n`; the workload has 64,000).
const MAX_WEIGHTS: usize = 64_000;
/// Most neurons.
const MAX_N: usize = 1024;
/// Most inputs.
const MAX_IN: usize = 1024;

struct Bufs {
    weights: [i16; MAX_WEIGHTS],
    v: [i32; MAX_N],
    z: [bool; MAX_N],
    traces: [u16; MAX_IN + 2 * MAX_N],
    x: [bool; MAX_IN],
}

/// Run the image and print `assembly DIGEST steps=N spikes=N`.
fn run() -> bool {
    let Some(spec) = standalone(IMAGE, "assembly", Standalone::assembly) else {
        return false;
    };
    let Some(b) = cortex_m::singleton!(: Bufs = Bufs {
        weights: [0; MAX_WEIGHTS],
        v: [0; MAX_N],
        z: [false; MAX_N],
        traces: [0; MAX_IN + 2 * MAX_N],
        x: [false; MAX_IN],
    }) else {
        return false;
    };
    let r = carve(
        &spec.area,
        &mut b.weights,
        &mut b.v,
        &mut b.z,
        &mut b.traces,
    )
    .and_then(|mut mem| spec.run(&mut mem, &mut b.x));
    report(r, |r| out!("{}", r))
}

#[entry]
fn main() -> ! {
    neurochip_firmware::main(run)
}
