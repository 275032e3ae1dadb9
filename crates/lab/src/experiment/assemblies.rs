//! `neurochip experiment assemblies`: STDP assemblies on the fixed-point chip
//! (assembly calculus: projection, association, recall from a partial cue).
//!
//! One area of excitatory LIF neurons under a k-cap ([`neurochip_core::assembly`]),
//! with pair-based STDP ([`neurochip_core::stdp`]) on its afferent and recurrent
//! synapses. Three stimuli (disjoint groups of input neurons) are used:
//!
//! * **projection**: each stimulus is presented in turn, `rounds` times; the
//!   neurons that answer each one form its assembly. The figure is the mean weight of
//!   recurrent synapses inside an assembly against the mean between assemblies.
//! * **recall**: after projection, a random fraction of an assembly is made to
//!   fire (no input) and the area runs on its recurrent weights alone; the figure is
//!   the fraction of the assembly firing at the end (and of the firing neurons that
//!   belong to it).
//! * **association**: stimuli A and B are presented together; after each round
//!   the assemblies that A and B evoke alone are measured again and their overlap
//!   `|A ∩ B| / k` is the figure.
//!
//! Everything is drawn from the chip PRNG of the area (wiring, tie breaks,
//! stochastic rounding) and from a second generator for the stimuli and cues, both
//! seeded from the seed: the run is deterministic and its digest is reported.

use fixed::types::U0F16;
use neurochip_core::assembly::{lengths, Area, AreaConfig, AreaMemory};
use neurochip_core::stdp::Weight;
use neurochip_core::Prng;
use neurochip_tasks::assembly;
use serde_json::json;

use super::arms::markdown;
use super::{Ctx, Outcome};
use crate::plot::{self, Axes, Series};

/// An area and the buffers it runs in (the host's SRAM).
#[derive(Clone, Debug)]
pub struct HostArea {
    /// The area.
    pub area: Area,
    /// Afferent weights.
    pub w_in: Vec<Weight>,
    /// Recurrent weights.
    pub w_rec: Vec<Weight>,
    v: Vec<i32>,
    z: Vec<bool>,
    tr_in: Vec<u16>,
    tr_pre: Vec<u16>,
    tr_post: Vec<u16>,
}

impl HostArea {
    /// Buffers for `cfg`, an area seeded with `seed`, not yet wired.
    pub fn new(cfg: AreaConfig, seed: u64) -> Result<Self, String> {
        let l = lengths(&cfg);
        let len = |i: usize| l.get(i).map_or(0, |x| x.1);
        let (mut w_in, mut w_rec, mut v, mut z) = (
            vec![0; len(0)],
            vec![0; len(1)],
            vec![0; len(2)],
            vec![false; len(3)],
        );
        let (mut tr_in, mut tr_pre, mut tr_post) =
            (vec![0; len(4)], vec![0; len(5)], vec![0; len(6)]);
        let mem = AreaMemory {
            w_in: &mut w_in,
            w_rec: &mut w_rec,
            v: &mut v,
            z: &mut z,
            tr_in: &mut tr_in,
            tr_pre: &mut tr_pre,
            tr_post: &mut tr_post,
        };
        let area = Area::new(cfg, seed, &mem).map_err(|e| e.to_string())?;
        Ok(Self {
            area,
            w_in,
            w_rec,
            v,
            z,
            tr_in,
            tr_pre,
            tr_post,
        })
    }

    /// The area and its memory, borrowed apart.
    pub fn parts(&mut self) -> (&mut Area, AreaMemory<'_>) {
        (
            &mut self.area,
            AreaMemory {
                w_in: &mut self.w_in,
                w_rec: &mut self.w_rec,
                v: &mut self.v,
                z: &mut self.z,
                tr_in: &mut self.tr_in,
                tr_pre: &mut self.tr_pre,
                tr_post: &mut self.tr_post,
            },
        )
    }

    /// Spikes of the last step.
    pub fn spikes(&self) -> &[bool] {
        &self.z
    }

    /// Wire (see [`Area::wire`]); probabilities as reals.
    pub fn wire(&mut self, p_in: f64, p_rec: f64, w0: (Weight, Weight)) {
        let q = |p: f64| U0F16::saturating_from_num(p).to_bits();
        let (area, mut mem) = self.parts();
        area.wire(&mut mem, q(p_in), q(p_rec), w0.0, w0.1);
    }

