//! `neurochip experiment rewiring`: synaptic rewiring (Deep R) under a budget on
//! digits. The same network trained on the chip dense, with a fixed random 10 %
//! of the input and recurrent connections, and rewired with 10 % of them active
//! (`learning.rewire_fraction = 0.1`; `neurochip_core::rewire`), without and with
//! synaptic-sampling noise.
//!
//! Each arm has its own hidden-layer learning rate (`eta`): the example's 1e-4 for
//! the dense network, 1e-3 for the sparse ones, whose initial weights are sqrt(10)
//! times larger (the initialisation scales with 1 / sqrt(fan-in)), so that the same
//! float rate moves them ten times less relative to their size and in fewer weight
//! LSBs. The dense network is also trained at 1e-3, so the comparison holds at
//! equal rates too; the goal is measured against the better dense arm.
//!
//! Besides accuracy it records, for the first seed of each rewired arm, the active
//! count of both layers and the number of synapses rewired after every training
//! sample (the budget must hold at every update), and it reports the chip memory
//! of each arm in the dense layout (full matrices and a mask bit per synapse) and in
//! the compressed layout of rewired layers (`neurochip_emu::cycle::Compressed`), and
//! whether the network fits each built-in architecture's SRAM.

use neurochip_core::rewire;
use neurochip_emu::{cycle, footprint, Arch, HostChip};
use rayon::prelude::*;
use serde_json::json;

use super::arms::{self, Budget};
use super::{Ctx, Outcome};
use crate::plot::{self, Axes, Series};
use neurochip_emu::build;
use neurochip_emu::config::Config;
use neurochip_emu::learn::plan;
use neurochip_emu::task::AnySample;
use neurochip_emu::train::{self, ChipModel, Epoch, Learn, Scorer, Trainable};

/// One arm of the comparison.
#[derive(Clone, Copy, Debug)]
struct Arm {
    label: &'static str,
    /// `learning.rewire_fraction`.
    rewire: Option<f64>,
    /// `learning.rewire_noise`.
    noise: f64,
    /// Fixed sparse `input_connectivity = connectivity`.
    sparse: Option<f64>,
    /// Learning rate of the input and recurrent weights.
    eta: f64,
}

const fn arm(
    label: &'static str,
    rewire: Option<f64>,
    noise: f64,
    sparse: Option<f64>,
    eta: f64,
) -> Arm {
    Arm {
        label,
        rewire,
        noise,
        sparse,
        eta,
    }
}

const ARMS: [Arm; 5] = [
    arm("dense", None, 0.0, None, 1e-4),
    arm("dense, eta 1e-3", None, 0.0, None, 1e-3),
    arm("fixed sparse 10%", None, 0.0, Some(0.1), 1e-3),
    arm("rewired 10%", Some(0.1), 0.0, None, 1e-3),
    arm("rewired 10% + noise", Some(0.1), 0.02, None, 1e-3),
];

const FULL: Budget = Budget::new(4, 1297, 500);
const QUICK: Budget = Budget::new(1, 20, 20);

/// The chip model with a log of the connectivity after every training sample.
struct Tracked {
    inner: ChipModel,
    /// (training sample, active input, active recurrent, synapses switched).
    log: Vec<(u64, usize, usize, usize)>,
    masks: Vec<bool>,
}

fn masks(chip: &mut HostChip) -> Vec<bool> {
    let m = chip.mem();
    m.mask_in
        .iter()
        .by_vals()
        .chain(m.mask_rec.iter().by_vals())
        .collect()
}

impl Trainable for Tracked {
    fn sample(&mut self, sample: &AnySample<'_>, learn: Learn, acc: &mut Scorer) {
        self.inner.sample(sample, learn, acc);
        if learn == Learn::Off {
            return;
        }
        let now = masks(&mut self.inner.chip);
        let switched = now.iter().zip(&self.masks).filter(|(a, b)| a != b).count();
        self.masks = now;
        let (a_in, a_rec) = rewire::active(&self.inner.chip.mem());
        let k = self.log.len() as u64 + 1;
        self.log.push((k, a_in, a_rec, switched));
    }

