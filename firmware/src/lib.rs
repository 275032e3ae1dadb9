//! What every neurochip firmware application shares: the board profile (QEMU
//! `mps2-an386` by semihosting, or an STM32F411 over RTT), its console line ([`out!`]),
//! its exit, and the panic handler. Each application is one binary: `src/main.rs`
//! (`neurochip-firmware`, the embedded chip image) and `src/bin/*.rs` (the solver and
//! the assemblies, each from its embedded application image).
#![no_std]

use core::panic::PanicInfo;

#[cfg(all(feature = "qemu", feature = "stm32f411"))]
compile_error!("choose one board profile: --features qemu (default) or --no-default-features --features stm32f411");
#[cfg(not(any(feature = "qemu", feature = "stm32f411")))]
compile_error!("choose a board profile: --features qemu (default) or --no-default-features --features stm32f411");

#[cfg(feature = "qemu")]
#[doc(hidden)]
pub use cortex_m_semihosting::hprintln as __println;
#[cfg(feature = "stm32f411")]
#[doc(hidden)]
pub use rtt_target::rprintln as __println;

/// Longest console line in bytes; a longer one is cut and ends in `...`.
pub const LINE: usize = 160;

/// Print a line on the board's console (semihosting on QEMU, RTT on a board): it is
/// formatted into a bounded buffer ([`LINE`] bytes) first, then written in one piece.
#[macro_export]
macro_rules! out {
    ($($t:tt)*) => {{
        $crate::print_line(format_args!($($t)*));
    }};
}

/// Format `args` into a `heapless::String` of [`LINE`] bytes and print it.
#[doc(hidden)]
pub fn print_line(args: core::fmt::Arguments<'_>) {
    use core::fmt::Write;
    let mut line: heapless::String<LINE> = heapless::String::new();
    if line.write_fmt(args).is_err() {
        // What fit stays; mark the cut.
        while line.len() > LINE - 3 {
            line.pop();
        }
        let _ = line.push_str("...");
    }
    __println!("{}", line.as_str());
}

/// An application's `main`: set up the console, run `app`, exit with its status.
pub fn main(app: impl FnOnce() -> bool) -> ! {
    init();
    exit(app())
}

/// A workload's result: its line (printed by `line`) and success, or the error line
/// and failure.
pub fn report<T, E: core::fmt::Display>(r: Result<T, E>, line: impl FnOnce(T)) -> bool {
    match r {
        Ok(v) => {
            line(v);
            true
        }
        Err(e) => {
            out!("error: {}", e);
            false
        }
    }
}

/// The standalone application (the solver, the assemblies) of an embedded
/// application image that `pick` takes, or `None` after its refusal line (`error:
/// NAME image refused: REASON`: a bad header, CRC or field, or another application).
#[cfg(any(feature = "solver", feature = "assembly"))]
pub fn standalone<T>(
    image: &'static [u8],
    name: &str,
    pick: impl FnOnce(neurochip_tasks::app::Standalone<'static>) -> Option<T>,
) -> Option<T> {
    use neurochip_core::image::{decode_app, ImageError};
    let spec = decode_app(image)
        .and_then(neurochip_tasks::app::Standalone::decode)
        .and_then(|s| pick(s).ok_or(ImageError::Field { field: "app.kind" }));
    match spec {
        Ok(s) => Some(s),
        Err(e) => {
            out!("error: {} image refused: {}", name, e);
            None
        }
    }
}

/// Set up the console (RTT on a board; nothing on QEMU).
pub fn init() {
    #[cfg(feature = "stm32f411")]
    rtt_target::rtt_init_print!();
}

/// End the program with a status: QEMU exits with it; a board stops at a breakpoint
/// (probe-rs reports it) after printing the status.
pub fn exit(ok: bool) -> ! {
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

#[panic_handler]
fn panic(_: &PanicInfo) -> ! {
    out!("error: panic");
    exit(false)
}
