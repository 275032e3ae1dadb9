//! Reward-based e-prop from a configuration file (`[reward]`): the actor–critic of
//! [`neurochip_core::reward`] on its environment, trained on the chip through the same
//! run loop as a chip image ([`neurochip_tasks::runner::run_app`]), so `neurochip run`,
//! `run-image`, the cycle model and the firmware make the same calls; and the f64 twin
//! ([`neurochip_ref::reward::ActorCritic`]) on the same episodes.
//!
//! Success is the fraction of rewarded episodes while learning (actions sampled from
//! the policy) over the last [`window`] episodes.

use std::path::Path;
use std::time::Instant;

use fixed::types::U1F15;
use neurochip_core::reward::RewardParams;
use neurochip_core::Datapath;
use neurochip_ref::reward::{ActorCritic, RewardParams as FParams};
use neurochip_ref::{Learner, Reference};
use neurochip_tasks::app::{AppSpec, PlanSpec, TaskSpec};
use neurochip_tasks::navigation::{NavConfig, Outcome as NavOutcome};
use neurochip_tasks::reward_cue::ActionDraws;
use neurochip_tasks::runner::{self, Event, Halt};
use neurochip_tasks::{CueConfig, Spikes};
use serde::Serialize;

use crate::build::{self, BuildError};
use crate::config::{Config, Reward};
use crate::stop::Signal;
use crate::task::Task;
use crate::{footprint, Footprint, HostChip};

/// Success is measured over this many last episodes (or a third of a short run).
pub const WINDOW: usize = 500;

/// The success window of a run of `n` episodes: [`WINDOW`], or a third of a short run.
pub fn window(n: u64) -> usize {
    WINDOW.min((n as usize / 3).max(1))
}

/// Rewarded fraction of the last `w` episodes of `ok` (of all of them when fewer).
pub fn success_rate(ok: &[bool], w: usize) -> f64 {
    let tail = &ok[ok.len().saturating_sub(w)..];
    tail.iter().filter(|&&b| b).count() as f64 / tail.len().max(1) as f64
}

/// `x` in Q1.15 (`x` in [0, 1], rounded to nearest), as the decays are quantised.
fn q15(x: f64) -> u16 {
    U1F15::saturating_from_num(x.clamp(0.0, 1.0)).to_bits()
}

/// A Q1.15 register as a float.
fn from_q15(raw: u16) -> f64 {
    U1F15::from_bits(raw).to_num()
}

/// The chip's actor–critic registers for `r`.
pub fn params(r: &Reward) -> RewardParams {
    RewardParams {
        n_actions: r.actions as usize,
        gamma: q15(r.gamma),
        c_v: q15(r.value_weight),
    }
}

/// The float twin's actor–critic parameters: the chip's, dequantised.
pub fn float_params(r: &Reward) -> FParams {
    let p = params(r);
    FParams {
        n_actions: p.n_actions,
        gamma: from_q15(p.gamma),
        c_v: from_q15(p.c_v),
    }
}

fn no_reward(cfg: &Config) -> BuildError {
    BuildError {
        file: cfg.origin.clone(),
        field: "reward".into(),
        message: "the configuration has no [reward] section".into(),
    }
}

/// The environment of a reward configuration: the cue trial or the navigation arena
/// of its `[task]`.
pub enum Env {
    /// Cue accumulation, one choice per trial.
    Cue(CueConfig),
    /// Navigation, a move every `action_steps` steps.
    Navigation(NavConfig),
}

/// The environment of a reward configuration.
pub fn environment(cfg: &Config) -> Result<Env, BuildError> {
    match build::task(cfg)? {
        Task::Cue(c) => Ok(Env::Cue(c)),
        Task::Navigation(n) => Ok(Env::Navigation(n)),
        _ => Err(BuildError {
            file: cfg.origin.clone(),
            field: "task.kind".into(),
            message: "reward learning needs task.kind = \"cue\" or \"navigation\"".into(),
        }),
    }
}

