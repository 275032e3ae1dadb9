//! The STDP assembly application: the digest workload of
//! `neurochip_tasks::assembly::workload` (200 steps of a 200-neuron area under a
//! k-cap) in static buffers of about 130 KB; prints the host's digest line.
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use neurochip_firmware::{out, report};

use neurochip_core::assembly::AreaMemory;
use neurochip_tasks::assembly::{workload, STIMULI, STIM_SIZE, WORKLOAD_K, WORKLOAD_N};

const N: usize = WORKLOAD_N;
const M: usize = STIMULI * STIM_SIZE;
const _: () = assert!(WORKLOAD_K <= N);

struct Bufs {
    w_in: [i16; N * M],
    w_rec: [i16; N * N],
    v: [i32; N],
    z: [bool; N],
    tr_in: [u16; M],
    tr_pre: [u16; N],
    tr_post: [u16; N],
    x: [bool; M],
}

/// Run the workload and print `assembly DIGEST steps=200 spikes=N`.
fn run() -> bool {
    let Some(b) = cortex_m::singleton!(: Bufs = Bufs {
        w_in: [0; N * M],
        w_rec: [0; N * N],
        v: [0; N],
        z: [false; N],
        tr_in: [0; M],
        tr_pre: [0; N],
        tr_post: [0; N],
        x: [false; M],
    }) else {
        return false;
    };
    let mut mem = AreaMemory {
        w_in: &mut b.w_in,
        w_rec: &mut b.w_rec,
        v: &mut b.v,
        z: &mut b.z,
        tr_in: &mut b.tr_in,
        tr_pre: &mut b.tr_pre,
        tr_post: &mut b.tr_post,
    };
    report(workload(&mut mem, &mut b.x, 200), |(d, spikes)| {
        out!("assembly {:016x} steps=200 spikes={}", d, spikes)
    })
}

#[entry]
fn main() -> ! {
    neurochip_firmware::main(run)
}
