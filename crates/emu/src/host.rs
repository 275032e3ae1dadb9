//! A chip whose memories live in host vectors.

use bitvec::prelude::*;
use neurochip_core::memory::Bits;
use neurochip_core::{Chip, ChipConfig, Memory, StepError, StepOutput};

/// A chip with owned memories.
#[derive(Clone, Debug)]
pub struct HostChip {
    chip: Chip,
    w16: Vec<i16>,
    w32: Vec<i32>,
    wu: Vec<u32>,
}

impl HostChip {
    /// Zeroed memories for `cfg`, then `init` fills weights and parameters; the chip
    /// registers are built afterwards so the initial digest covers them.
    ///
    /// Nothing checks what `init` wrote: the chip runs any values without a panic,
    /// but values no image may hold (a weight outside its format, an adaptation
    /// strength on a chip without adaptive neurons) need not compute what the float
    /// reference does. [`HostChip::try_build`] checks them.
    pub fn build(cfg: ChipConfig, init: impl FnOnce(&mut Memory<'_>)) -> Self {
        let l = cfg.layout();
        let mut w16 = vec![0i16; l.words16()];
        let mut w32 = vec![0i32; l.words32()];
        let mut wu = vec![0u32; l.wordsu()];
        let chip = {
            let mut mem = Memory::carve(&l, &mut w16, &mut w32, &mut wu)
                .expect("arenas sized from the layout");
            init(&mut mem);
            Chip::new(cfg, &mem).expect("memory carved for this config")
        };
        Self { chip, w16, w32, wu }
    }

    /// [`HostChip::build`], then the check every chip image gets
    /// ([`neurochip_core::semantic::check_memory`]): the first value `init` wrote that
    /// no image may hold is refused, with its region, index and what is allowed.
    pub fn try_build(
        cfg: ChipConfig,
        init: impl FnOnce(&mut Memory<'_>),
    ) -> Result<Self, neurochip_core::semantic::Invalid> {
        let mut chip = Self::build(cfg, init);
        let (c, mem) = chip.parts();
        neurochip_core::semantic::check_memory(c.config(), &mem)?;
        Ok(chip)
    }

    /// Open a chip image for a run: the chip (fresh registers, the image's memories)
    /// and its task and plan, after the one check every reader of images runs
    /// ([`neurochip_tasks::app::open`]: header, CRC, configuration, task and plan
    /// against the chip, every memory value). `neurochip inspect` and `neurochip
    /// run-image` both call it, so they refuse the same images.
    pub fn open_image(
        bytes: &[u8],
    ) -> Result<(Self, neurochip_tasks::app::AppSpec<'_>), neurochip_core::image::ImageError> {
        let d = neurochip_core::image::decode(bytes)?;
        let cfg = d.config;
        let l = cfg.layout();
        let mut w16 = vec![0i16; l.words16()];
        let mut w32 = vec![0i32; l.words32()];
        let mut wu = vec![0u32; l.wordsu()];
        let app = neurochip_tasks::app::open(d, &mut w16, &mut w32, &mut wu)?;
        let chip = {
            let mem = Memory::carve(&l, &mut w16, &mut w32, &mut wu)
                .expect("arenas sized from the layout");
            Chip::new(cfg, &mem).expect("memory carved for this config")
        };
        Ok((Self { chip, w16, w32, wu }, app))
    }

    /// A chip loaded from a decoded image (fresh registers, the image's memories,
    /// checked by [`neurochip_core::image::Decoded::load`]; the task and plan are not
    /// looked at: [`HostChip::open_image`] checks them too).
    pub fn from_image(
        d: neurochip_core::image::Decoded<'_>,
    ) -> Result<Self, neurochip_core::image::ImageError> {
        let cfg = d.config;
        let l = cfg.layout();
        let mut w16 = vec![0i16; l.words16()];
        let mut w32 = vec![0i32; l.words32()];
        let mut wu = vec![0u32; l.wordsu()];
        d.load(&mut w16, &mut w32, &mut wu)?;
        let chip = {
            let mem = Memory::carve(&l, &mut w16, &mut w32, &mut wu)
                .expect("arenas sized from the layout");
            Chip::new(cfg, &mem).expect("memory carved for this config")
        };
        Ok(Self { chip, w16, w32, wu })
    }

    /// The same memories under `cfg`, which must have the same layout (an option that
    /// needs no memory of its own, such as stochastic release or rewiring), after
    /// `init` has run on them; fresh registers, so the initial digest covers `init`.
    pub fn reconfigure(
        mut self,
        cfg: ChipConfig,
        init: impl FnOnce(&mut Memory<'_>),
    ) -> Result<Self, StepError> {
        let expected = cfg.layout();
        let got = self.chip.config().layout();
        if expected != got {
            return Err(StepError::Layout { expected, got });
        }
        let chip = {
            let mut mem = Memory::carve(&expected, &mut self.w16, &mut self.w32, &mut self.wu)
                .expect("arenas sized from the layout");
            init(&mut mem);
            Chip::new(cfg, &mem)?
        };
        Ok(Self { chip, ..self })
    }

    /// The chip registers.
    pub fn chip(&self) -> &Chip {
        &self.chip
    }

    /// The chip registers, mutable.
    pub fn chip_mut(&mut self) -> &mut Chip {
        &mut self.chip
    }

    /// The configuration.
    pub fn config(&self) -> &ChipConfig {
        self.chip.config()
    }

    /// A view of the memories.
    pub fn mem(&mut self) -> Memory<'_> {
        let l = self.chip.config().layout();
        Memory::carve(&l, &mut self.w16, &mut self.w32, &mut self.wu)
            .expect("arenas sized from the layout")
    }

    /// The registers and a view of the memories at once (for learning circuits).
    pub fn parts(&mut self) -> (&mut Chip, Memory<'_>) {
        let l = self.chip.config().layout();
        let mem = Memory::carve(&l, &mut self.w16, &mut self.w32, &mut self.wu)
            .expect("arenas sized from the layout");
        (&mut self.chip, mem)
    }

    /// One time step.
    pub fn step(&mut self, input: &Bits) -> Result<StepOutput, StepError> {
        let (chip, mut mem) = self.parts();
        crate::simd::step(chip, &mut mem, input)
    }

    /// Zero the dynamic state (start of a sample).
    pub fn reset_state(&mut self) {
        self.mem().reset_state();
    }

    /// The trace digest.
    pub fn digest(&self) -> u64 {
        self.chip.digest()
    }

    /// The raw arenas `(i16, i32, u32)`, for images and snapshots.
    pub fn arenas(&self) -> (&[i16], &[i32], &[u32]) {
        (&self.w16, &self.w32, &self.wu)
    }

    /// Spikes of the last step as booleans.
    pub fn spikes(&mut self) -> Vec<bool> {
        self.mem().z.iter().by_vals().collect()
    }
}

/// Pack booleans into the chip's input bit format.
pub fn to_bits(x: &[bool]) -> BitVec<u32, Lsb0> {
    x.iter().copied().collect()
}