/// The application a reward configuration runs: its environment and actor–critic,
/// and its plan (`[train]`: epochs of `train_samples` learning episodes, then
/// `test_samples` greedy ones). With `learn` off, only the greedy episodes.
pub fn app(cfg: &Config, learn: bool) -> Result<AppSpec<'static>, BuildError> {
    let r = cfg.reward.as_ref().ok_or_else(|| no_reward(cfg))?;
    let params = params(r);
    Ok(AppSpec {
        task: match environment(cfg)? {
            Env::Cue(cue) => TaskSpec::RewardCue { cue, params },
            Env::Navigation(nav) => TaskSpec::RewardNav { nav, params },
        },
        plan: PlanSpec {
            samples: 0,
            epochs: cfg.train.epochs,
            train_per_epoch: cfg.train.train_samples,
            test_samples: cfg.train.test_samples,
            batch: 1,
            learn,
            halve_every: 0,
        },
    })
}

/// What `neurochip run` reports after reward learning.
#[derive(Clone, Debug, Serialize)]
pub struct RewardReport {
    /// Configuration name.
    pub name: String,
    /// Engine.
    pub engine: String,
    /// Learning episodes.
    pub episodes: u64,
    /// Episodes in the success window.
    pub window: usize,
    /// Rewarded fraction of the last `window` learning episodes.
    pub success_rate: f64,
    /// Rewarded learning episodes per epoch.
    pub epoch_successes: Vec<u32>,
    /// Greedy test episodes after the last epoch.
    pub test_episodes: u32,
    /// Rewarded fraction of them (`None` without test episodes).
    pub test_success_rate: Option<f64>,
    /// The lines a chip image of this plan prints (`run-image`, firmware).
    pub lines: Vec<String>,
    /// Trace digest after training.
    pub digest: String,
    /// Chip memory per structure, bytes.
    pub footprint: Footprint,
    /// Wall-clock seconds.
    pub train_seconds: f64,
    /// A signal stopped the run between two episodes ([`crate::stop`]): the figures
    /// are those of the episodes that ran.
    pub interrupted: bool,
    /// The signal that stopped it (`SIGINT`, `SIGTERM`), when one did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signal: Option<Signal>,
}

impl RewardReport {
    /// The report as the table `neurochip run` prints after reward learning: the
    /// report's lines, a blank line and the figures.
    pub fn table(&self) -> String {
        use std::fmt::Write;
        let mut o = String::new();
        for l in &self.lines {
            let _ = writeln!(o, "{l}");
        }
        let _ = writeln!(o);
        let _ = writeln!(o, "  {:<32} {:>12}", "engine", self.engine);
        let _ = writeln!(o, "  {:<32} {:>12}", "learning episodes", self.episodes);
        let _ = writeln!(
            o,
            "  {:<32} {:>11.1}%",
            format!("success (last {} episodes)", self.window),
            100.0 * self.success_rate
        );
        if let Some(t) = self.test_success_rate {
            let _ = writeln!(
                o,
                "  {:<32} {:>11.1}%",
                format!("greedy test ({} episodes)", self.test_episodes),
                100.0 * t
            );
        }
        crate::learn::table_tail(&mut o, 32, self.train_seconds, &self.digest);
        o
    }

    /// For a stopped run, the line that says what ran and what was kept (`save`).
    pub fn interrupted_line(&self, planned: u64, save: Option<&Path>) -> Option<String> {
        let sig = self.signal?;
        let head = format!(
            "interrupted by {sig}: {} of {planned} learning episodes finished",
            self.episodes
        );
        Some(match save {
            Some(p) => format!("{head}; {} holds the chip as they left it", p.display()),
            None => format!("{head}; nothing saved (no --save)"),
        })
    }
}