    /// One step.
    pub fn step(&mut self, x: &[bool], plastic: bool) -> Result<usize, String> {
        let (area, mut mem) = self.parts();
        area.step(&mut mem, x, plastic).map_err(|e| e.to_string())
    }

    /// Clear membranes, spikes and traces.
    pub fn reset_state(&mut self) {
        let (area, mut mem) = self.parts();
        area.reset_state(&mut mem);
    }

    /// Force the last step's spikes.
    pub fn force(&mut self, cue: &[bool]) {
        let (area, mut mem) = self.parts();
        area.force(&mut mem, cue);
    }

    /// The digest with the current weights folded in.
    pub fn final_digest(&mut self) -> u64 {
        let (area, mem) = self.parts();
        area.fold_weights(&mem);
        area.digest()
    }
}

/// The experiment's parameters.
#[derive(Clone, Copy, Debug)]
pub struct Params {
    /// Area configuration.
    pub area: AreaConfig,
    /// Number of stimuli (assemblies).
    pub stimuli: usize,
    /// Input neurons per stimulus.
    pub stim_size: usize,
    /// Probability that a stimulus neuron spikes in a step while it is shown.
    pub p_fire: f64,
    /// Afferent and recurrent connection probabilities.
    pub p_in: f64,
    /// Recurrent connection probability.
    pub p_rec: f64,
    /// Initial weights, uniform in this range.
    pub w0: (Weight, Weight),
    /// Steps per presentation.
    pub present: usize,
    /// Projection rounds (each shows every stimulus once).
    pub rounds: usize,
    /// Association rounds (A and B together).
    pub assoc_rounds: usize,
    /// Steps of recall after the cue.
    pub recall_steps: usize,
    /// Cues drawn per cue size.
    pub cues: usize,
    /// Seed.
    pub seed: u64,
}

impl Params {
    /// The published run (`quick`: a smaller area and fewer rounds).
    pub fn new(quick: bool, seed: u64) -> Self {
        let (n, k) = if quick { (200, 20) } else { (2000, 50) };
        Self {
            area: assembly::area_config(n, k),
            stimuli: assembly::STIMULI,
            stim_size: assembly::STIM_SIZE,
            p_fire: 0.9,
            p_in: 0.1,
            p_rec: if quick { 0.25 } else { 0.15 },
            w0: (8, 24),
            present: 10,
            rounds: if quick { 6 } else { 15 },
            assoc_rounds: if quick { 6 } else { 15 },
            recall_steps: 5,
            cues: if quick { 4 } else { 20 },
            seed,
        }
    }
}

/// Input spikes of stimulus set `stims` for one step.
fn input(p: &Params, stims: &[usize], rng: &mut Prng, x: &mut [bool]) {
    let q = U0F16::saturating_from_num(p.p_fire).to_bits();
    x.fill(false);
    for &s in stims {
        for i in s * p.stim_size..(s + 1) * p.stim_size {
            if let Some(b) = x.get_mut(i) {
                *b = p.p_fire >= 1.0 || rng.chance_q16(q);
            }
        }
    }
}

/// Show `stims` for `p.present` steps from a reset state.
fn present(
    h: &mut HostArea,
    p: &Params,
    stims: &[usize],
    rng: &mut Prng,
    plastic: bool,
) -> Result<Vec<u32>, String> {
    let mut x = vec![false; p.area.n_in];
    let mut count = vec![0u32; p.area.n];
    h.reset_state();
    for t in 0..p.present {
        input(p, stims, rng, &mut x);
        h.step(&x, plastic)?;
        if 2 * t >= p.present {
            for (c, &z) in count.iter_mut().zip(h.spikes()) {
                *c += u32::from(z);
            }
        }
    }
    h.reset_state();
    Ok(count)
}

/// The assembly a stimulus evokes (no plasticity): neurons that fire in at least half
/// of the second half of a presentation.
pub fn assembly(
    h: &mut HostArea,
    p: &Params,
    stim: usize,
    rng: &mut Prng,
) -> Result<Vec<usize>, String> {
    let count = present(h, p, &[stim], rng, false)?;
    let late = (p.present - p.present / 2) as u32;
    Ok((0..p.area.n).filter(|&i| 2 * count[i] >= late).collect())
}

