//! A datapath with a step budget: it refuses to step once the budget is spent, so a
//! run loop over an untrusted image (a plan of 2^32 samples) still ends. Fuzz targets
//! run images through it.

use neurochip_core::memory::Bits;
use neurochip_core::reward::{AgentOp, Critic};
use neurochip_core::{Chip, ChipConfig, Datapath, Memory, StepError, StepOutput, Target};

/// A chip that steps at most `left` more times; after that every step fails (with
/// [`StepError::InputLength`], `expected: 0`) and the run loop stops with it.
#[derive(Debug)]
pub struct Budget<'a> {
    /// The chip.
    pub chip: &'a mut Chip,
    /// Steps left.
    pub left: u32,
}

impl Datapath for Budget<'_> {
    fn step(&mut self, mem: &mut Memory<'_>, input: &Bits) -> Result<StepOutput, StepError> {
        if self.left == 0 {
            return Err(StepError::InputLength {
                expected: 0,
                got: input.len(),
            });
        }
        self.left -= 1;
        crate::simd::step(self.chip, mem, input)
    }
    fn learn(&mut self, mem: &mut Memory<'_>, target: Target<'_>) -> Result<bool, StepError> {
        crate::simd::learn(self.chip, mem, target)
    }
    fn end_sample(&mut self, mem: &mut Memory<'_>) -> Result<(), StepError> {
        crate::simd::end_sample(self.chip, mem)
    }
    fn agent(
        &mut self,
        mem: &mut Memory<'_>,
        critic: &mut Critic,
        op: AgentOp<'_>,
    ) -> Result<(usize, i32), StepError> {
        self.chip.agent(mem, critic, op)
    }
    fn config(&self) -> &ChipConfig {
        self.chip.config()
    }
}
