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
use neurochip_core::{image, Chip, Memory};
use neurochip_tasks::app::AppSpec;
use neurochip_tasks::runner::{run_app, Event};

#[cfg(all(feature = "qemu", feature = "stm32f411"))]
compile_error!("choose one board profile: --features qemu (default) or --no-default-features --features stm32f411");
#[cfg(not(any(feature = "qemu", feature = "stm32f411")))]
compile_error!("choose a board profile: --features qemu (default) or --no-default-features --features stm32f411");

/// Print a line on the board's console (semihosting on QEMU, RTT on a board).
macro_rules! out {
    ($($t:tt)*) => {{
        #[cfg(feature = "qemu")]
        cortex_m_semihosting::hprintln!($($t)*);
        #[cfg(feature = "stm32f411")]
        rtt_target::rprintln!($($t)*);
    }};
}

/// End the program with a status: QEMU exits with it; a board stops at a breakpoint
/// (probe-rs reports it) after printing the status.
fn exit(ok: bool) -> ! {
    #[cfg(feature = "qemu")]
    cortex_m_semihosting::debug::exit(if ok {
        cortex_m_semihosting::debug::EXIT_SUCCESS
    } else {
        cortex_m_semihosting::debug::EXIT_FAILURE
    });
    #[cfg(feature = "stm32f411")]
    {
        out!("exit {}", if ok { 0 } else { 1 });
        cortex_m::asm::bkpt();
    }
    #[allow(clippy::empty_loop)]
    loop {}
}

/// The chip image, embedded by build.rs.
static IMAGE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/chip.img"));

// Chip memories: QEMU has 4 MiB of data SSRAM, the STM32F411 128 KiB.
#[cfg(feature = "qemu")]
const W16: usize = 120_000;
#[cfg(feature = "qemu")]
const W32: usize = 200_000;
#[cfg(feature = "qemu")]
const WU: usize = 60_000;
#[cfg(not(feature = "qemu"))]
const W16: usize = 24_000;
#[cfg(not(feature = "qemu"))]
const W32: usize = 10_000;
#[cfg(not(feature = "qemu"))]
const WU: usize = 4_000;
const MAX_INPUTS: usize = 4096;
const MAX_OUTPUTS: usize = 64;

struct Arenas {
    w16: [i16; W16],
    w32: [i32; W32],
    wu: [u32; WU],
}

#[entry]
fn main() -> ! {
    #[cfg(feature = "stm32f411")]
    rtt_target::rtt_init_print!();
    exit(run())
}

fn run() -> bool {
    let decoded = match image::decode(IMAGE) {
        Ok(d) => d,
        Err(e) => {
            out!("error: chip image refused: {}", e);
            return false;
        }
    };
    let cfg = decoded.config;
    let app = match AppSpec::decode(decoded.app) {
        Ok(a) => a,
        Err(e) => {
            out!("error: chip image refused: {}", e);
            return false;
        }
    };
    let Some(a) =
        cortex_m::singleton!(: Arenas = Arenas { w16: [0; W16], w32: [0; W32], wu: [0; WU] })
    else {
        return false;
    };
    if let Err(e) = decoded.load(&mut a.w16, &mut a.w32, &mut a.wu) {
        out!("error: chip image refused: {}", e);
        return false;
    }
    let layout = cfg.layout();
    let Ok(mut mem) = Memory::carve(&layout, &mut a.w16, &mut a.w32, &mut a.wu) else {
        out!("error: chip memory too small for this image");
        return false;
    };
    let Ok(mut chip) = Chip::new(cfg, &mem) else {
        return false;
    };
    if cfg.n_in() > MAX_INPUTS || cfg.n_out() > MAX_OUTPUTS {
        out!("error: the image has more inputs or readouts than this firmware buffers");
        return false;
    }
    out!(
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
        Event::Sample { index, spikes } => out!("sample {} spikes {}", index, spikes),
        Event::Epoch {
            epoch,
            train_correct,
            train_samples,
            test_correct,
            test_samples,
        } => out!(
            "epoch {} train {}/{} test {}/{}",
            epoch,
            train_correct,
            train_samples,
            test_correct,
            test_samples
        ),
    });
    if let Err(e) = res {
        out!("error: {}", e);
        return false;
    }
    out!("digest {:016x}", chip.digest());
    true
}

#[panic_handler]
fn panic(_: &PanicInfo) -> ! {
    out!("error: panic");
    exit(false)
}
