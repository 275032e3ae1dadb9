//! Delayed-reward navigation: a `size` x `size` grid arena, the agent's position and
//! the goal's coded by place-cell-like Poisson inputs, a goal placed at random, reward
//! only on arrival, and a limit on the moves of an episode.
//!
//! # Protocol
//! - Inputs: `2 * size^2` channels. Channel `c < size^2` is the place cell of cell
//!   `c` (row-major) for the agent, channel `size^2 + c` the one for the goal. A place
//!   cell fires at `rate_hz * exp(-d^2 / (2 sigma^2))`, `d` the distance (in cells)
//!   from its cell to the coded position (`f32`, [`libm`], the same bits everywhere).
//! - Episode `e`: start and goal drawn uniformly from the cells (`below(seed, e, META |
//!   TAG, k, size^2)`, redrawn with the next `k` while they coincide).
//! - The agent acts every `action_steps` steps: 0 up, 1 down, 2 left, 3 right; a move
//!   into the wall leaves it in place. Arriving on the goal gives reward 1 and ends
//!   the episode; so does reaching `max_moves` moves (reward 0).
//! - Spikes of step `t` of episode `e` are Bernoulli draws `(seed, e, t, channel)`.
//!
//! [`NavConfig`] is plain data with `check()`; [`NavEpisode`] holds the state of one
//! episode (no allocation, no panics).

use crate::error::{at_least_one, int_in};
use crate::poisson::{check_dt, check_rate};
use crate::rng::{self, StepHasher, META};
use crate::{fill, Spikes, TaskError};
use neurochip_core::reward::{AgentOp, Critic, RewardParams};
use neurochip_core::{Datapath, Memory, StepError};

/// Stream tag of the start and goal draws.
const TAG_PLACE: u64 = 2;
/// Largest arena side accepted by [`NavConfig::check`].
pub const MAX_SIZE: u32 = 16;
/// Number of actions (up, down, left, right).
pub const N_ACTIONS: usize = 4;

/// Configuration of the navigation task.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NavConfig {
    /// Side of the arena in cells, `2..=16` (default 5).
    pub size: u32,
    /// Peak rate of a place cell, Hz (default 100).
    pub rate_hz: f32,
    /// Width of a place field, cells (default 0.7).
    pub sigma: f32,
    /// Steps between two moves, `>= 1` (default 20).
    pub action_steps: u32,
    /// Most moves of an episode, `>= 1` (default 30).
    pub max_moves: u32,
    /// Time step, ms (default 1).
    pub dt_ms: f32,
    /// Seed (default 0).
    pub seed: u64,
}

impl Default for NavConfig {
    fn default() -> Self {
        NavConfig {
            size: 5,
            rate_hz: 100.0,
            sigma: 0.7,
            action_steps: 20,
            max_moves: 30,
            dt_ms: 1.0,
            seed: 0,
        }
    }
}

impl NavConfig {
    /// Validates every field.
    pub fn check(&self) -> Result<(), TaskError> {
        int_in(
            "NavConfig.size",
            self.size.into(),
            2,
            MAX_SIZE.into(),
            "2..=16",
        )?;
        check_dt("NavConfig.dt_ms", self.dt_ms)?;
        check_rate("NavConfig.rate_hz", self.rate_hz, self.dt_ms)?;
        if !(self.sigma.is_finite() && self.sigma > 0.0) {
            return Err(TaskError::Float {
                field: "NavConfig.sigma",
                value: self.sigma,
                allowed: "finite and > 0",
            });
        }
        at_least_one("NavConfig.action_steps", self.action_steps.into(), ">= 1")?;
        at_least_one("NavConfig.max_moves", self.max_moves.into(), ">= 1")
    }

    /// Number of input channels (`2 * size^2`).
    pub fn n_inputs(&self) -> usize {
        (self.size.min(MAX_SIZE) as usize).pow(2).saturating_mul(2)
    }

    /// Episode `index` at its start.
    pub fn episode(&self, index: u64) -> NavEpisode {
        let size = self.size.clamp(2, MAX_SIZE);
        let cells = size.saturating_mul(size);
        let draw = |k: u64| rng::below(self.seed, index, META | TAG_PLACE, k, cells);
        let start = draw(0);
        let mut goal = draw(1);
        let mut k = 2;
        while goal == start && k < 64 {
            goal = draw(k);
            k = k.saturating_add(1);
        }
        if goal == start {
            goal = start.wrapping_add(1) % cells;
        }
        NavEpisode {
            cfg: *self,
            size,
            index,
            pos: start,
            goal,
            moves: 0,
            p_peak: rng::rate_q32(self.rate_hz, self.dt_ms),
        }
    }
}

