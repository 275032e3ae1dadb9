//! Host SIMD: the chip's step, learning step and end of sample compiled for the
//! widest vector unit this host has, chosen once at start-up.
//!
//! The core's datapath is plain, branch-free Rust over rows of synapses, and on
//! x86-64 its hot functions are `#[inline(always)]`; here they are compiled three
//! times, for the
//! x86-64 baseline (SSE2), for AVX2 and for AVX-512, and [`current`] picks the widest
//! the processor reports. Every path computes the same bits (integer arithmetic has
//! one answer whatever the lane width): `tests/tests/simd.rs` forces each path in
//! turn and compares digests. `NEUROCHIP_ISA=baseline|avx2|avx512` forces a path for
//! a whole process (for benchmarks and bug reports); [`force`] does it for tests.

use std::sync::atomic::{AtomicU8, Ordering};

use neurochip_core::memory::Bits;
use neurochip_core::reward::{AgentOp, AgentOut, Critic};
use neurochip_core::{Chip, ChipConfig, Datapath, Memory, StepError, StepOutput, Target};

/// An instruction set the datapath is compiled for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Isa {
    /// The target's baseline (SSE2 on x86-64; whatever the target has elsewhere).
    Baseline,
    /// AVX2 with BMI1/2, FMA, LZCNT and POPCNT (x86-64-v3).
    Avx2,
    /// AVX-512 F, BW, CD, DQ and VL on top of AVX2 (x86-64-v4).
    Avx512,
}

impl Isa {
    /// Every path, narrowest first.
    pub const ALL: [Isa; 3] = [Isa::Baseline, Isa::Avx2, Isa::Avx512];

    /// Its name, as `NEUROCHIP_ISA` takes it.
    pub fn name(self) -> &'static str {
        match self {
            Isa::Baseline => "baseline",
            Isa::Avx2 => "avx2",
            Isa::Avx512 => "avx512",
        }
    }

    /// Parse a name ([`Isa::name`]).
    pub fn from_name(s: &str) -> Option<Isa> {
        Isa::ALL.into_iter().find(|i| i.name() == s)
    }

    /// Whether this processor runs the path.
    pub fn available(self) -> bool {
        match self {
            Isa::Baseline => true,
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => x86::has_avx2(),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => x86::has_avx2() && x86::has_avx512(),
            #[cfg(not(target_arch = "x86_64"))]
            _ => false,
        }
    }

    /// The widest path this processor runs.
    pub fn detected() -> Isa {
        Isa::ALL
            .into_iter()
            .rev()
            .find(|i| i.available())
            .unwrap_or(Isa::Baseline)
    }

    fn code(self) -> u8 {
        match self {
            Isa::Baseline => 1,
            Isa::Avx2 => 2,
            Isa::Avx512 => 3,
        }
    }
}

/// `hash::mix` (murmur3's finaliser) of the lanes `x` but for its last step
/// (`x ^ (x >> 16)`, which the light rows take whole and the online update only in
/// part): `x ^= x >> 16; x *= m1; x ^= x >> 13; x *= m2` on 32-bit lanes, with the
/// xor, right shift and multiply of one vector width, which the kernels of that
/// width name.
macro_rules! mix_but_last {
    ($xor:ident, $srli:ident, $mullo:ident; $x:expr, $m1:expr, $m2:expr) => {{
        let h = $x;
        let h = $mullo($xor(h, $srli::<16>(h)), $m1);
        $mullo($xor(h, $srli::<13>(h)), $m2)
    }};
}

mod light;
mod online;

/// The exact engine's online weight update in AVX2
/// ([`OnlineKernel`](neurochip_core::update::OnlineKernel)): what the AVX2 paths pass
/// to [`Chip::learn_with`], with the bits of the portable
/// [`online_row`](neurochip_core::update::online_row). On a processor without AVX2
/// it is the portable row.
pub use online::avx2 as online_kernel;

/// The light engine's packed rows in AVX2
/// ([`LightKernel`](neurochip_core::update::LightKernel)): what the AVX2 paths pass
/// to [`Chip::learn_with`], with the bits of the portable
/// [`packed_rows`](neurochip_core::update::packed_rows). On a processor without AVX2
/// it is the portable row.
pub use light::avx2 as light_kernel;

/// [`online_kernel`] with the narrow form sixteen synapses a pass in AVX-512: what
/// the AVX-512 path passes. On a processor without AVX-512 it is [`online_kernel`].
pub use online::avx512 as online_kernel_avx512;

/// [`light_kernel`] sixteen synapses a pass in AVX-512: what the AVX-512 path passes.
/// On a processor without AVX-512 it is [`light_kernel`].
pub use light::avx512 as light_kernel_avx512;

/// The chosen path (0: not chosen yet).
static CHOSEN: AtomicU8 = AtomicU8::new(0);

/// The path every host chip of this process runs: the one forced ([`force`] or
/// `NEUROCHIP_ISA`, if this processor runs it), else [`Isa::detected`].
pub fn current() -> Isa {
    match CHOSEN.load(Ordering::Relaxed) {
        1 => Isa::Baseline,
        2 => Isa::Avx2,
        3 => Isa::Avx512,
        _ => {
            let isa = std::env::var("NEUROCHIP_ISA")
                .ok()
                .and_then(|s| Isa::from_name(&s))
                .filter(|i| i.available())
                .unwrap_or_else(Isa::detected);
            CHOSEN.store(isa.code(), Ordering::Relaxed);
            isa
        }
    }
}

