//! The chip: registers around the memories, and one time step.

use crate::config::ChipConfig;
use crate::digest::Digest;
use crate::eprop::{self, Target};
use crate::learning::Engine;
use crate::memory::{Bits, Layout, Memory};
use crate::neuron::update_neurons;
use crate::prng::Prng;
use crate::readout::update_readouts;
use crate::release;
use crate::reward::{AgentOp, AgentOut, Critic};
use crate::rewire;
use crate::synapse::accumulate_events;
use crate::trace;

/// Why a step was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StepError {
    /// The input vector does not have one bit per input channel.
    #[error("input has {got} bits, the chip has {expected} input channels")]
    InputLength {
        /// Channels the chip has.
        expected: usize,
        /// Bits given.
        got: usize,
    },
    /// The memory was carved for another configuration.
    #[error(
        "memory carved for {}x{}x{} but the chip is {}x{}x{}",
        .got.n_in, .got.n_rec, .got.n_out, .expected.n_in, .expected.n_rec, .expected.n_out
    )]
    Layout {
        /// Layout of the configuration.
        expected: Layout,
        /// Layout of the memory.
        got: Layout,
    },
    /// The actor–critic parameters do not fit the chip ([`crate::reward::check`]).
    #[error("reward learning: {0}")]
    Reward(crate::reward::RewardError),
}

/// The three calls a run loop makes on a chip: one time step, the learning step after
/// it, and the end of a training sample. [`Chip`] implements them; a cycle-level model
/// implements them by calling the chip's own and counting what the hardware would do,
/// so one run loop drives both and they compute the same bits.
pub trait Datapath {
    /// Start of a sample: zero the dynamic state ([`Memory::reset_state`]).
    fn begin_sample(&mut self, mem: &mut Memory<'_>) {
        mem.reset_state();
    }
    /// See [`Chip::step`].
    fn step(&mut self, mem: &mut Memory<'_>, input: &Bits) -> Result<StepOutput, StepError>;
    /// See [`Chip::learn`].
    fn learn(&mut self, mem: &mut Memory<'_>, target: Target<'_>) -> Result<bool, StepError>;
    /// See [`Chip::end_sample`].
    fn end_sample(&mut self, mem: &mut Memory<'_>) -> Result<(), StepError>;
    /// See [`Chip::set_eligibility_enabled`] (a datapath without the register ignores
    /// it).
    fn set_eligibility_enabled(&mut self, _on: bool) {}
    /// See [`Chip::set_rate_step`]. Every datapath that learns forwards it to its chip.
    fn set_rate_step(&mut self, k: u8);
    /// The actor–critic after [`Datapath::step`]: an agent step or the end of an
    /// episode ([`crate::reward::agent`]). Returns the action (0 at the end of an
    /// episode) and the TD error applied.
    fn agent(&mut self, mem: &mut Memory<'_>, critic: &mut Critic, op: AgentOp<'_>) -> AgentOut;
    /// The checked configuration the datapath runs.
    fn config(&self) -> &ChipConfig;
}

impl Datapath for Chip {
    fn agent(&mut self, mem: &mut Memory<'_>, critic: &mut Critic, op: AgentOp<'_>) -> AgentOut {
        crate::reward::agent(self, mem, critic, op)
    }
    fn config(&self) -> &ChipConfig {
        Chip::config(self)
    }
    fn step(&mut self, mem: &mut Memory<'_>, input: &Bits) -> Result<StepOutput, StepError> {
        Chip::step(self, mem, input)
    }
    fn learn(&mut self, mem: &mut Memory<'_>, target: Target<'_>) -> Result<bool, StepError> {
        Chip::learn(self, mem, target)
    }
    fn end_sample(&mut self, mem: &mut Memory<'_>) -> Result<(), StepError> {
        Chip::end_sample(self, mem)
    }
    fn set_eligibility_enabled(&mut self, on: bool) {
        Chip::set_eligibility_enabled(self, on);
    }
    fn set_rate_step(&mut self, k: u8) {
        Chip::set_rate_step(self, k);
    }
}

/// What one step produced (the spikes and readouts themselves are in memory).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StepOutput {
    /// Number of recurrent spikes this step.
    pub spikes: u32,
    /// Synaptic operations this step (events times fan-out, input and recurrent and
    /// readout).
    pub synops: u32,
}

/// The chip registers: configuration, PRNG, step counter, digest and the eligibility
/// enable. The memories are passed to every call, the way a datapath reads its SRAM.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chip {
    cfg: ChipConfig,
    prng: Prng,
    steps: u64,
    digest: Digest,
    /// Eligibility enable (`ELIG_EN`): whether the exact engine updates its
    /// per-synapse eligibility each step. Set (the reset value) while learning;
    /// cleared for inference samples, where nothing reads it.
    elig_en: bool,
    /// Learning-rate step (`RATE_STEP`): added to every learning-rate shift
    /// (`shift_in`, `shift_rec`, `shift_out`, `shift_bias`), so each step halves every
    /// rate. 0 (the reset value): the configured rates. A run loop's schedule sets it
    /// at the start of each epoch ([`Chip::set_rate_step`]).
    rate_step: u8,
    /// The memory layout of `cfg`, worked out once: every step checks the memories
    /// against it.
    layout: Layout,
}

