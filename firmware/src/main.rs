//! neurochip firmware: the chip image embedded at build time is checked (header,
//! version, CRC, configuration, the board's memory, then the task and plan against the
//! chip and every memory value, `neurochip_tasks::app::open`: the check of the host's
//! `inspect` and `run-image`), loaded into static chip memories, and run with the
//! same `neurochip-core` datapath and the same task generators and run loop as the
//! host (`neurochip_tasks::runner`): inference samples, or on-chip e-prop training with
//! a test after every epoch. It prints the per-epoch accuracy and the trace digest over
//! semihosting and exits with a status code.
#![no_std]
#![no_main]

use bitvec::prelude::*;
use cortex_m_rt::entry;
use neurochip_core::{board, image, Chip, Memory};
use neurochip_tasks::app;
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
    let Some(a) =
        cortex_m::singleton!(: Arenas = Arenas { w16: [0; W16], w32: [0; W32], wu: [0; WU] })
    else {
        return false;
    };
    if let Err(e) = BOARD.fits(&cfg.layout()) {
        out!("error: chip image refused: {}", e);
        return false;
    }
    // The one check of the host's `inspect` and `run-image`: the task and plan against
    // the chip, then every memory value as it is loaded.
    let app = match app::open(decoded, &mut a.w16, &mut a.w32, &mut a.wu) {
        Ok(app) => app,
        Err(e) => {
            out!("error: chip image refused: {}", e);
            return false;
        }
    };
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
    #[cfg(feature = "cost")]
    cost::measure(&mut chip, &mut mem, &app, x);
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
    true
}

/// Instructions per time step over one whole trial, measured with SysTick (feature
/// `cost`; `make qemu-cost`, docs/firmware.md).
///
/// Before the plan, on the chip as loaded, the first training sample of the image's
/// task (seed index 0, the plan's first sample) runs through the host's and the
/// plan's own loop (`runner::run_sample`): learning only where the task's target is
/// valid (`Target::None` outside the window), as training does; an image without a
/// learning engine runs it as inference. Printed lines, all starting `cost `:
///
/// ```text
/// cost calibration spin N instructions 2N systick T   (three lines: 2N instructions took T ticks)
/// cost MODE steps S systick_per_step T
/// cost MODE instructions_per_step I realtime_mhz F
/// ```
///
/// With the `audio` feature and a keyword-spotting image from PCM, two lines
/// `cost frontend ...` come first: the front end alone over the same clip, as the
/// run loop streams it (its mode line then counts the front end and the network).
///
/// `MODE` is `inference` (no learning engine, or a plan that does not train), `light`
/// or `exact`; `I` is the ticks of the trial over the ticks per instruction (the
/// difference of the two largest calibrations), divided by `S`; `F = I / dt_us`: the
/// clock that runs one step per `dt` in real time at one instruction per cycle. Under QEMU `-icount shift=10`
/// every instruction advances the virtual clock by the same 1.024 µs, so SysTick
/// counts instructions (one cycle each); on a board it counts core cycles.
#[cfg(feature = "cost")]
mod cost {
    use core::sync::atomic::{AtomicU32, Ordering};

    use cortex_m::peripheral::{syst::SystClkSource, SYST};
    use neurochip_core::{Chip, Engine, Memory};
    use neurochip_firmware::out;
    use neurochip_tasks::app::{AppSpec, TaskSpec};
    use neurochip_tasks::model::OnChip;
    use neurochip_tasks::runner::{run_sample, Learn};
    use neurochip_tasks::sample::{Pick, Source};
    use neurochip_tasks::SpikeSource;

    static WRAPS: AtomicU32 = AtomicU32::new(0);

    #[cortex_m_rt::exception]
    fn SysTick() {
        WRAPS.fetch_add(1, Ordering::Relaxed);
    }

    /// Ticks since the counter started: wraps of the 24-bit down-counter, counted by
    /// the SysTick exception, and the counter.
    fn now() -> u64 {
        loop {
            let w = WRAPS.load(Ordering::Relaxed);
            let c = SYST::get_current();
            // A wrap between the two reads would pair an old count with a new counter.
            if WRAPS.load(Ordering::Relaxed) == w {
                return (u64::from(w) << 24) + u64::from(0x00FF_FFFF - c);
            }
        }
    }

    /// The time step of the image's task, in µs (`None` for the reward task, which runs
    /// episodes rather than samples).
    fn dt_us(task: &TaskSpec<'_>) -> Option<f32> {
        match task {
            TaskSpec::Poisson { gen, .. } => Some(gen.dt_ms * 1000.0),
            TaskSpec::Cue(c) => Some(c.dt_ms * 1000.0),
            TaskSpec::Digits { enc, .. } => Some(enc.dt_ms * 1000.0),
            #[cfg(feature = "reward")]
            TaskSpec::RewardCue { .. } | TaskSpec::RewardNav { .. } => None,
            #[cfg(feature = "audio")]
            TaskSpec::Audio(a) => Some(a.dt_ms() * 1000.0),
        }
    }

    /// Instructions = ticks * calibration instructions / calibration ticks, per step,
    /// rounded (a trial of 10^6 instructions a step at 25.6 ticks each stays far below
    /// 2^64), and the clock for real time at one instruction a cycle.
    fn per_step(mode: &str, ticks: u64, steps: u32, cal: (u64, u64), dt: f32) {
        out!(
            "cost {} steps {} systick_per_step {}",
            mode,
            steps,
            ticks / u64::from(steps)
        );
        let den = cal.1.saturating_mul(u64::from(steps)).max(1);
        let instr = ticks.saturating_mul(cal.0).saturating_add(den / 2) / den;
        let mhz = instr as f32 / dt;
        out!(
            "cost {} instructions_per_step {} realtime_mhz {:.2}",
            mode,
            instr,
            mhz
        );
    }