/// Force `isa` for the rest of the process. Refused (returns false, nothing changes)
/// when this processor does not run it.
pub fn force(isa: Isa) -> bool {
    if !isa.available() {
        return false;
    }
    CHOSEN.store(isa.code(), Ordering::Relaxed);
    true
}

/// [`Chip::step`] on the [`current`] path.
pub fn step(chip: &mut Chip, mem: &mut Memory<'_>, input: &Bits) -> Result<StepOutput, StepError> {
    match current() {
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 => x86::step_avx512(chip, mem, input),
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 => x86::step_avx2(chip, mem, input),
        _ => chip.step(mem, input),
    }
}

/// [`Chip::learn`] on the [`current`] path.
pub fn learn(chip: &mut Chip, mem: &mut Memory<'_>, target: Target<'_>) -> Result<bool, StepError> {
    match current() {
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 => x86::learn_avx512(chip, mem, target),
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 => x86::learn_avx2(chip, mem, target),
        _ => chip.learn(mem, target),
    }
}

/// [`Chip::end_sample`] on the [`current`] path.
pub fn end_sample(chip: &mut Chip, mem: &mut Memory<'_>) -> Result<(), StepError> {
    match current() {
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 => x86::end_sample_avx512(chip, mem),
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 => x86::end_sample_avx2(chip, mem),
        _ => chip.end_sample(mem),
    }
}

/// A chip whose datapath runs on the [`current`] path: what every host run loop
/// drives.
#[derive(Debug)]
pub struct Fast<'a>(pub &'a mut Chip);

impl Datapath for Fast<'_> {
    fn step(&mut self, mem: &mut Memory<'_>, input: &Bits) -> Result<StepOutput, StepError> {
        step(self.0, mem, input)
    }
    fn learn(&mut self, mem: &mut Memory<'_>, target: Target<'_>) -> Result<bool, StepError> {
        learn(self.0, mem, target)
    }
    fn end_sample(&mut self, mem: &mut Memory<'_>) -> Result<(), StepError> {
        end_sample(self.0, mem)
    }
    fn set_eligibility_enabled(&mut self, on: bool) {
        self.0.set_eligibility_enabled(on);
    }
    fn agent(&mut self, mem: &mut Memory<'_>, critic: &mut Critic, op: AgentOp<'_>) -> AgentOut {
        self.0.agent(mem, critic, op)
    }
    fn set_rate_step(&mut self, k: u8) {
        self.0.set_rate_step(k);
    }
    fn config(&self) -> &ChipConfig {
        self.0.config()
    }
}

/// The x86-64 paths: the same functions under `#[target_feature]`, so that the
/// inlined datapath is compiled for the wider unit.
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
mod x86 {
    use super::*;

    /// Whether the CPU has every one of the features named.
    macro_rules! detected {
        ($($feature:tt),+) => {
            $(std::is_x86_feature_detected!($feature))&&+
        };
    }

    pub fn has_avx2() -> bool {
        detected!("avx2", "bmi1", "bmi2", "fma", "lzcnt", "popcnt")
    }

    pub fn has_avx512() -> bool {
        detected!("avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl")
    }

    macro_rules! paths {
        ($features:literal, $check:expr, $online:path, $light:path, $step:ident, $learn:ident, $end:ident) => {
            pub fn $step(
                chip: &mut Chip,
                mem: &mut Memory<'_>,
                input: &Bits,
            ) -> Result<StepOutput, StepError> {
                #[target_feature(enable = $features)]
                fn inner(
                    chip: &mut Chip,
                    mem: &mut Memory<'_>,
                    input: &Bits,
                ) -> Result<StepOutput, StepError> {
                    chip.step(mem, input)
                }
                debug_assert!($check);
                // SAFETY: `current` picks this path only when the processor reports
                // every feature `inner` is compiled for (`Isa::available`).
                unsafe { inner(chip, mem, input) }
            }

            pub fn $learn(
                chip: &mut Chip,
                mem: &mut Memory<'_>,
                target: Target<'_>,
            ) -> Result<bool, StepError> {
                #[target_feature(enable = $features)]
                fn inner(
                    chip: &mut Chip,
                    mem: &mut Memory<'_>,
                    target: Target<'_>,
                ) -> Result<bool, StepError> {
                    let kernels = neurochip_core::update::Kernels {
                        online: Some($online),
                        light: Some($light),
                    };
                    chip.learn_with(mem, target, kernels)
                }
                debug_assert!($check);
                // SAFETY: as above.
                unsafe { inner(chip, mem, target) }
            }

            pub fn $end(chip: &mut Chip, mem: &mut Memory<'_>) -> Result<(), StepError> {
                #[target_feature(enable = $features)]
                fn inner(chip: &mut Chip, mem: &mut Memory<'_>) -> Result<(), StepError> {
                    chip.end_sample(mem)
                }
                debug_assert!($check);
                // SAFETY: as above.
                unsafe { inner(chip, mem) }
            }
        };
    }

    paths!(
        "avx2,bmi1,bmi2,fma,lzcnt,popcnt",
        has_avx2(),
        super::online::avx2,
        super::light::avx2,
        step_avx2,
        learn_avx2,
        end_sample_avx2
    );
    paths!(
        "avx2,bmi1,bmi2,fma,lzcnt,popcnt,avx512f,avx512bw,avx512cd,avx512dq,avx512vl",
        has_avx2() && has_avx512(),
        super::online::avx512,
        super::light::avx512,
        step_avx512,
        learn_avx512,
        end_sample_avx512
    );
}
