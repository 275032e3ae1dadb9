//! neurochip firmware: the chip image embedded at build time is checked (header,
//! version, CRC, configuration), loaded into static chip memories, and run with the
//! same `neurochip-core` datapath and the same task generators and run loop as the
//! host (`neurochip_tasks::runner`): inference samples, or on-chip e-prop training with
//! a test after every epoch. It prints the per-epoch accuracy and the trace digest over
//! semihosting and exits with a status code.
#![no_std]
#![no_main]

use core::panic::PanicInfo;

use bitvec::prelude::*;
use cortex_m_rt::entry;
use cortex_m_semihosting::{debug, hprintln};
use neurochip_core::{image, Chip, Memory};
use neurochip_tasks::app::AppSpec;
use neurochip_tasks::runner::{run_app, Event};

/// The chip image, embedded by build.rs.
static IMAGE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/chip.img"));

const W16: usize = 120_000;
const W32: usize = 200_000;
const WU: usize = 60_000;
const MAX_INPUTS: usize = 4096;
const MAX_OUTPUTS: usize = 64;

struct Arenas {
    w16: [i16; W16],
    w32: [i32; W32],
    wu: [u32; WU],
}

#[entry]
fn main() -> ! {
    let ok = run();
    debug::exit(if ok {
        debug::EXIT_SUCCESS
    } else {
        debug::EXIT_FAILURE
    });
    #[allow(clippy::empty_loop)]
    loop {}
}

fn run() -> bool {
    let decoded = match image::decode(IMAGE) {
        Ok(d) => d,
        Err(e) => {
            hprintln!("error: chip image refused: {}", e);
            return false;
        }
    };
    let cfg = decoded.config;
    let app = match AppSpec::decode(decoded.app) {
        Ok(a) => a,
        Err(e) => {
            hprintln!("error: chip image refused: {}", e);
            return false;
        }
    };
    let Some(a) =
        cortex_m::singleton!(: Arenas = Arenas { w16: [0; W16], w32: [0; W32], wu: [0; WU] })
    else {
        return false;
    };
    if let Err(e) = decoded.load(&mut a.w16, &mut a.w32, &mut a.wu) {
        hprintln!("error: chip image refused: {}", e);
        return false;
    }
    let layout = cfg.layout();
    let Ok(mut mem) = Memory::carve(&layout, &mut a.w16, &mut a.w32, &mut a.wu) else {
        hprintln!("error: chip memory too small for this image");
        return false;
    };
    let Ok(mut chip) = Chip::new(cfg, &mem) else {
        return false;
    };
    if cfg.n_in() > MAX_INPUTS || cfg.n_out() > MAX_OUTPUTS {
        hprintln!("error: the image has more inputs or readouts than this firmware buffers");
        return false;
    }
    hprintln!(
        "neurochip firmware: {} inputs, {} neurons, {} readouts, learning {:?}",
        cfg.n_in(),
        cfg.n_rec(),
        cfg.n_out(),
        cfg.learning().engine
    );
    let mut xbuf = bitarr![u32, Lsb0; 0; MAX_INPUTS];
    let x = &mut xbuf[..cfg.n_in()];
    let mut sums_buf = [0i64; MAX_OUTPUTS];
    let sums = &mut sums_buf[..cfg.n_out()];
    let res = run_app(&mut chip, &mut mem, &app, x, sums, |ev| match ev {
        Event::Sample { index, spikes } => hprintln!("sample {} spikes {}", index, spikes),
        Event::Epoch {
            epoch,
            train_correct,
            train_samples,
            test_correct,
            test_samples,
        } => hprintln!(
            "epoch {} train {}/{} test {}/{}",
            epoch,
            train_correct,
            train_samples,
            test_correct,
            test_samples
        ),
    });
    if let Err(e) = res {
        hprintln!("error: {}", e);
        return false;
    }
    hprintln!("digest {:016x}", chip.digest());
    true
}

#[panic_handler]
fn panic(_: &PanicInfo) -> ! {
    hprintln!("error: panic");
    debug::exit(debug::EXIT_FAILURE);
    loop {}
}
