//! The firmware's board profiles: how many words of each chip memory arena it
//! reserves and how many inputs and readouts it buffers. The firmware sizes its static
//! memories from these, and the host checks an image against them
//! (`neurochip check --board`), so a chip that does not fit is refused before it is
//! flashed, naming the arena, the words needed and the limit.

use crate::memory::Layout;

/// A firmware profile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Board {
    /// Its name on the command line (`qemu`, `stm32f411`).
    pub name: &'static str,
    /// `i16` words (weights, random feedback).
    pub w16: usize,
    /// `i32` words (neuron, readout and learning state).
    pub w32: usize,
    /// `u32` words (traces, masks, decays).
    pub wu: usize,
    /// Input channels the firmware buffers.
    pub max_inputs: usize,
    /// Readouts the firmware buffers.
    pub max_outputs: usize,
}

/// QEMU `mps2-an386`: 4 MiB of data SSRAM.
pub const QEMU: Board = Board {
    name: "qemu",
    w16: 120_000,
    w32: 200_000,
    wu: 60_000,
    max_inputs: 4096,
    max_outputs: 64,
};

/// The STM32F411 (128 KiB of RAM).
pub const STM32F411: Board = Board {
    name: "stm32f411",
    w16: 24_000,
    w32: 10_000,
    wu: 4_000,
    max_inputs: 4096,
    max_outputs: 64,
};

/// Every profile.
pub const BOARDS: &[Board] = &[QEMU, STM32F411];

/// Why a chip does not fit a board.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "the chip needs {needed} {what} but the {board} firmware has {limit} (over by {})",
    .needed.saturating_sub(*.limit)
)]
pub struct Misfit {
    /// The board.
    pub board: &'static str,
    /// What overflows: an arena (`i16 words`, `i32 words`, `u32 words`), `inputs` or
    /// `readouts`.
    pub what: &'static str,
    /// How many the chip needs.
    pub needed: usize,
    /// How many the board has.
    pub limit: usize,
}

impl Board {
    /// The profile named `name`.
    pub fn named(name: &str) -> Option<Board> {
        BOARDS.iter().copied().find(|b| b.name == name)
    }

    /// Whether a chip of this layout fits: the first arena or buffer it overflows.
    pub fn fits(&self, layout: &Layout) -> Result<(), Misfit> {
        let checks = [
            ("i16 words", layout.words16(), self.w16),
            ("i32 words", layout.words32(), self.w32),
            ("u32 words", layout.wordsu(), self.wu),
            ("inputs", layout.n_in, self.max_inputs),
            ("readouts", layout.n_out, self.max_outputs),
        ];
        for (what, needed, limit) in checks {
            if needed > limit {
                return Err(Misfit {
                    board: self.name,
                    what,
                    needed,
                    limit,
                });
            }
        }
        Ok(())
    }
}
