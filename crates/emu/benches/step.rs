//! Speed of one chip time step (`step()`) and of one training step (`step()` then
//! `learn()`, exact and light engines), at 256 and 1,024 neurons and at three firing
//! rates, plus the cycle-level mode, a batch of chips on all cores, and the exact
//! engine's online weight update alone (portable and AVX2). Every network
//! is `examples/bench256.toml` (64 Poisson inputs at 20 Hz, 10 readouts, dense
//! weights, tau_m = 20 ms) with the neuron count and the input weight scale changed;
//! the input weight scale sets the recurrent firing rate, printed before each group.
//!
//! What is measured: one call of the functional core's `step()` (event-driven synaptic
//! accumulation, neuron engine, readout, digest), with the inputs generated beforehand
//! so only the chip is timed. The chip runs on continuously, so the measured steps see
//! the network's own steady-state activity.
//!
//! How to read it: criterion's `time` is per step; `thrpt` is synaptic events per
//! second for the forward groups. On a shared 2-core machine expect a few percent of
//! noise between runs; compare ratios measured in one run, not absolute times across
//! runs. docs/performance.md has the table.

use std::path::Path;
use std::time::Duration;

use bitvec::prelude::*;
use criterion::{criterion_group, criterion_main, Bencher, BenchmarkId, Criterion, Throughput};
use neurochip_core::update::{online_row, Bounds, OnlineKernel, OnlineRow};
use neurochip_core::{Datapath, Target};
use neurochip_emu::build;
use neurochip_emu::config::{self, Apply, Config, Engine, LayerRates};
use neurochip_emu::task::Pick;
use neurochip_emu::{Arch, CycleChip, CycleModel, HostChip};
use neurochip_ref::FTarget;
use neurochip_tasks::SpikeSource;

type Inputs = Vec<BitVec<u32, Lsb0>>;

/// The bench256 network with `neurons` neurons and input weight scale `w_in`.
fn config(neurons: u32, w_in: f64) -> Config {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/bench256.toml");
    let mut cfg = config::load(&path).unwrap_or_else(|e| panic!("{e}"));
    cfg.chip.max_neurons = cfg.chip.max_neurons.max(neurons);
    cfg.network.neurons = neurons;
    cfg.network.w_in_scale = w_in;
    cfg
}

fn inputs(cfg: &Config, steps: u32) -> Inputs {
    let task = build::task(cfg).unwrap_or_else(|e| panic!("{e}"));
    let sample = task.sample(Pick::Run(0));
    (0..steps)
        .map(|t| {
            let mut x = bitvec![u32, Lsb0; 0; task.n_inputs()];
            sample.spikes(t % sample.steps(), &mut x);
            x
        })
        .collect()
}

/// Warm the chip up on the inputs; returns (rate Hz, synaptic events per step).
fn warm(chip: &mut HostChip, inputs: &Inputs, dt_ms: f64) -> (f64, u64) {
    let (mut synops, mut spikes) = (0u64, 0u64);
    for x in inputs {
        let o = chip.step(x).expect("valid input");
        synops += u64::from(o.synops);
        spikes += u64::from(o.spikes);
    }
    let n = chip.config().n_rec() as f64;
    let secs = inputs.len() as f64 * dt_ms / 1000.0;
    (spikes as f64 / n / secs, synops / inputs.len() as u64)
}

/// Time `f` on the inputs in turn, `t` the index of the next (kept across criterion's
/// calls, wrapping at the end); `f` gets the input and its index.
fn over_inputs<T, R>(
    b: &mut Bencher<'_>,
    xs: &[T],
    t: &mut usize,
    mut f: impl FnMut(&T, usize) -> R,
) {
    b.iter(|| {
        let r = f(&xs[*t], *t);
        *t = (*t + 1) % xs.len();
        r
    })
}

/// Input weight scales giving low, middle and high recurrent rates.
const RATES: [(&str, f64); 3] = [("low", 1.0), ("mid", 2.0), ("high", 3.0)];