    fn set_rate_step(&mut self, k: u8) {
        self.inner.set_rate_step(k);
    }
}

struct Run {
    arm: &'static str,
    seed: u64,
    epochs: Vec<Epoch>,
    accuracy: f64,
    activity: f64,
    digest: String,
    log: Vec<(u64, usize, usize, usize)>,
    budget: (u32, u32),
    chip: HostChip,
}

fn train_one(arm: &'static str, seed: u64, cfg: &Config) -> Result<Run, String> {
    let (_, mut chip) = build::chip(cfg).map_err(|e| e.to_string())?;
    let task = build::task(cfg).map_err(|e| e.to_string())?;
    let p = plan(cfg);
    let r = chip.config().rewire();
    let m0 = masks(&mut chip);
    let mut model = Tracked {
        inner: ChipModel::new(chip, task.n_inputs()),
        log: Vec::new(),
        masks: m0,
    };
    let epochs = train::train(&mut model, &task, &p, |_, _, _| {}, |_| {});
    let last = neurochip_emu::learn::final_test(&epochs, &mut model, &task, &p);
    let chip = model.inner.chip;
    Ok(Run {
        arm,
        seed,
        accuracy: last.accuracy,
        activity: last.activity,
        digest: format!("{:016x}", chip.digest()),
        epochs,
        log: model.log,
        budget: (r.budget_in, r.budget_rec),
        chip,
    })
}

fn config(base: &Config, arm: Arm, seed: u64, b: Budget) -> Config {
    let mut cfg = base.clone();
    b.apply(&mut cfg);
    cfg.seed = seed;
    cfg.learning.rewire_fraction = arm.rewire;
    cfg.learning.rewire_noise = arm.noise;
    cfg.learning.rates.eta_in = arm.eta;
    cfg.learning.rates.eta_rec = arm.eta;
    if let Some(p) = arm.sparse {
        cfg.network.input_connectivity = p;
        cfg.network.connectivity = p;
    }
    cfg
}

