//! neurochip firmware: the chip image embedded at build time is checked (header,
//! version, CRC, configuration), loaded into static chip memories, and run with the
//! same `neurochip-core` datapath and the same task generators and run loop as the
//! host (`neurochip_tasks::runner`): inference samples, or on-chip e-prop training with
//! a test after every epoch. It prints the per-epoch accuracy and the trace digest over
//! semihosting and exits with a status code.
#![no_std]
#![no_main]

use bitvec::prelude::*;
use cortex_m_rt::entry;
use neurochip_core::{board, image, Chip, Memory};
use neurochip_tasks::app::AppSpec;
use neurochip_tasks::runner::run_app;

use neurochip_firmware::{exit, out};

/// The chip image, embedded by build.rs.
static IMAGE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/chip.img"));

// Chip memories, sized by the board profile the host checks images against
// (`neurochip check --board`): QEMU has 4 MiB of data SSRAM, the STM32F411 128 KiB.
#[cfg(feature = "qemu")]
const BOARD: board::Board = board::QEMU;
#[cfg(not(feature = "qemu"))]
const BOARD: board::Board = board::STM32F411;
const W16: usize = BOARD.w16;
const W32: usize = BOARD.w32;
const WU: usize = BOARD.wu;
const MAX_INPUTS: usize = BOARD.max_inputs;
const MAX_OUTPUTS: usize = BOARD.max_outputs;

struct Arenas {
    w16: [i16; W16],
    w32: [i32; W32],
    wu: [u32; WU],
}

#[entry]
fn main() -> ! {
    neurochip_firmware::init();
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
    if let Err(e) = BOARD.fits(&cfg.layout()) {
        out!("error: chip image refused: {}", e);
        return false;
    }
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
    #[cfg(feature = "persist")]
    if let Some(ok) = persist_demo::restore_at_boot(cfg, &mut mem) {
        return ok;
    }
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
    let res = run_app(&mut chip, &mut mem, &app, x, sums, |ev| {
        if ev.printed() {
            out!("{}", ev)
        }
    });
    if let Err(e) = res {
        out!("error: {}", e);
        return false;
    }
    out!("digest {:016x}", chip.digest());
    #[cfg(feature = "persist")]
    persist_demo::save_and_reset(&chip, &mem);
    #[cfg(feature = "cost")]
    cost(&mut chip, &mut mem, &app, x);
    true
}

#[cfg(feature = "cost")]
static WRAPS: core::sync::atomic::AtomicU32 = core::sync::atomic::AtomicU32::new(0);

#[cfg(feature = "cost")]
#[cortex_m_rt::exception]
fn SysTick() {
    WRAPS.fetch_add(1, core::sync::atomic::Ordering::Relaxed);
}