fn bench_forward(c: &mut Criterion) {
    let mut g = c.benchmark_group("forward");
    g.measurement_time(Duration::from_secs(3));
    for neurons in [256u32, 1024] {
        for (label, w_in) in RATES {
            let cfg = config(neurons, w_in);
            let (_, mut chip) = build::chip(&cfg).unwrap_or_else(|e| panic!("{e}"));
            let xs = inputs(&cfg, 4000);
            let (rate, ev) = warm(&mut chip, &xs, cfg.network.dt_ms);
            println!(
                "forward {neurons} neurons, {label}: {rate:.1} Hz, {ev} synaptic events per step"
            );
            g.throughput(Throughput::Elements(ev));
            let mut t = 0usize;
            g.bench_function(
                BenchmarkId::new(format!("{neurons}"), format!("{label}_{rate:.0}Hz")),
                |b| over_inputs(b, &xs, &mut t, |x, _| chip.step(x).expect("valid input")),
            );
        }
    }
    g.finish();
}

/// The same step through the cycle model of the default architecture (and of the
/// multicore what-if): the cost of counting cycles, stalls, SRAM and energy.
fn bench_cycle_mode(c: &mut Criterion) {
    let mut g = c.benchmark_group("cycle_mode");
    g.measurement_time(Duration::from_secs(3));
    let cfg = config(256, 2.0);
    let xs = inputs(&cfg, 4000);
    for arch in ["none", "reckon", "multicore"] {
        let (_, mut chip) = build::chip(&cfg).unwrap_or_else(|e| panic!("{e}"));
        warm(&mut chip, &xs, cfg.network.dt_ms);
        let mut models: Vec<CycleModel> = match Arch::builtin(arch) {
            Some(a) => {
                let c = *chip.config();
                vec![CycleModel::new(&a, &c, &chip.mem(), 1e-3).unwrap_or_else(|e| panic!("{e}"))]
            }
            None => Vec::new(),
        };
        let mut t = 0usize;
        g.bench_function(format!("bench256_{arch}"), |b| {
            over_inputs(b, &xs, &mut t, |x, _| {
                let (ch, mut mem) = chip.parts();
                let mut dp = CycleChip {
                    chip: ch,
                    models: &mut models,
                };
                dp.step(&mut mem, x).expect("valid input")
            })
        });
    }
    g.finish();
}

/// `base` learning online with `engine`, at the rates the training benches use.
fn training(base: &Config, engine: Engine) -> Config {
    let mut cfg = base.clone();
    cfg.learning.engine = engine;
    cfg.learning.apply = Apply::Online;
    cfg.learning.rates = LayerRates {
        eta_bias: 1e-6,
        ..LayerRates::uniform(1e-4)
    };
    cfg
}

/// One training step (`step()` then `learn()` with a valid target) of the exact and
/// the light engine, side by side: the ratio is the cost of per-synapse eligibility.
/// At 256 neurons also the same step of each chip's f64 reference
/// (`learn::float_twin`, `reference_exact` and `reference_light`): what the float side
/// of `neurochip verify` costs a step.
fn bench_train_step(c: &mut Criterion) {
    let mut g = c.benchmark_group("train_step");
    g.measurement_time(Duration::from_secs(4));
    g.sample_size(20);
    for neurons in [256u32, 1024] {
        let base = config(neurons, 2.0);
        let xs = inputs(&base, 2000);
        let bools: Vec<Vec<bool>> = xs.iter().map(|x| x.iter().map(|b| *b).collect()).collect();
        for engine in [Engine::Exact, Engine::Light] {
            let cfg = training(&base, engine);
            let (_, mut chip) = build::chip(&cfg).unwrap_or_else(|e| panic!("{e}"));
            let name = format!("{engine:?}").to_lowercase();
            if neurons == 256 {
                let (mut sim, mut learner) = neurochip_emu::learn::float_twin(&cfg, &mut chip);
                let mut t = 0usize;
                g.bench_function(
                    BenchmarkId::new(format!("reference_{name}"), neurons),
                    |b| {
                        over_inputs(b, &bools, &mut t, |x, t| {
                            learner.step(&mut sim, x);
                            learner.learn(&mut sim, FTarget::Class(t % 10))
                        })
                    },
                );
            }
            let mut t = 0usize;
            g.bench_function(BenchmarkId::new(name, neurons), |b| {
                over_inputs(b, &xs, &mut t, |x, t| {
                    chip.step(x).expect("valid input");
                    let (ch, mut mem) = chip.parts();
                    neurochip_emu::simd::learn(ch, &mut mem, Target::Class(t % 10)).expect("layout")
                })
            });
        }
    }
    g.finish();
}