/// What a move did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The episode goes on.
    Continue,
    /// Arrived on the goal: reward 1, episode over.
    Arrived,
    /// Out of moves: reward 0, episode over.
    TimedOut,
}

/// One episode's state.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NavEpisode {
    cfg: NavConfig,
    size: u32,
    index: u64,
    pos: u32,
    goal: u32,
    moves: u32,
    p_peak: u32,
}

impl NavEpisode {
    /// The agent's cell (row-major).
    pub fn position(&self) -> u32 {
        self.pos
    }

    /// The goal's cell.
    pub fn goal(&self) -> u32 {
        self.goal
    }

    /// Moves made.
    pub fn moves(&self) -> u32 {
        self.moves
    }

    /// The fewest moves from the current position to the goal (Manhattan distance).
    pub fn shortest(&self) -> u32 {
        let (r0, c0) = (self.pos / self.size, self.pos % self.size);
        let (r1, c1) = (self.goal / self.size, self.goal % self.size);
        r0.abs_diff(r1).saturating_add(c0.abs_diff(c1))
    }

    /// Make move `action` (0 up, 1 down, 2 left, 3 right; others stay).
    pub fn act(&mut self, action: usize) -> Outcome {
        let (r, c) = (self.pos / self.size, self.pos % self.size);
        let last = self.size.saturating_sub(1);
        let (r, c) = match action {
            0 => (r.saturating_sub(1), c),
            1 => (r.saturating_add(1).min(last), c),
            2 => (r, c.saturating_sub(1)),
            3 => (r, c.saturating_add(1).min(last)),
            _ => (r, c),
        };
        self.pos = r.saturating_mul(self.size).saturating_add(c);
        self.moves = self.moves.saturating_add(1);
        if self.pos == self.goal {
            Outcome::Arrived
        } else if self.moves >= self.cfg.max_moves {
            Outcome::TimedOut
        } else {
            Outcome::Continue
        }
    }

    /// Firing probability (of 2^32) of a place cell at `cell` coding position `at`.
    fn place_p(&self, cell: u32, at: u32) -> u32 {
        let (r0, c0) = (cell / self.size, cell % self.size);
        let (r1, c1) = (at / self.size, at % self.size);
        let d2 = r0
            .abs_diff(r1)
            .pow(2)
            .saturating_add(c0.abs_diff(c1).pow(2)) as f32;
        let s = self.cfg.sigma;
        let g = libm::expf(-d2 / (2.0 * s * s));
        (self.p_peak as f32 * g) as u32
    }