impl Chip {
    /// A chip in its reset state for `cfg`, with `mem` already holding weights and
    /// parameters. The initial digest folds in every weight.
    pub fn new(cfg: ChipConfig, mem: &Memory<'_>) -> Result<Self, StepError> {
        let mut chip = Self {
            cfg,
            prng: Prng::new(cfg.seed()),
            steps: 0,
            digest: Digest::new(),
            elig_en: true,
            rate_step: 0,
            layout: cfg.layout(),
        };
        chip.check_layout(mem)?;
        chip.fold_weights(mem);
        Ok(chip)
    }

    /// Rebuild a chip from saved registers (snapshots).
    pub fn from_registers(cfg: ChipConfig, prng: Prng, steps: u64, digest: Digest) -> Self {
        Self {
            cfg,
            prng,
            steps,
            digest,
            elig_en: true,
            rate_step: 0,
            layout: cfg.layout(),
        }
    }

    /// Set or clear the eligibility enable. With it cleared, [`Chip::step`] skips the
    /// exact engine's per-synapse eligibility update (the bulk of its work and energy
    /// on every step) and, on LIF neurons, the pseudo-derivatives `psi`; pre- and
    /// postsynaptic traces still update, since their stochastic rounding draws from
    /// the PRNG. Spikes, membranes, readouts, weights, the PRNG and so the digest are
    /// the same either way; only the eligibility memories (`ebar`, `eps`) and `psi`
    /// differ, and [`Memory::reset_state`] zeroes them at the start of every sample.
    /// Clear it only where nothing learns until it is set again: for a sample that
    /// will not learn, and before a training sample's eligibility horizon
    /// ([`ChipConfig::eligibility_horizon`]; `neurochip_tasks::runner::run_sample`
    /// does both, and sets it again after).
    pub fn set_eligibility_enabled(&mut self, on: bool) {
        self.elig_en = on;
    }

    /// Set the learning-rate step: every learning-rate shift of the configuration is
    /// increased by `k` (saturating at [`crate::ranges::LEARN_SHIFT`]'s top), so every
    /// weight and bias update, of both engines, is `2^-k` of the configured one. It
    /// changes no state but the register: a run loop's schedule (halve the rates
    /// every few epochs) sets it before each epoch.
    pub fn set_rate_step(&mut self, k: u8) {
        self.rate_step = k;
    }

    /// The learning-rate step ([`Chip::set_rate_step`]).
    pub fn rate_step(&self) -> u8 {
        self.rate_step
    }

    /// Whether the eligibility enable is set.
    pub fn eligibility_enabled(&self) -> bool {
        self.elig_en
    }

    fn check_layout(&self, mem: &Memory<'_>) -> Result<(), StepError> {
        let expected = self.layout;
        if mem.layout != expected {
            return Err(StepError::Layout {
                expected,
                got: mem.layout,
            });
        }
        Ok(())
    }

    /// The configuration.
    pub fn config(&self) -> &ChipConfig {
        &self.cfg
    }

    /// The PRNG (for learning circuits that draw from it).
    pub fn prng_mut(&mut self) -> &mut Prng {
        &mut self.prng
    }

    /// The PRNG state.
    pub fn prng(&self) -> Prng {
        self.prng
    }

    /// Steps taken since reset.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// The trace digest so far.
    pub fn digest(&self) -> u64 {
        self.digest.value()
    }

    /// Fold every weight and bias into the digest; learning calls this whenever it
    /// changes them.
    pub fn fold_weights(&mut self, mem: &Memory<'_>) {
        self.digest.fold_i16s(mem.w_in);
        self.digest.fold_i16s(mem.w_rec);
        self.digest.fold_i16s(mem.w_out);
        self.digest.fold_i32s(mem.bias);
    }