/// Mean recurrent weight within assemblies and between them (present synapses).
pub fn within_between(h: &HostArea, n: usize, asm: &[Vec<usize>]) -> (f64, f64) {
    let mut member = vec![0u32; n];
    for (a, set) in asm.iter().enumerate() {
        for &i in set {
            member[i] |= 1 << a;
        }
    }
    let (mut ws, mut wn, mut bs, mut bn) = (0.0, 0usize, 0.0, 0usize);
    for j in 0..n {
        for i in 0..n {
            let w = h.w_rec[j * n + i];
            let (mi, mj) = (member[i], member[j]);
            if w < 0 || mi == 0 || mj == 0 {
                continue;
            }
            if mi & mj != 0 {
                ws += f64::from(w);
                wn += 1;
            } else {
                bs += f64::from(w);
                bn += 1;
            }
        }
    }
    (ws / wn.max(1) as f64, bs / bn.max(1) as f64)
}

/// `|a ∩ b| / k`.
pub fn overlap(a: &[usize], b: &[usize], k: usize) -> f64 {
    a.iter().filter(|i| b.contains(i)).count() as f64 / k.max(1) as f64
}

/// Recall from a cue of `frac` of `asm`: (fraction of the assembly firing at the end,
/// fraction of the firing neurons inside the assembly), plasticity off.
pub fn recall(
    h: &mut HostArea,
    p: &Params,
    asm: &[usize],
    frac: f64,
    rng: &mut Prng,
) -> Result<(f64, f64), String> {
    let n = p.area.n;
    let want = ((asm.len() as f64) * frac).round() as usize;
    // A random subset of `want` members (partial Fisher–Yates).
    let mut pool = asm.to_vec();
    for i in 0..want.min(pool.len()) {
        let j = i + (rng.next_u32() as usize) % (pool.len() - i);
        pool.swap(i, j);
    }
    let mut cue = vec![false; n];
    for &i in pool.iter().take(want) {
        cue[i] = true;
    }
    h.reset_state();
    h.force(&cue);
    let x = vec![false; p.area.n_in];
    for _ in 0..p.recall_steps {
        h.step(&x, false)?;
    }
    let fired: Vec<usize> = (0..n).filter(|&i| h.spikes()[i]).collect();
    let hit = fired.iter().filter(|i| asm.contains(i)).count() as f64;
    h.reset_state();
    Ok((
        hit / asm.len().max(1) as f64,
        hit / fired.len().max(1) as f64,
    ))
}

/// Everything one run measured.
#[derive(Clone, Debug)]
pub struct Measured {
    /// Per projection round: (within, between) mean weight.
    pub projection: Vec<(f64, f64)>,
    /// Assemblies after projection.
    pub assemblies: Vec<Vec<usize>>,
    /// Per cue fraction: (fraction, recall, precision), averaged over cues and assemblies.
    pub recall: Vec<(f64, f64, f64)>,
    /// The same before projection (initial weights): the control.
    pub recall_before: Vec<(f64, f64, f64)>,
    /// Overlap of A and B before association, then after each round.
    pub overlap: Vec<f64>,
    /// Within-A and within-B mean weight after association, and A-B mean.
    pub assoc_weights: (f64, f64),
    /// Recurrent weights after projection, within and between (for histograms).
    pub hist: (Vec<f64>, Vec<f64>),
    /// The area's digest at the end.
    pub digest: u64,
}

/// Cue sizes of the recall curve.
pub const CUE_FRACTIONS: [f64; 8] = [0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0];

/// Recall and precision per cue size, averaged over `p.cues` cues of each assembly.
fn recall_curve(
    h: &mut HostArea,
    p: &Params,
    assemblies: &[Vec<usize>],
    rng: &mut Prng,
) -> Result<Vec<(f64, f64, f64)>, String> {
    let mut rec = Vec::new();
    for &f in &CUE_FRACTIONS {
        let (mut r, mut pr, mut c) = (0.0, 0.0, 0.0);
        for asm in assemblies {
            for _ in 0..p.cues {
                let (a, b) = recall(h, p, asm, f, rng)?;
                r += a;
                pr += b;
                c += 1.0;
            }
        }
        rec.push((f, r / c, pr / c));
    }
    Ok(rec)
}