/// SysTick ticks per step for inference and for learning (target valid every step),
/// 200 steps each, on the first sample of the image's task.
#[cfg(feature = "cost")]
fn cost(chip: &mut Chip, mem: &mut Memory<'_>, app: &AppSpec, x: &mut neurochip_tasks::Spikes) {
    use core::sync::atomic::Ordering;
    use cortex_m::peripheral::syst::SystClkSource;
    use neurochip_core::Target;
    use neurochip_tasks::app::TaskSpec;
    let Some(mut p) = cortex_m::Peripherals::take() else {
        return;
    };
    p.SYST.set_clock_source(SystClkSource::Core);
    p.SYST.set_reload(0x00FF_FFFF);
    p.SYST.clear_current();
    p.SYST.enable_interrupt();
    p.SYST.enable_counter();
    // Calibration: `asm::delay(n)` runs a two-instruction loop n/2 times (n
    // instructions); under -icount its ticks per instruction convert the rest.
    for n in [1_000u32, 10_000, 100_000] {
        let start = cortex_m::peripheral::SYST::get_current();
        cortex_m::asm::delay(n);
        let end = cortex_m::peripheral::SYST::get_current();
        out!(
            "cost calibration delay {} systick {}",
            n,
            start.wrapping_sub(end) & 0x00FF_FFFF
        );
    }
    let learning = chip.config().learning().engine != neurochip_core::Engine::Off;
    for (label, learn) in [("inference", false), ("learning", true)] {
        if learn && !learning {
            continue;
        }
        mem.reset_state();
        let n = 200u32;
        let now = || {
            // Wraps of the 24-bit down-counter, counted by the SysTick exception.
            let w = WRAPS.load(Ordering::Relaxed);
            let c = cortex_m::peripheral::SYST::get_current();
            (u64::from(w) << 24) + u64::from(0x00FF_FFFF - c)
        };
        let start = now();
        for t in 0..n {
            match &app.task {
                TaskSpec::Poisson { gen, .. } => gen.spikes(0, t, x),
                TaskSpec::Cue(c) => c.sample(0).spikes(t, x),
                #[cfg(feature = "reward")]
                TaskSpec::RewardCue { cue, .. } => cue.sample(0).spikes(t, x),
                TaskSpec::Digits { enc, .. } => match app.task.digit(0) {
                    Some((img, _)) => enc.spikes(&img, 0, t, x),
                    None => x.fill(false),
                },
            }
            let _ = chip.step(mem, x);
            if learn {
                let _ = chip.learn(mem, Target::Class(0));
            }
        }
        let total = now().saturating_sub(start);
        out!("cost {} systick_per_step {}", label, total / u64::from(n));
    }
}

/// Learned state across a reset, on QEMU: the A/B slots of `neurochip_core::persist`
/// live in a RAM region that the reset handler does not touch (`.uninit`), so a warm
/// reset (SYSRESETREQ) keeps it, like flash keeps it across power cycles.
#[cfg(feature = "persist")]
mod persist_demo {
    use core::mem::MaybeUninit;

    use neurochip_firmware::out;

    use neurochip_core::persist::{newest, restore, save};
    use neurochip_core::ramflash::RamFlash;
    use neurochip_core::{Chip, ChipConfig, Memory};

    const SLOT: usize = 256 * 1024;

    #[link_section = ".uninit.NEUROCHIP_SLOTS"]
    static mut SLOTS: MaybeUninit<[u8; 2 * SLOT]> = MaybeUninit::uninit();

    /// The slots as NOR flash: erase sets 0xFF, writes clear bits.
    type Slots = RamFlash<&'static mut [u8; 2 * SLOT]>;

    fn flash() -> Slots {
        // SAFETY: the firmware is single-threaded, `flash()` is called at most once per
        // boot phase and the reference does not outlive it; every bit pattern is a
        // valid `[u8; N]`, and the region's content is only trusted after its CRC.
        #[allow(unsafe_code, static_mut_refs)]
        let bytes = unsafe { SLOTS.assume_init_mut() };
        RamFlash(bytes)
    }

    /// At boot: if a valid snapshot exists, restore it, check it and report
    /// (`Some(status)` ends the run); otherwise `None` (first boot).
    pub fn restore_at_boot(cfg: ChipConfig, mem: &mut Memory<'_>) -> Option<bool> {
        let mut f = flash();
        let (_, seq, _) = newest(&mut f, SLOT)?;
        match restore(&mut f, SLOT, cfg, mem) {
            Ok(chip) => {
                out!(
                    "restored snapshot seq {} step {} digest {:016x}",
                    seq,
                    chip.steps(),
                    chip.digest()
                );
                Some(true)
            }
            Err(e) => {
                out!("error: snapshot refused: {}", e);
                Some(false)
            }
        }
    }

    /// After the plan: save the state, then reset the core (the slots survive).
    pub fn save_and_reset(chip: &Chip, mem: &Memory<'_>) {
        let mut f = flash();
        match save(&mut f, SLOT, chip, mem) {
            Ok(seq) => out!(
                "saved snapshot seq {} step {} digest {:016x}",
                seq,
                chip.steps(),
                chip.digest()
            ),
            Err(e) => {
                out!("error: snapshot not saved: {}", e);
                return;
            }
        }
        out!("reset");
        cortex_m::peripheral::SCB::sys_reset();
    }
}