/// Run the plan of `app` on `dp` (the chip, or the chip through cycle models) and
/// collect the report; `on_episode(done, total)` sees progress. `stop` is asked
/// before every episode: when it names a signal, the run ends there and the report
/// says so.
pub fn run_app(
    cfg: &Config,
    app: &AppSpec<'_>,
    dp: &mut (impl Datapath + ?Sized),
    mem: &mut neurochip_core::Memory<'_>,
    stop: &dyn Fn() -> Option<Signal>,
    mut on_episode: impl FnMut(u64, u64),
) -> Result<RewardReport, BuildError> {
    let c = *dp.config();
    let mut x = bitvec::bitvec![u32, bitvec::order::Lsb0; 0; c.n_in()];
    let mut sums = vec![0i64; c.n_out()];
    let (mut learned, mut lines, mut epochs) = (Vec::new(), Vec::new(), Vec::new());
    let mut test = (0u32, 0u32);
    let total = u64::from(app.plan.epochs) * u64::from(app.plan.train_per_epoch);
    let t0 = Instant::now();
    let signal = std::cell::Cell::new(None);
    let ask = || {
        signal.set(stop());
        signal.get().is_some()
    };
    let res = runner::run_app_until(dp, mem, app, &mut x, &mut sums, &ask, |ev| {
        match ev {
            Event::Episode {
                success,
                learn: true,
                ..
            } => {
                learned.push(success);
                on_episode(learned.len() as u64, total);
            }
            Event::Epoch {
                train_correct,
                train_samples,
                test_correct,
                test_samples,
                ..
            } => {
                // A plan of zero epochs reports its one greedy pass without training.
                if train_samples > 0 {
                    epochs.push(train_correct);
                }
                test = (test_correct, test_samples);
            }
            _ => {}
        }
        if ev.printed() {
            lines.push(ev.to_string());
        }
    });
    if let Err(Halt::Error(e)) = res {
        return Err(BuildError {
            file: cfg.origin.clone(),
            field: "reward".into(),
            message: e.to_string(),
        });
    }
    let w = window(learned.len() as u64).min(learned.len());
    Ok(RewardReport {
        name: cfg.name.clone(),
        engine: format!("{:?}", c.learning().engine).to_lowercase(),
        episodes: learned.len() as u64,
        window: w,
        success_rate: success_rate(&learned, w),
        epoch_successes: epochs,
        test_episodes: test.1,
        test_success_rate: (test.1 > 0).then(|| f64::from(test.0) / f64::from(test.1)),
        lines,
        digest: String::new(),
        footprint: footprint(&c),
        train_seconds: t0.elapsed().as_secs_f64(),
        interrupted: signal.get().is_some(),
        signal: signal.get(),
    })
}

/// Train the chip of a reward configuration by its plan; save the trained chip to
/// `save` (atomically) when given. `on_episode(done, total)` sees progress; `stop`
/// ([`crate::stop::requested`]) is asked before every episode, and a stopped run
/// saves the chip as its finished episodes left it.
pub fn train_chip(
    cfg: &Config,
    save: Option<&Path>,
    stop: &dyn Fn() -> Option<Signal>,
    on_episode: impl FnMut(u64, u64),
) -> Result<(RewardReport, HostChip), BuildError> {
    crate::learn::check_save(save)?;
    let (_, chip) = build::chip(cfg)?;
    let (rep, mut chip) = train_built(cfg, chip, stop, on_episode)?;
    // A stopped run holds the epochs it finished.
    let epochs = match rep.interrupted {
        true => u32::try_from(rep.episodes / u64::from(cfg.train.train_samples.max(1)))
            .unwrap_or(u32::MAX),
        false => cfg.train.epochs,
    };
    crate::learn::save_snapshot(save, &mut chip, epochs)?;
    Ok((rep, chip))
}

/// Train `chip` (built from `cfg`, perhaps with weights written since,
/// [`crate::weights`]) by the plan of `cfg`.
pub fn train_built(
    cfg: &Config,
    mut chip: HostChip,
    stop: &dyn Fn() -> Option<Signal>,
    on_episode: impl FnMut(u64, u64),
) -> Result<(RewardReport, HostChip), BuildError> {
    let app = app(cfg, true)?;
    let (c, mut mem) = chip.parts();
    let mut rep = run_app(cfg, &app, c, &mut mem, stop, on_episode)?;
    rep.digest = format!("{:016x}", chip.digest());
    Ok((rep, chip))
}