/// Run projection, recall and association.
pub fn measure(p: &Params) -> Result<Measured, String> {
    let mut h = HostArea::new(p.area, p.seed)?;
    h.wire(p.p_in, p.p_rec, p.w0);
    let mut rng = Prng::new(p.seed ^ 0x5EED_A55E_0000_0001);
    let n = p.area.n;
    let all: Vec<usize> = (0..p.stimuli).collect();
    let measure_all = |h: &mut HostArea, rng: &mut Prng| -> Result<Vec<Vec<usize>>, String> {
        all.iter().map(|&s| assembly(h, p, s, rng)).collect()
    };
    let mut projection = Vec::new();
    let asm0 = measure_all(&mut h, &mut rng)?;
    projection.push(within_between(&h, n, &asm0));
    // Control: recall on the initial weights, from the sets the stimuli evoke then.
    let recall_before = recall_curve(&mut h, p, &asm0, &mut rng)?;
    for _ in 0..p.rounds {
        for s in 0..p.stimuli {
            present(&mut h, p, &[s], &mut rng, true)?;
        }
        let asm = measure_all(&mut h, &mut rng)?;
        projection.push(within_between(&h, n, &asm));
    }
    let assemblies = measure_all(&mut h, &mut rng)?;

    // Histograms of recurrent weights after projection.
    let mut member = vec![usize::MAX; n];
    for (a, set) in assemblies.iter().enumerate() {
        for &i in set {
            member[i] = a;
        }
    }
    let (mut hw, mut hb) = (Vec::new(), Vec::new());
    for j in 0..n {
        for i in 0..n {
            let w = h.w_rec[j * n + i];
            if w < 0 || member[i] == usize::MAX || member[j] == usize::MAX {
                continue;
            }
            if member[i] == member[j] {
                hw.push(f64::from(w));
            } else {
                hb.push(f64::from(w));
            }
        }
    }

    let rec = recall_curve(&mut h, p, &assemblies, &mut rng)?;

    let k = p.area.k;
    let mut overlap_curve = vec![overlap(&assemblies[0], &assemblies[1], k)];
    for _ in 0..p.assoc_rounds {
        present(&mut h, p, &[0, 1], &mut rng, true)?;
        let a = assembly(&mut h, p, 0, &mut rng)?;
        let b = assembly(&mut h, p, 1, &mut rng)?;
        overlap_curve.push(overlap(&a, &b, k));
    }
    let a = assembly(&mut h, p, 0, &mut rng)?;
    let b = assembly(&mut h, p, 1, &mut rng)?;
    let (w_ab_within, w_ab_between) = within_between(&h, n, &[a, b]);
    let digest = h.final_digest();
    Ok(Measured {
        projection,
        assemblies,
        recall: rec,
        recall_before,
        overlap: overlap_curve,
        assoc_weights: (w_ab_within, w_ab_between),
        hist: (hw, hb),
        digest,
    })
}

