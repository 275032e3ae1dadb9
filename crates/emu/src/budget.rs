//! A datapath with a step budget: it refuses to step once the budget is spent, so a
//! run loop over an untrusted image (a plan of 2^32 samples) still ends. Fuzz targets
//! run images through it.

use neurochip_core::memory::Bits;
use neurochip_core::reward::{AgentOp, AgentOut, Critic};
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
    fn agent(&mut self, mem: &mut Memory<'_>, critic: &mut Critic, op: AgentOp<'_>) -> AgentOut {
        self.chip.agent(mem, critic, op)
    }
    fn set_rate_step(&mut self, k: u8) {
        self.chip.set_rate_step(k);
    }
    fn config(&self) -> &ChipConfig {
        self.chip.config()
    }
}

/// Run `app` on `chip` as `neurochip run-image` and the firmware do, but with at most
/// `per_phase` samples in each phase of its plan and `steps` steps in all (a fuzzed
/// image's plan may ask for 2^32 samples). Returns the event lines the run printed.
pub fn run_app_bounded(
    chip: &mut crate::HostChip,
    app: &neurochip_tasks::app::AppSpec<'_>,
    per_phase: u32,
    steps: u32,
) -> Vec<String> {
    let mut app = *app;
    let p = &mut app.plan;
    p.samples = p.samples.min(per_phase);
    p.epochs = p.epochs.min(2);
    p.train_per_epoch = p.train_per_epoch.min(per_phase);
    p.test_samples = p.test_samples.min(per_phase);
    let cfg = *chip.config();
    let mut x = bitvec::bitvec![u32, bitvec::order::Lsb0; 0; cfg.n_in()];
    let mut sums = vec![0i64; cfg.n_out()];
    let (c, mut mem) = chip.parts();
    let mut budget = Budget {
        chip: c,
        left: steps,
    };
    let mut lines = Vec::new();
    // A spent budget ends the run with an error; what ran until then is the point.
    let _ =
        neurochip_tasks::runner::run_app(&mut budget, &mut mem, &app, &mut x, &mut sums, |ev| {
            lines.push(ev.to_string());
        });
    lines
}