    /// A PCM clip's front end alone, step by step as the run loop streams it (the
    /// clip's bytes to samples, one `FrontEnd::push`, the spikes into the input
    /// vector): `cost frontend ...`.
    #[cfg(feature = "audio")]
    fn frontend(
        sample: &neurochip_tasks::sample::AnySample<'_>,
        x: &mut neurochip_tasks::Spikes,
        cal: (u64, u64),
        dt: f32,
    ) {
        let neurochip_tasks::sample::AnySample::Pcm(p) = sample else {
            return;
        };
        let stream = neurochip_tasks::audio::PcmStream::new(*p);
        let steps = stream.steps().max(1);
        let start = now();
        for t in 0..stream.steps() {
            stream.spikes(t, x);
        }
        let ticks = now().saturating_sub(start);
        per_step("frontend", ticks, steps, cal, dt);
    }

    /// `n` turns (at least one) of a loop of exactly two instructions, `subs` and
    /// `bne`: 2n instructions. Written here rather than taken from
    /// `cortex_m::asm::delay`, whose loop count is a promise of "at least n cycles"
    /// and has changed between versions (0.7.10 turns n + 1 times; the calibration
    /// once assumed n/2 + 1 and so halved every count it printed).
    fn spin(n: u32) {
        #[allow(unsafe_code)]
        // SAFETY: a register counts down to zero; no memory, no stack, no flags kept.
        unsafe {
            core::arch::asm!(
                ".p2align 3",
                "2:",
                "subs {0}, #1",
                "bne 2b",
                inout(reg) n.max(1) => _,
                options(nomem, nostack),
            );
        }
    }

    /// Measure and print (see the module's doc).
    pub fn measure(
        chip: &mut Chip,
        mem: &mut Memory<'_>,
        app: &AppSpec,
        x: &mut neurochip_tasks::Spikes,
    ) {
        let Some(mut p) = cortex_m::Peripherals::take() else {
            return;
        };
        p.SYST.set_clock_source(SystClkSource::Core);
        p.SYST.set_reload(0x00FF_FFFF);
        p.SYST.clear_current();
        p.SYST.enable_interrupt();
        p.SYST.enable_counter();
        // Calibration: `spin(n)` is exactly 2n instructions; the difference of the two
        // largest runs converts ticks to instructions without the calls' own cost.
        let mut runs = [(0u64, 0u64); 3];
        for (r, n) in runs.iter_mut().zip([1_000u32, 10_000, 100_000]) {
            let start = now();
            spin(n);
            let ticks = now().saturating_sub(start);
            out!(
                "cost calibration spin {} instructions {} systick {}",
                n,
                2 * n,
                ticks
            );
            *r = (2 * u64::from(n), ticks);
        }
        let cal = (
            runs[2].0.saturating_sub(runs[1].0),
            runs[2].1.saturating_sub(runs[1].1),
        );
        let plan = &app.plan;
        // A chip learns in the trial when it has an engine and its plan trains.
        let mode = match chip.config().learning().engine {
            _ if !plan.learn => "inference",
            Engine::Off => "inference",
            Engine::Light => "light",
            Engine::Exact => "exact",
        };
        // The plan's first training sample; an image that carries no training samples
        // (a trained keyword spotter's test clips) times its first inference sample.
        let first = app
            .task
            .sample(Pick::Train {
                epoch: 0,
                index: 0,
                per_epoch: app.plan.train_per_epoch.max(1),
            })
            .or_else(|| app.task.sample(Pick::Run(0)));
        let (Some(dt), Some(sample)) = (dt_us(&app.task), first) else {
            out!("cost {} skipped: the task has no samples to time", mode);
            return;
        };
        // The plan's first training sample: it applies when it ends a batch (or the
        // epoch), as `runner::walk` decides.
        let learn = if mode == "inference" {
            Learn::Off
        } else if plan.batch <= 1 || plan.train_per_epoch <= 1 {
            Learn::Apply
        } else {
            Learn::Accumulate
        };
        let steps = sample.steps().max(1);
        #[cfg(feature = "audio")]
        frontend(&sample, x, cal, dt);
        let mut model = OnChip::new(&mut *chip, &mut *mem, &mut []);
        let start = now();
        // Sound is streamed through the front end, as the run loop does: this mode's
        // line then counts the front end too.
        #[cfg(feature = "audio")]
        let r = match sample {
            neurochip_tasks::sample::AnySample::Pcm(p) => {
                let stream = neurochip_tasks::audio::PcmStream::new(p);
                run_sample(&mut model, &stream, learn, x, &mut [], |_, _, _, _| {})
            }
            s => run_sample(&mut model, &s, learn, x, &mut [], |_, _, _, _| {}),
        };
        #[cfg(not(feature = "audio"))]
        let r = run_sample(&mut model, &sample, learn, x, &mut [], |_, _, _, _| {});
        let ticks = now().saturating_sub(start);
        if let Err(e) = r {
            out!("error: {}", e);
            return;
        }
        per_step(mode, ticks, steps, cal, dt);
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