/// Run the experiment.
pub fn run(ctx: &Ctx) -> Result<Outcome, String> {
    let seeds: &[u64] = if ctx.quick { &[1] } else { &[1, 2, 3, 4, 5] };
    // One thread per seed (each run is deterministic on its own).
    let runs: Vec<(u64, Params, Measured)> = std::thread::scope(|sc| {
        let handles: Vec<_> = seeds
            .iter()
            .map(|&s| {
                sc.spawn(move || {
                    let p = Params::new(ctx.quick, s);
                    measure(&p).map(|m| (s, p, m))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .map_err(|_| "an assembly run panicked".to_string())?
            })
            .collect::<Result<_, _>>()
    })?;

    let header = [
        "seed",
        "n / k",
        "assembly sizes",
        "within / between mean weight (ratio) after projection",
        "recall from 50% cue (precision)",
        "same before projection (control)",
        "A–B overlap before → after association",
        "digest",
    ];
    let mut rows = Vec::new();
    let mut json_runs = Vec::new();
    for (s, p, m) in &runs {
        let (w, b) = *m.projection.last().unwrap_or(&(0.0, 0.0));
        // (cue, recall, precision) from a 50% cue.
        let at_half = |curve: &[(f64, f64, f64)]| {
            curve
                .iter()
                .find(|r| r.0 == 0.5)
                .copied()
                .unwrap_or_default()
        };
        let (r50, b50) = (at_half(&m.recall), at_half(&m.recall_before));
        let (o0, o1) = (m.overlap[0], *m.overlap.last().unwrap_or(&0.0));
        let sizes: Vec<String> = m.assemblies.iter().map(|a| a.len().to_string()).collect();
        rows.push(vec![
            s.to_string(),
            format!("{} / {}", p.area.n, p.area.k),
            sizes.join(", "),
            format!("{w:.1} / {b:.1} ({:.2}x)", w / b.max(1e-9)),
            format!("{:.1}% ({:.1}%)", 100.0 * r50.1, 100.0 * r50.2),
            format!("{:.1}% ({:.1}%)", 100.0 * b50.1, 100.0 * b50.2),
            format!("{:.1}% → {:.1}%", 100.0 * o0, 100.0 * o1),
            format!("{:016x}", m.digest),
        ]);
        json_runs.push(json!({
            "seed": s, "n": p.area.n, "k": p.area.k,
            "assembly_sizes": m.assemblies.iter().map(Vec::len).collect::<Vec<_>>(),
            "projection_within_between": m.projection,
            "ratio": w / b.max(1e-9),
            "recall": m.recall.iter().map(|r| json!({"cue": r.0, "recall": r.1, "precision": r.2})).collect::<Vec<_>>(),
            "recall_before_projection": m.recall_before.iter().map(|r| json!({"cue": r.0, "recall": r.1, "precision": r.2})).collect::<Vec<_>>(),
            "overlap": m.overlap,
            "overlap_chance": p.area.k as f64 / p.area.n as f64,
            "digest": format!("{:016x}", m.digest),
        }));
    }
    ctx.write_csv("table.csv", &header, &rows)?;

    // Figures from the first seed (the overlap figure shows every seed).
    let (_, p, m) = &runs[0];
    let pts = |f: &dyn Fn(usize, &(f64, f64)) -> f64| -> Vec<(f64, f64)> {
        m.projection
            .iter()
            .enumerate()
            .map(|(i, x)| (i as f64, f(i, x)))
            .collect()
    };
    plot::lines_y(
        &ctx.path("projection"),
        &Axes {
            title: "Projection: recurrent weights within and between assemblies",
            x: "projection round (each stimulus shown once)",
            y: "mean weight (LSB, w_max = 127)",
        },
        &[
            Series::new("within an assembly", pts(&|_, x| x.0)),
            Series::new("between assemblies", pts(&|_, x| x.1)),
        ],
        0.0..f64::from(p.area.stdp.w_max) + 5.0,
    )?;
    plot::histograms(
        &ctx.path("weights"),
        &Axes {
            title: "Recurrent weights after projection",
            x: "weight (LSB)",
            y: "synapses",
        },
        &[
            ("within an assembly", &m.hist.0),
            ("between assemblies", &m.hist.1),
        ],
        32,
    )?;
    let mut ov: Vec<Series> = runs
        .iter()
        .map(|(s, _, m)| {
            Series::new(
                format!("seed {s}"),
                m.overlap
                    .iter()
                    .enumerate()
                    .map(|(i, &o)| (i as f64, o))
                    .collect(),
            )
        })
        .collect();
    let chance = p.area.k as f64 / p.area.n as f64;
    // The y axis reaches a little above the highest overlap (clipped to 0.3..1).
    let top = runs
        .iter()
        .flat_map(|(_, _, m)| m.overlap.iter().copied())
        .fold(chance, f64::max);
    ov.push(Series::dashed(
        format!("chance (k/n = {})", plot::tick(&chance)),
        vec![
            (0.0, chance),
            (m.overlap.len().saturating_sub(1) as f64, chance),
        ],
    ));
    plot::lines_y(
        &ctx.path("overlap"),
        &Axes {
            title: "Association: overlap of assemblies A and B",
            x: "association round (A and B shown together; 0 = after projection)",
            y: "overlap |A ∩ B| / k",
        },
        &ov,
        0.0..(top + 0.1).clamp(0.3, 1.0),
    )?;
    plot::lines_y(
        &ctx.path("recall"),
        &Axes {
            title: "Recall from a partial cue (no input, recurrent weights only)",
            x: "cue: fraction of the assembly made to fire",
            y: "fraction",
        },
        &[
            Series::new(
                "assembly recovered",
                m.recall.iter().map(|r| (r.0, r.1)).collect(),
            ),
            Series::dashed(
                "firing neurons inside the assembly",
                m.recall.iter().map(|r| (r.0, r.2)).collect(),
            )
            .colour(0),
            Series::new(
                "recovered, before projection (initial weights)",
                m.recall_before.iter().map(|r| (r.0, r.1)).collect(),
            )
            .colour(1),
            Series::dashed(
                "inside, before projection",
                m.recall_before.iter().map(|r| (r.0, r.2)).collect(),
            )
            .colour(1),
        ],
        0.0..1.3,
    )?;

    Ok(Outcome {
        table: markdown(&header, &rows),
        json: json!({ "runs": json_runs }),
    })
}