/// Run the comparison into `ctx.out`.
pub fn run(ctx: &Ctx) -> Result<Outcome, String> {
    let seeds: &[u64] = if ctx.quick { &[1] } else { &[1, 2, 3, 4, 5] };
    let budget = if ctx.quick { QUICK } else { FULL };
    let base = arms::example("digits")?;
    let mut jobs = Vec::new();
    for arm in ARMS {
        for &seed in seeds {
            jobs.push((arm.label, seed, config(&base, arm, seed, budget)));
        }
    }
    let runs: Vec<Run> = jobs
        .into_par_iter()
        .map(|(arm, seed, cfg)| train_one(arm, seed, &cfg))
        .collect::<Result<_, _>>()?;

    // Accuracy table.
    let header = [
        "arm",
        "eta (input, recurrent)",
        "seeds",
        "active input / recurrent synapses",
        "test accuracy % (mean ± std)",
        "activity (spikes / neuron-step)",
    ];
    let mut rows = Vec::new();
    let mut csv_rows = Vec::new();
    let mut json_runs = Vec::new();
    let mut means = Vec::new();
    for arm in ARMS {
        let mine: Vec<&Run> = runs.iter().filter(|r| r.arm == arm.label).collect();
        let acc: Vec<f64> = mine.iter().map(|r| r.accuracy).collect();
        let act: Vec<f64> = mine.iter().map(|r| r.activity).collect();
        let (m, s) = arms::mean_std(&acc);
        let (am, asd) = arms::mean_std(&act);
        let active = mine.first().map_or((0, 0), |r| {
            let mut c = r.chip.clone();
            rewire::active(&c.mem())
        });
        means.push((arm, m));
        rows.push(vec![
            arm.label.to_string(),
            format!("{:e}", arm.eta),
            mine.len().to_string(),
            format!("{} / {}", active.0, active.1),
            arms::pct(m, s),
            format!("{am:.4} ± {asd:.4}"),
        ]);
        for r in &mine {
            csv_rows.push(vec![
                arm.label.to_string(),
                format!("{:e}", arm.eta),
                r.seed.to_string(),
                format!("{:.4}", r.accuracy),
                format!("{:.5}", r.activity),
                r.digest.clone(),
            ]);
            json_runs.push(json!({
                "arm": arm.label, "eta": arm.eta, "seed": r.seed, "test_accuracy": r.accuracy,
                "activity": r.activity, "digest": r.digest, "epochs": r.epochs,
                "budget": r.budget,
                "budget_held": (r.budget.0 != rewire::OFF).then(|| {
                    r.log.iter().all(|&(_, a, b, _)| (a as u32, b as u32) == r.budget)
                }),
                "switched_total": r.log.iter().map(|x| x.3).sum::<usize>(),
            }));
        }
    }
    ctx.write_csv(
        "table.csv",
        &["arm", "eta", "seed", "test_accuracy", "activity", "digest"],
        &csv_rows,
    )?;
    let categories: Vec<String> = ARMS.iter().map(|a| a.label.to_string()).collect();
    let per_seed: Vec<Vec<f64>> = ARMS
        .iter()
        .map(|a| {
            runs.iter()
                .filter(|r| r.arm == a.label)
                .map(|r| 100.0 * r.accuracy)
                .collect()
        })
        .collect();
    plot::strip(
        &ctx.path("accuracy"),
        &Axes {
            title: "Digits: dense, fixed sparse and rewired (10% of connections)",
            x: "network",
            y: "test accuracy (%)",
        },
        &categories,
        &per_seed,
    )?;

    // Active count and turnover over training (first seed of each rewired arm).
    let mut active_series = Vec::new();
    let mut switch_series = Vec::new();
    let mut log_rows = Vec::new();
    for r in runs
        .iter()
        .filter(|r| r.seed == seeds[0] && r.budget.0 != rewire::OFF)
    {
        active_series.push(Series::new(
            format!("{}: input", r.arm),
            r.log.iter().map(|x| (x.0 as f64, x.1 as f64)).collect(),
        ));
        active_series.push(Series::new(
            format!("{}: recurrent", r.arm),
            r.log.iter().map(|x| (x.0 as f64, x.2 as f64)).collect(),
        ));
        // Mean over blocks of 50 samples, so the line is readable.
        let block = 50usize;
        switch_series.push(Series::new(
            r.arm.to_string(),
            r.log
                .chunks(block)
                .map(|c| {
                    let x = c.last().map_or(0.0, |l| l.0 as f64);
                    let y = c.iter().map(|l| l.3 as f64).sum::<f64>() / c.len() as f64;
                    (x, y)
                })
                .collect(),
        ));
        for &(k, a, b, s) in &r.log {
            log_rows.push(vec![
                r.arm.to_string(),
                k.to_string(),
                a.to_string(),
                b.to_string(),
                s.to_string(),
            ]);
        }
    }
    ctx.write_csv(
        "active.csv",
        &[
            "arm",
            "sample",
            "active_input",
            "active_recurrent",
            "switched",
        ],
        &log_rows,
    )?;
    plot::lines(
        &ctx.path("active"),
        &Axes {
            title: "Active synapses after every training sample (budget 10%)",
            x: "training sample",
            y: "active synapses",
        },
        &active_series,
    )?;
    plot::lines(
        &ctx.path("turnover"),
        &Axes {
            title: "Synapses switched on or off per training sample",
            x: "training sample",
            y: "synapses switched (mean over 50 samples)",
        },
        &switch_series,
    )?;

    // Memory report.
    let (mem_md, mem_json) = memory_report(&base)?;
    super::write(&ctx.path("memory.md"), mem_md.as_bytes())?;
    // The goal: each rewired arm against the better dense arm.
    let best_dense = means
        .iter()
        .filter(|(a, _)| a.rewire.is_none() && a.sparse.is_none())
        .fold(0.0f64, |b, (_, m)| b.max(*m));
    let gaps: Vec<(&str, f64)> = means
        .iter()
        .filter(|(a, _)| a.rewire.is_some())
        .map(|(a, m)| (a.label, 100.0 * (best_dense - m)))
        .collect();
    let gap_md: String = gaps
        .iter()
        .map(|(l, g)| format!("- {l}: {g:.1} points below the better dense arm\n"))
        .collect();
    let table = format!(
        "{}\n{}\nChip memory (digits network, bytes; compressed layout for rewired layers):\n\n{}",
        arms::markdown(&header, &rows),
        gap_md,
        mem_md
    );
    Ok(Outcome {
        table,
        json: json!({
            "quick": ctx.quick, "seeds": seeds, "budget": budget,
            "runs": json_runs, "memory": mem_json,
            "best_dense_accuracy": best_dense,
            "gap_points": gaps.iter().map(|(l, g)| json!({"arm": l, "points": g})).collect::<Vec<_>>(),
        }),
    })
}