    /// Advance the chip by one time step with input spikes `input` (one bit per input
    /// channel). Spikes, membranes and readouts are left in `mem`.
    #[cfg_attr(target_arch = "x86_64", inline(always))]
    pub fn step(&mut self, mem: &mut Memory<'_>, input: &Bits) -> Result<StepOutput, StepError> {
        self.check_layout(mem)?;
        let n_in = self.cfg.n_in();
        if input.len() != n_in {
            return Err(StepError::InputLength {
                expected: n_in,
                got: input.len(),
            });
        }
        // 1. Synaptic input: external events, then recurrent events of the last step.
        mem.acc_in.fill(0);
        mem.acc_rec.fill(0);
        let mut synops = self.hidden_input(mem, input);
        let learning = self.cfg.learning().engine != Engine::Off;
        if learning {
            trace::update_pre(&self.cfg, mem, input, &mut self.prng);
        }
        // 2. Neuron engine (and pseudo-derivatives when learning, unless the
        // eligibility enable is cleared: then nothing reads them).
        let spikes = update_neurons(&self.cfg, mem, &mut self.prng, self.elig_en);
        // 3. Readout of this step's spikes.
        mem.acc_out.fill(0);
        synops = synops.saturating_add(accumulate_events(mem.z, mem.w_out, mem.acc_out));
        update_readouts(&self.cfg, mem, &mut self.prng);
        // 4. Learning state that every step updates.
        if learning {
            trace::update_post(&self.cfg, mem);
            // The light engine keeps per-synapse state only for ALIF neurons (`eps`).
            // Checked here, not in `update_eligibility`: there the branch made the
            // exact engine's loop compile 2-4% worse on a Cortex-M4.
            let light_lif = self.cfg.learning().engine == Engine::Light
                && mem.eps_in.is_empty()
                && mem.eps_rec.is_empty();
            if self.elig_en && !light_lif {
                eprop::update_eligibility(&self.cfg, mem);
            }
        }
        // 5. Digest.
        self.steps = self.steps.wrapping_add(1);
        self.fold_step(mem);
        Ok(StepOutput { spikes, synops })
    }

    /// Step 1 of [`Chip::step`]: input and recurrent events into the accumulators,
    /// through the release comparators of a class whose release probability is below
    /// one ([`crate::release`]; probability one draws nothing).
    #[cfg_attr(target_arch = "x86_64", inline(always))]
    fn hidden_input(&self, mem: &mut Memory<'_>, input: &Bits) -> u32 {
        let r = self.cfg.release();
        let (seed, t) = (self.cfg.seed(), self.steps);
        let a = if r.p_in < release::ALWAYS {
            let key = release::step_key(seed, t, release::class::INPUT);
            release::accumulate_events_released(input, mem.w_in, mem.acc_in, key, r.p_in)
        } else {
            accumulate_events(input, mem.w_in, mem.acc_in)
        };
        let b = if r.p_rec < release::ALWAYS {
            let key = release::step_key(seed, t, release::class::RECURRENT);
            release::accumulate_events_released(mem.z, mem.w_rec, mem.acc_rec, key, r.p_rec)
        } else {
            accumulate_events(mem.z, mem.w_rec, mem.acc_rec)
        };
        a.saturating_add(b)
    }

    /// The learning step after [`Chip::step`]: inside the target window (`target` is
    /// not [`Target::None`]) compute the error and learning signal and update (online)
    /// or accumulate (sample mode) the weights. Returns whether learning happened.
    #[cfg_attr(target_arch = "x86_64", inline(always))]
    pub fn learn(&mut self, mem: &mut Memory<'_>, target: Target<'_>) -> Result<bool, StepError> {
        self.learn_with(mem, target, crate::update::Kernels::default())
    }

    /// [`Chip::learn`] with a host's vector kernels ([`crate::update::Kernels`]: the
    /// exact engine's online weight update, the light engine's packed rows): the same
    /// bits.
    #[cfg_attr(target_arch = "x86_64", inline(always))]
    pub fn learn_with(
        &mut self,
        mem: &mut Memory<'_>,
        target: Target<'_>,
        kernels: crate::update::Kernels,
    ) -> Result<bool, StepError> {
        self.check_layout(mem)?;
        let learned = if self.rate_step == 0 {
            eprop::learn_with(&self.cfg, mem, self.steps, target, kernels)
        } else {
            let cfg = self.cfg.with_rate_step(self.rate_step);
            eprop::learn_with(&cfg, mem, self.steps, target, kernels)
        };
        if learned && !self.cfg.learning().apply.hidden_per_sample() {
            rewire::update(&self.cfg, mem, &mut self.prng);
        }
        Ok(learned)
    }

    /// End of a training sample: apply accumulated updates (sample mode), then fold
    /// the weights into the digest.
    #[cfg_attr(target_arch = "x86_64", inline(always))]
    pub fn end_sample(&mut self, mem: &mut Memory<'_>) -> Result<(), StepError> {
        self.check_layout(mem)?;
        eprop::end_sample(&self.cfg, mem, self.steps);
        if self.cfg.learning().apply.hidden_per_sample()
            && self.cfg.learning().engine != Engine::Off
        {
            rewire::update(&self.cfg, mem, &mut self.prng);
        }
        if self.cfg.learning().engine != Engine::Off {
            self.fold_weights(mem);
        }
        Ok(())
    }

    #[cfg_attr(target_arch = "x86_64", inline(always))]
    fn fold_step(&mut self, mem: &Memory<'_>) {
        self.digest.fold(self.steps);
        let digest = &mut self.digest;
        crate::words::for_each_word(mem.z, |_, w| digest.fold(u64::from(w)));
        self.digest.fold_i32s(mem.v);
        self.digest.fold_i32s(mem.y);
    }
}