/// Train the f64 twin (`sim` and `learner`, on the chip's dequantised network) on the
/// learning episodes of the plan of `cfg` (the same trials, ids `0..n`), its actions
/// drawn from [`ActionDraws`] of the configuration's seed. Returns whether each
/// episode was rewarded.
pub fn train_float(
    cfg: &Config,
    sim: &mut Reference,
    learner: &mut Learner,
) -> Result<Vec<bool>, BuildError> {
    let r = cfg.reward.as_ref().ok_or_else(|| no_reward(cfg))?;
    let env = environment(cfg)?;
    let n = u64::from(cfg.train.epochs) * u64::from(cfg.train.train_samples);
    let mut ac = ActorCritic::new(float_params(r), sim);
    let draws = ActionDraws::new(cfg.seed);
    let n_in = sim.network().n_in;
    let mut bits = bitvec::bitvec![u32, bitvec::order::Lsb0; 0; n_in];
    let mut x = vec![false; n_in];
    let mut step = |sim: &mut Reference, learner: &mut Learner, bits: &Spikes| {
        for (xi, b) in x.iter_mut().zip(bits.iter()) {
            *xi = *b;
        }
        learner.step(sim, &x);
    };
    Ok((0..n)
        .map(|e| {
            sim.reset_state();
            learner.reset_state();
            let ok = match &env {
                Env::Cue(cue) => {
                    let s = cue.sample(e);
                    let steps = s.steps();
                    let mut action = 0;
                    for t in 0..steps {
                        s.spikes(t, &mut bits);
                        step(sim, learner, &bits);
                        if t + 1 == steps {
                            action = ac.act(sim, learner, 0.0, draws.draw(e, 0)).0;
                        }
                    }
                    action == usize::from(s.label())
                }
                Env::Navigation(nav) => {
                    // The chip's episode: a move every action_steps steps, the k-th
                    // move drawn with the k-th draw of the episode.
                    let mut ep = nav.episode(e);
                    let (mut t, mut k) = (0u32, 0u64);
                    loop {
                        for _ in 0..nav.action_steps.max(1) {
                            ep.spikes(t, &mut bits);
                            step(sim, learner, &bits);
                            t += 1;
                        }
                        let a = ac.act(sim, learner, 0.0, draws.draw(e, k)).0;
                        k += 1;
                        match ep.act(a) {
                            NavOutcome::Continue => continue,
                            NavOutcome::Arrived => break true,
                            NavOutcome::TimedOut => break false,
                        }
                    }
                }
            };
            ac.finish(sim, learner, if ok { 1.0 } else { 0.0 });
            ok
        })
        .collect())
}

/// What `neurochip verify` reports for a reward configuration: the chip and its f64
/// twin trained side by side on the same episodes.
#[derive(Clone, Debug, Serialize)]
pub struct RewardVerifyReport {
    /// The chip's run.
    pub chip: RewardReport,
    /// The twin's rewarded fraction of the same last episodes.
    pub float_success_rate: f64,
    /// Chip minus twin, points.
    pub gap_points: f64,
}

impl RewardVerifyReport {
    /// The report as the table `neurochip verify` prints (after a blank line).
    pub fn table(&self) -> String {
        use std::fmt::Write;
        let mut o = String::new();
        let _ = writeln!(o, "  {:<34} {:>10} {:>10}", "", "chip", "float");
        let _ = writeln!(
            o,
            "  {:<34} {:>9.1}% {:>9.1}%",
            format!("success (last {} episodes)", self.chip.window),
            100.0 * self.chip.success_rate,
            100.0 * self.float_success_rate
        );
        let _ = writeln!(
            o,
            "  {:<34} {:>10.1}",
            "gap (points, chip - float)", self.gap_points
        );
        let _ = writeln!(o, "  {:<34} {:>10}", "digest", self.chip.digest);
        o
    }
}

/// Train the chip of a reward configuration and its f64 twin (on the chip's
/// dequantised network, with its effective rates) side by side, on all cores.
pub fn verify(
    cfg: &Config,
    on_episode: impl FnMut(u64, u64) + Send,
) -> Result<(RewardVerifyReport, HostChip), BuildError> {
    let (_, mut chip) = build::chip(cfg)?;
    let (mut sim, mut learner) = crate::learn::float_twin(cfg, &mut chip);
    let (c, f) = rayon::join(
        || train_built(cfg, chip, &|| None, on_episode),
        || train_float(cfg, &mut sim, &mut learner),
    );
    let (rep, chip) = c?;
    let fs = success_rate(&f?, rep.window);
    Ok((
        RewardVerifyReport {
            gap_points: 100.0 * (rep.success_rate - fs),
            float_success_rate: fs,
            chip: rep,
        },
        chip,
    ))
}