/// One inference step of an exact-engine chip with the eligibility enable set (every
/// synapse's eligibility updated) and cleared (what an inference sample runs): the
/// saving of gating the learning engine off in inference.
fn bench_infer_exact(c: &mut Criterion) {
    let mut g = c.benchmark_group("infer_exact");
    g.measurement_time(Duration::from_secs(3));
    let mut cfg = config(256, 2.0);
    cfg.learning.engine = Engine::Exact;
    let xs = inputs(&cfg, 2000);
    for (label, on) in [("eligibility_on", true), ("eligibility_off", false)] {
        let (_, mut chip) = build::chip(&cfg).unwrap_or_else(|e| panic!("{e}"));
        chip.parts().0.set_eligibility_enabled(on);
        let mut t = 0usize;
        g.bench_function(format!("bench256_{label}"), |b| {
            over_inputs(b, &xs, &mut t, |x, _| chip.step(x).expect("valid input"))
        });
    }
    g.finish();
}

/// Eight independent bench256 chips for 1,000 steps: one after another on one thread,
/// and as a batch on all cores (`neurochip_emu::batch::run_batch`).
fn bench_batch(c: &mut Criterion) {
    let mut g = c.benchmark_group("batch8x1000");
    g.measurement_time(Duration::from_secs(6));
    g.sample_size(10);
    let cfg = config(256, 2.0);
    let xs = inputs(&cfg, 1000);
    let chips: Vec<HostChip> = (0..8)
        .map(|_| build::chip(&cfg).unwrap_or_else(|e| panic!("{e}")).1)
        .collect();
    let input =
        |_: usize, t: u32, x: &mut BitSlice<u32, Lsb0>| x.copy_from_bitslice(&xs[t as usize]);
    g.bench_function("sequential", |b| {
        b.iter(|| {
            let mut cs = chips.clone();
            cs.iter_mut()
                .map(|ch| {
                    for x in &xs {
                        ch.step(x).expect("valid input");
                    }
                    ch.digest()
                })
                .collect::<Vec<_>>()
        })
    });
    g.bench_function("all_cores", |b| {
        b.iter(|| {
            let mut cs = chips.clone();
            neurochip_emu::batch::run_batch(&mut cs, 1000, input).expect("valid input")
        })
    });
    g.finish();
}

/// The exact engine's online weight update alone: one call of 16 rows of 256 synapses,
/// the portable row (`update::online_row`), the AVX2 kernel (`simd::online_kernel`)
/// and the AVX-512 one (`simd::online_kernel_avx512`: the narrow form, elsewhere the
/// AVX2 kernel) side by side, at a shift of each of the kernel's forms: 21
/// (narrow; bench256's input rows), 40 (wide) and 6 (small; bench256's readout). The
/// values are of bench256's size: `|L| < 2^22` and `|ebar| < 2^16` for the hidden
/// shifts; errors below 2^15 and traces below 2^14 for the readout's.
fn bench_online_kernel(c: &mut Criterion) {
    let mut g = c.benchmark_group("online_kernel");
    g.measurement_time(Duration::from_secs(2));
    let (n, rows) = (256usize, 16usize);
    g.throughput(Throughput::Elements((n * rows) as u64));
    let mut x = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x as i32
    };
    let w0: Vec<i16> = (0..n * rows).map(|_| (next() >> 24) as i16).collect();
    let kernels: [(&str, OnlineKernel); 3] = [
        ("portable", online_row),
        ("avx2", neurochip_emu::simd::online_kernel),
        ("avx512", neurochip_emu::simd::online_kernel_avx512),
    ];
    for (right, l_shift, e_shift) in [(21u32, 10, 16), (40, 10, 16), (6, 16, 17)] {
        let lsig: Vec<i32> = (0..n).map(|_| next() >> l_shift).collect();
        let ebar: Vec<i32> = (0..n * rows).map(|_| next() >> e_shift).collect();
        for (name, kernel) in kernels {
            let mut w = w0.clone();
            let mut step = 0u32;
            g.bench_function(BenchmarkId::new(name, right), |b| {
                b.iter(|| {
                    step = step.wrapping_add(1);
                    kernel(OnlineRow {
                        w: &mut w,
                        ebar: &ebar,
                        lsig: &lsig,
                        right,
                        bounds: Bounds { lo: -128, hi: 127 },
                        base: step.wrapping_mul(0x9E37_79B9),
                        index0: n * rows,
                    })
                })
            });
        }
    }
    g.finish();
}

criterion_group!(
    benches,
    bench_forward,
    bench_cycle_mode,
    bench_train_step,
    bench_infer_exact,
    bench_batch,
    bench_online_kernel
);
criterion_main!(benches);
