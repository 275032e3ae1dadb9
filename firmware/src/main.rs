//! neurochip firmware: a LIF chip driven by Poisson input, stepped on the
//! microcontroller with the same `neurochip-core` as the host; prints its trace
//! digest over semihosting and exits with a status code.
#![no_std]
#![no_main]

use core::panic::PanicInfo;

use bitvec::prelude::*;
use cortex_m_rt::entry;
use cortex_m_semihosting::{debug, hprintln};
use neurochip_core::{Chip, ConfigBuilder, MemoryBuffers, Shifts};
use neurochip_tasks::poisson::PoissonInput;
use neurochip_tasks::rng::hash;

const N_IN: usize = 16;
const N_REC: usize = 32;
const N_OUT: usize = 2;
const STEPS: u32 = 1000;

#[entry]
fn main() -> ! {
    let status = run();
    debug::exit(if status {
        debug::EXIT_SUCCESS
    } else {
        debug::EXIT_FAILURE
    });
    #[allow(clippy::empty_loop)]
    loop {}
}

fn run() -> bool {
    let Ok(cfg) = ConfigBuilder::new(N_IN, N_REC, N_OUT)
        .shifts(Shifts {
            input: 4,
            recurrent: 3,
            output: 0,
        })
        .refractory(2)
        .seed(7)
        .build()
    else {
        hprintln!("error: configuration refused");
        return false;
    };
    // The chip memories: taken once, before anything else runs.
    let bufs = cortex_m::singleton!(: MemoryBuffers<4096, 1024, 1024> = MemoryBuffers::new());
    let Some(bufs) = bufs else {
        return false;
    };
    let layout = cfg.layout();
    let Ok(mut mem) = bufs.carve(&layout) else {
        hprintln!("error: chip memory too small");
        return false;
    };
    mem.init_default_params(&cfg);
    for (k, w) in mem.w_in.iter_mut().enumerate() {
        *w = (hash(7, 1, k as u64, 0) % 97) as i16 - 30;
    }
    for (k, w) in mem.w_rec.iter_mut().enumerate() {
        *w = (hash(7, 2, k as u64, 0) % 61) as i16 - 30;
    }
    let Ok(mut chip) = Chip::new(cfg, &mem) else {
        return false;
    };
    let gen = PoissonInput {
        n: N_IN,
        rate_hz: 40.0,
        dt_ms: 1.0,
        seed: 7,
    };
    let mut x = bitarr![u32, Lsb0; 0; N_IN];
    let mut spikes = 0u32;
    for t in 0..STEPS {
        gen.spikes(0, t, &mut x[..N_IN]);
        match chip.step(&mut mem, &x[..N_IN]) {
            Ok(o) => spikes = spikes.wrapping_add(o.spikes),
            Err(_) => return false,
        }
    }
    hprintln!(
        "neurochip firmware: {} steps, {} spikes, digest {:016x}",
        STEPS,
        spikes,
        chip.digest()
    );
    true
}

#[panic_handler]
fn panic(_: &PanicInfo) -> ! {
    hprintln!("panic");
    debug::exit(debug::EXIT_FAILURE);
    loop {}
}
