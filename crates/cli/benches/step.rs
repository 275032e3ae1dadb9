//! Speed of one chip time step, `step()`, and of one training step (`step()` and
//! `learn()`, exact and light engines), on `examples/bench256.toml` (256 LIF neurons,
//! 64 Poisson inputs at 20 Hz, 10 readouts, dense weights).
//!
//! What is measured: one call of the functional core's `step()` (event-driven synaptic
//! accumulation, neuron engine, readout, digest), with the inputs of all 10,000 steps
//! generated beforehand so only the chip is timed. The chip runs on continuously, so
//! the measured steps see the network's own steady-state activity.
//!
//! How to read it: criterion's `time` is per step (µs/step); `thrpt` is synaptic
//! events per second (the mean number of synaptic operations per step, counted in a
//! warm-up pass, divided by the time per step). On a shared 2-core machine expect a
//! few percent of noise between runs; compare ratios measured in one run, not absolute
//! times across runs.

use std::path::Path;

use bitvec::prelude::*;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use neurochip::build;
use neurochip::config::{self, ApplyMode, EngineKind};
use neurochip_core::Target;

fn bench_step(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/bench256.toml");
    let cfg = config::load(&path).unwrap_or_else(|e| panic!("{e}"));
    let (_, mut chip) = build::chip(&cfg).unwrap_or_else(|e| panic!("{e}"));
    let stim = build::task(&cfg).unwrap_or_else(|e| panic!("{e}"));
    let steps = stim.steps(0);
    let inputs: Vec<BitVec<u32, Lsb0>> = (0..steps)
        .map(|t| {
            let mut x = bitvec![u32, Lsb0; 0; stim.n_inputs()];
            stim.spikes(0, t, &mut x);
            x
        })
        .collect();
    // Warm-up pass: count synaptic operations and spikes.
    let (mut synops, mut spikes) = (0u64, 0u64);
    for x in &inputs {
        let o = chip.step(x).expect("valid input");
        synops += u64::from(o.synops);
        spikes += u64::from(o.spikes);
    }
    let n = chip.config().n_rec() as f64;
    let secs = f64::from(steps) * cfg.network.dt_ms / 1000.0;
    println!(
        "bench256: {steps} steps, recurrent rate {:.1} Hz, {:.0} synaptic events per step",
        spikes as f64 / n / secs,
        synops as f64 / f64::from(steps)
    );
    let mut g = c.benchmark_group("step");
    g.throughput(Throughput::Elements(synops / u64::from(steps)));
    let mut t = 0usize;
    g.bench_function("bench256_forward", |b| {
        b.iter(|| {
            let o = chip.step(&inputs[t]).expect("valid input");
            t = (t + 1) % inputs.len();
            o
        })
    });
    g.finish();
}

/// One training step (`step()` then `learn()` with a valid target) of the exact and
/// the light engine on the same network, side by side in one run: the ratio is the
/// cost of per-synapse eligibility traces.
fn bench_train_step(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/bench256.toml");
    let base = config::load(&path).unwrap_or_else(|e| panic!("{e}"));
    let task = build::task(&base).unwrap_or_else(|e| panic!("{e}"));
    let inputs: Vec<BitVec<u32, Lsb0>> = (0..2000)
        .map(|t| {
            let mut x = bitvec![u32, Lsb0; 0; task.n_inputs()];
            task.spikes(0, t, &mut x);
            x
        })
        .collect();
    let mut g = c.benchmark_group("train_step");
    for engine in [EngineKind::Exact, EngineKind::Light] {
        let mut cfg = base.clone();
        cfg.learning.engine = engine;
        cfg.learning.apply = ApplyMode::Online;
        cfg.learning.eta_in = 1e-4;
        cfg.learning.eta_rec = 1e-4;
        cfg.learning.eta_out = 1e-4;
        cfg.learning.eta_bias = 1e-6;
        let (_, mut chip) = build::chip(&cfg).unwrap_or_else(|e| panic!("{e}"));
        let mut t = 0usize;
        g.bench_function(format!("bench256_{engine:?}").to_lowercase(), |b| {
            b.iter(|| {
                chip.step(&inputs[t]).expect("valid input");
                let (ch, mut mem) = chip.parts();
                let r = ch.learn(&mut mem, Target::Class(t % 10)).expect("layout");
                t = (t + 1) % inputs.len();
                r
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench_step, bench_train_step);
criterion_main!(benches);