    /// Writes the spikes of step `t` (counted from the episode start) into `out`.
    pub fn spikes(&self, t: u32, out: &mut Spikes) {
        let cells = self.size.saturating_mul(self.size) as usize;
        let n = cells.saturating_mul(2);
        let h = StepHasher::new(self.cfg.seed, self.index, u64::from(t));
        fill(out, n, |c| {
            let (cell, at) = if c < cells {
                (c as u32, self.pos)
            } else {
                (c.saturating_sub(cells) as u32, self.goal)
            };
            let p = self.place_p(cell, at);
            p != 0 && h.bernoulli(c as u64, p)
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitvec::prelude::*;

    #[test]
    fn start_and_goal_differ_and_repeat() {
        let cfg = NavConfig::default();
        for e in 0..500 {
            let ep = cfg.episode(e);
            assert_ne!(ep.position(), ep.goal());
            assert!(ep.goal() < 25 && ep.shortest() >= 1 && ep.shortest() <= 8);
            assert_eq!(ep, cfg.episode(e));
        }
    }

    #[test]
    fn shortest_path_arrives() {
        let cfg = NavConfig::default();
        let mut ep = cfg.episode(3);
        let n = ep.shortest();
        let mut out = Outcome::Continue;
        for _ in 0..n {
            let (r, c) = (ep.position() / 5, ep.position() % 5);
            let (gr, gc) = (ep.goal() / 5, ep.goal() % 5);
            let a = if gr < r {
                0
            } else if gr > r {
                1
            } else if gc < c {
                2
            } else {
                3
            };
            out = ep.act(a);
        }
        assert_eq!(out, Outcome::Arrived);
        assert_eq!(ep.moves(), n);
    }

    #[test]
    fn walls_and_time_limit() {
        let cfg = NavConfig {
            max_moves: 3,
            ..NavConfig::default()
        };
        let mut ep = cfg.episode(0);
        let g = ep.goal();
        // Moves that hit no goal: 4 is "stay".
        assert_eq!(
            ep.act(4),
            if ep.position() == g {
                Outcome::Arrived
            } else {
                Outcome::Continue
            }
        );
        ep.act(4);
        assert_eq!(ep.act(4), Outcome::TimedOut);
    }

    #[test]
    fn place_cells_fire_most_at_the_position() {
        let cfg = NavConfig::default();
        let ep = cfg.episode(1);
        let mut buf = bitvec![u32, Lsb0; 0; cfg.n_inputs()];
        let mut counts = [0u32; 50];
        for t in 0..4000 {
            ep.spikes(t, &mut buf);
            for (c, b) in buf.iter().enumerate() {
                counts[c] += u32::from(*b);
            }
        }
        let here = counts[ep.position() as usize];
        let goal = counts[25 + ep.goal() as usize];
        // 100 Hz for 4 s: about 400 spikes at the coded cell.
        assert!((330..470).contains(&here), "{here}");
        assert!((330..470).contains(&goal), "{goal}");
        let far = (0..25u32)
            .filter(|&c| {
                let (r, k) = (c / 5, c % 5);
                let (pr, pk) = (ep.position() / 5, ep.position() % 5);
                r.abs_diff(pr) + k.abs_diff(pk) >= 3
            })
            .map(|c| counts[c as usize])
            .max()
            .unwrap();
        assert!(far < 20, "{far}");
    }
}

/// What one navigation episode on the chip did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NavResult {
    /// Arrived on the goal within the move limit.
    pub arrived: bool,
    /// Moves made.
    pub moves: u32,
    /// The fewest moves from the start.
    pub shortest: u32,
    /// Recurrent spikes of the episode.
    pub spikes: u64,
}

/// Run navigation episode `index` on the chip (any [`Datapath`]: the chip, or the chip
/// through cycle models), learning with the actor–critic of `p` (`p.n_actions` must be
/// [`N_ACTIONS`]): the chip steps `action_steps` steps per move, then an agent step
/// ([`AgentOp::Act`]) picks the move (the TD error of the previous move is applied
/// with reward 0), and the episode ends with [`AgentOp::Finish`] and reward one
/// (readout format) on arrival, 0 on time-out. With `learn` false the chip takes the
/// most probable move (the largest policy readout) and nothing learns.
pub fn run_episode(
    chip: &mut (impl Datapath + ?Sized),
    mem: &mut Memory<'_>,
    task: &NavConfig,
    p: &RewardParams,
    index: u64,
    x: &mut Spikes,
    learn: bool,
) -> Result<NavResult, StepError> {
    let mut ep = task.episode(index);
    let shortest = ep.shortest();
    chip.begin_sample(mem);
    let mut critic = Critic::default();
    let one = crate::reward_cue::reward_one(chip.config());
    let (mut t, mut spikes) = (0u32, 0u64);
    loop {
        for _ in 0..task.action_steps.max(1) {
            ep.spikes(t, x);
            chip.step(mem, x)?;
            spikes = spikes.wrapping_add(mem.z.count_ones() as u64);
            t = t.wrapping_add(1);
        }
        let a = if learn {
            let act = AgentOp::Act {
                params: p,
                reward: 0,
            };
            chip.agent(mem, &mut critic, act)?.0
        } else {
            crate::reward_cue::greedy(mem.y, p.n_actions)
        };
        let arrived = match ep.act(a) {
            Outcome::Continue => continue,
            Outcome::Arrived => true,
            Outcome::TimedOut => false,
        };
        if learn {
            let reward = if arrived { one } else { 0 };
            chip.agent(mem, &mut critic, AgentOp::Finish { reward })?;
        }
        return Ok(NavResult {
            arrived,
            moves: ep.moves(),
            shortest,
            spikes,
        });
    }
}