/// Footprint and SRAM fit of the digits network: dense, rewired at 10 % stored dense
/// (the chip model's own arrays: full matrices and masks), rewired compressed.
fn memory_report(base: &Config) -> Result<(String, serde_json::Value), String> {
    let dense_cfg = base.clone();
    let mut rew_cfg = base.clone();
    rew_cfg.learning.rewire_fraction = Some(0.1);
    let (_, dense) = build::chip(&dense_cfg).map_err(|e| e.to_string())?;
    let (_, rew) = build::chip(&rew_cfg).map_err(|e| e.to_string())?;
    let fd = footprint(dense.config());
    let fr = footprint(rew.config());
    let archs = ["reckon", "multicore", "xylo"];
    let fit = |c: &neurochip_core::ChipConfig| -> Vec<String> {
        archs
            .iter()
            .map(
                |a| match Arch::builtin(a).map(|arch| cycle::sram(c, &arch)) {
                    Some(Ok(banks)) => {
                        format!(
                            "fits ({} B)",
                            banks.iter().map(|b| b.used_bytes).sum::<u64>()
                        )
                    }
                    Some(Err(cycle::FitError::Overflow {
                        needed,
                        capacity,
                        bank,
                        ..
                    })) => {
                        format!("`{bank}` over by {} B", needed.saturating_sub(capacity))
                    }
                    Some(Err(cycle::FitError::NoBank { structure, .. })) => {
                        format!("no bank for `{structure}`")
                    }
                    Some(Err(cycle::FitError::Ports {
                        what,
                        needed,
                        limit,
                        ..
                    })) => {
                        format!("{needed} {what} > {limit}")
                    }
                    Some(Err(e)) => format!("no: {e}"),
                    None => "(no such architecture)".into(),
                },
            )
            .collect()
    };
    // The dense layout of the rewired chip is the dense chip's (same arrays; the
    // masks are one bit per synapse in both).
    let total = |f: &neurochip_emu::Footprint| f.weights + f.neurons + f.learning;
    let header = [
        "layout",
        "weights B",
        "per-synapse learning B",
        "total B",
        "reckon",
        "multicore",
        "xylo",
    ];
    let row = |name: &str, f: &neurochip_emu::Footprint, fits: Vec<String>| {
        let mut r = vec![
            name.to_string(),
            f.weights.to_string(),
            f.learning_per_synapse.to_string(),
            total(f).to_string(),
        ];
        r.extend(fits);
        r
    };
    let rows = vec![
        row(
            "dense (and rewired 10%, dense layout)",
            &fd,
            fit(dense.config()),
        ),
        row("rewired 10%, compressed layout", &fr, fit(rew.config())),
    ];
    let saving = 1.0 - total(&fr) as f64 / total(&fd).max(1) as f64;
    let md = format!(
        "{}\nSaving of the compressed layout: {:.1} % of the chip memory.\n",
        arms::markdown(&header, &rows),
        100.0 * saving
    );
    Ok((
        md,
        json!({"dense": fd, "rewired_compressed": fr, "saving": saving,
               "fit_dense": fit(dense.config()), "fit_rewired": fit(rew.config())}),
    ))
}
