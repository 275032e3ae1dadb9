//! The learning datapath against its plain statement: property tests that run the
//! chip's row kernels ([`neurochip_core::update`], masks as runs, the light engine's
//! active-column bit sets, the branch-free eligibility update) and, beside them, a
//! synapse-by-synapse oracle written from the recipe in `docs/eprop.md`, with the same
//! counter-based draws, on random chips (more than 64 neurons, so that the bit sets
//! span several words), random masks, Dale signs, shifts below and above 16, rate
//! spreads, and random memory states, and require every word of memory to agree.

use bitvec::prelude::*;
use neurochip_core::eprop::{self, Target, GRAD_FRAC};
use neurochip_core::format::{shift_round, Format};
use neurochip_core::hash::{bits32, draw, layer, step_base};
use neurochip_core::learning::{rate_offset, Apply, Engine, Learning};
use neurochip_core::{ChipConfig, Memory};
use proptest::prelude::*;

mod common;
use common::{learning_chip, next, weight_formats, Arenas};

#[derive(Debug, Clone)]
struct Case {
    sizes: (usize, usize, usize),
    exact: bool,
    apply: Apply,
    dale: bool,
    alif: bool,
    spread: u8,
    shifts: (u8, u8, u8, u8),
    /// Percent of synapses present (100: dense but for the self-synapses).
    density: u64,
    step: u64,
    seed: u64,
}

fn case() -> impl Strategy<Value = Case> {
    (
        (1usize..6, 1usize..80, 1usize..4),
        (
            any::<bool>(),
            prop::sample::select(vec![Apply::Online, Apply::Sample, Apply::Readout]),
            any::<bool>(),
            any::<bool>(),
        ),
        prop_oneof![Just(0u8), 1u8..=3],
        (8u8..=62, 8u8..=62, 8u8..=62, 8u8..=62),
        prop_oneof![Just(100u64), 0u64..=100],
        (any::<u64>(), 1u64..u64::MAX),
    )
        .prop_map(
            |(sizes, (exact, apply, dale, alif), spread, shifts, density, (step, seed))| Case {
                sizes,
                exact,
                apply,
                dale,
                alif,
                spread,
                shifts,
                density,
                step,
                seed,
            },
        )
}

fn config(c: &Case) -> ChipConfig {
    config_decaying(c, common::learning(c.exact, false).elig_decay)
}

/// [`config`] with the eligibility decay `elig_decay`.
fn config_decaying(c: &Case, elig_decay: u16) -> ChipConfig {
    let (si, sr, so, sb) = c.shifts;
    let learning = Learning {
        elig_decay,
        dale: c.dale,
        lr_spread: c.spread,
        shift_in: si,
        shift_rec: sr,
        shift_out: so,
        shift_bias: sb,
        apply: c.apply,
        ..common::learning(c.exact, false)
    };
    learning_chip(c.sizes, weight_formats(8), learning, c.seed)
        .alif(c.alif)
        .build()
        .unwrap()
}

/// Random weights, masks, signs, traces, pseudo-derivatives, eligibilities and
/// readouts, each within its format.
fn randomise(cfg: &ChipConfig, mem: &mut Memory<'_>, c: &Case) {
    let mut s = c.seed;
    let wf = cfg.formats().weight;
    let ef = cfg.learning().elig;
    let n = mem.layout.n_rec;
    for w in mem.w_in.iter_mut().chain(mem.w_rec.iter_mut()) {
        *w = wf.saturate((next(&mut s) % 512) as i64 - 256) as i16;
    }
    for w in mem.w_out.iter_mut().chain(mem.b_fb.iter_mut()) {
        *w = wf.saturate((next(&mut s) % 512) as i64 - 256) as i16;
    }
    for (k, mut bit) in mem.mask_rec.iter_mut().enumerate() {
        *bit = k / n != k % n && next(&mut s) % 100 < c.density;
    }
    for mut bit in mem.mask_in.iter_mut().chain(mem.mask_out.iter_mut()) {
        *bit = next(&mut s) % 100 < c.density.max(50);
    }
    for mut bit in mem.exc.iter_mut() {
        *bit = next(&mut s) % 2 == 0;
    }
    // Traces: a quarter zero (rows the light engine skips), the rest up to 16 bits.
    for t in mem.xbar.iter_mut().chain(mem.zbar.iter_mut()) {
        *t = if next(&mut s) % 4 == 0 {
            0
        } else {
            (next(&mut s) % 65536) as u32
        };
    }
    for p in mem.psi.iter_mut() {
        *p = if next(&mut s) % 3 == 0 {
            0
        } else {
            (next(&mut s) % 65536) as u32
        };
    }
    for e in mem.ebar_in.iter_mut().chain(mem.ebar_rec.iter_mut()) {
        *e = ef.saturate(next(&mut s) as i64 >> 40);
    }
    for e in mem.eps_in.iter_mut().chain(mem.eps_rec.iter_mut()) {
        *e = ef.saturate(next(&mut s) as i64 >> 42);
    }
    for b in mem.beta.iter_mut() {
        *b = (next(&mut s) % 4096) as i32;
    }
    for y in mem.y.iter_mut() {
        *y = (next(&mut s) % 8192) as i32 - 4096;
    }
    for z in mem.zk.iter_mut() {
        *z = if next(&mut s) % 4 == 0 {
            0
        } else {
            (next(&mut s) % 4096) as u32
        };
    }
    for g in mem
        .g_in
        .iter_mut()
        .chain(mem.g_rec.iter_mut())
        .chain(mem.g_out.iter_mut())
        .chain(mem.g_bias.iter_mut())
    {
        *g = (next(&mut s) % (1 << 20)) as i32 - (1 << 19);
    }
}

fn clamp_weight(v: i64, wf: Format, sign: Option<bool>) -> i16 {
    let v = i64::from(wf.saturate(v));
    (match sign {
        Some(true) => v.max(0),
        Some(false) => v.min(0),
        None => v,
    }) as i16
}

/// One synapse's change in 2^-16 LSB, then applied with its dither or accumulated.
fn change(
    w: &mut i16,
    g: Option<&mut i32>,
    d_q16: i64,
    dither: i64,
    wf: Format,
    sign: Option<bool>,
) {
    match g {
        Some(acc) => {
            *acc = acc.saturating_add(d_q16.clamp(i32::MIN.into(), i32::MAX.into()) as i32)
        }
        None => {
            let d = d_q16.saturating_add(dither) >> GRAD_FRAC;
            *w = clamp_weight(i64::from(*w).saturating_add(d), wf, sign);
        }
    }
}

/// One hidden layer as the oracle reads it: hash layer code, shift, traces, ALIF
/// eligibilities, filtered eligibilities, weights, accumulators, mask, and whether
/// Dale's law applies.
type Hidden<'a> = (
    u32,
    u8,
    &'a [u32],
    &'a [i32],
    &'a [i32],
    &'a mut [i16],
    &'a mut [i32],
    &'a BitSlice<u32>,
    bool,
);

/// The oracle's learning step: the recipe, one synapse at a time.
fn oracle_learn(cfg: &ChipConfig, mem: &mut Memory<'_>, step: u64, target: Target<'_>) {
    assert!(eprop::learning_signal(cfg, mem, target));
    let l = *cfg.learning();
    let wf = cfg.formats().weight;
    let seed = cfg.seed();
    let sample = l.apply.hidden_per_sample();
    let n = mem.layout.n_rec;
    let lsig = mem.l.to_vec();
    let psi = mem.psi.to_vec();
    let mf = cfg.formats().membrane.frac() as i32;
    let conv = l.elig.frac() as i32 - cfg.formats().trace.frac() as i32;
    let hidden: [Hidden<'_>; 2] = [
        (
            layer::INPUT,
            l.shift_in,
            &*mem.xbar,
            &*mem.eps_in,
            &*mem.ebar_in,
            &mut *mem.w_in,
            &mut *mem.g_in,
            &*mem.mask_in,
            false,
        ),
        (
            layer::RECURRENT,
            l.shift_rec,
            &*mem.zbar,
            &*mem.eps_rec,
            &*mem.ebar_rec,
            &mut *mem.w_rec,
            &mut *mem.g_rec,
            &*mem.mask_rec,
            l.dale,
        ),
    ];
    let exc: Vec<bool> = mem.exc.iter().by_vals().collect();
    for (code, shift, trace, eps, ebar, w, g, mask, dale) in hidden {
        let use_ = if l.engine == Engine::Light {
            draw::CHANCE
        } else {
            draw::ROUND
        };
        let base = step_base(seed, step, code, use_);
        for (i, &tr) in trace.iter().enumerate() {
            let sign = if dale { Some(exc[i]) } else { None };
            for j in 0..n {
                let idx = i * n + j;
                if !mask[idx] {
                    continue;
                }
                let off = rate_offset(seed, code, idx, l.lr_spread) as i32;
                let gj = if sample { Some(&mut g[idx]) } else { None };
                if l.engine == Engine::Exact {
                    let p = -(i64::from(lsig[j]) * i64::from(ebar[idx]));
                    let d_q16 = shift_round(p, -(i32::from(shift) + off - GRAD_FRAC as i32));
                    let dither = i64::from(bits32(base, idx) & 0xFFFF);
                    change(&mut w[idx], gj, d_q16, dither, wf, sign);
                } else {
                    // Onto an ALIF neuron the trace is zbar_i - beta_j eps_ji, signed.
                    let e = if eps.is_empty() || mem.beta[j] == 0 {
                        i64::from(tr)
                    } else {
                        let beps = shift_round(i64::from(mem.beta[j]) * i64::from(eps[idx]), -mf);
                        i64::from(tr) - shift_round(beps, -conv)
                    };
                    if e == 0 || lsig[j] == 0 || psi[j] == 0 {
                        continue;
                    }
                    let mag = i64::from(lsig[j]).abs() * i64::from(psi[j]) * e.abs().min(0xFFFF);
                    let prob = shift_round(mag, -(i32::from(shift) + off)).clamp(0, 0xFFFF);
                    if i64::from(bits32(base, idx) >> 16) < prob {
                        let step = if (lsig[j] > 0) == (e > 0) { -1 } else { 1 };
                        change(&mut w[idx], gj, step << GRAD_FRAC, 0, wf, sign);
                    }
                }
            }
        }
    }
    let o = mem.layout.n_out;
    let base = step_base(seed, step, layer::READOUT, draw::ROUND);
    for j in 0..n {
        for k in 0..o {
            let idx = j * o + k;
            if mem.zk[j] == 0 || !mem.mask_out[idx] {
                continue;
            }
            let off = rate_offset(seed, layer::READOUT, idx, l.lr_spread) as i32;
            let p = -(i64::from(mem.err[k]) * i64::from(mem.zk[j]));
            let d_q16 = shift_round(p, -(i32::from(l.shift_out) + off - GRAD_FRAC as i32));
            let dither = i64::from(bits32(base, idx) & 0xFFFF);
            let gk = if l.apply.readout_per_sample() {
                Some(&mut mem.g_out[idx])
            } else {
                None
            };
            change(&mut mem.w_out[idx], gk, d_q16, dither, wf, None);
        }
    }
}

/// The eligibility update as first written: saturating 64-bit arithmetic. The light
/// engine keeps `eps` alone (no `ebar`).
fn oracle_eligibility(cfg: &ChipConfig, mem: &mut Memory<'_>) {
    let l = cfg.learning();
    let ef = l.elig;
    let conv = ef.frac() as i32 - cfg.formats().trace.frac() as i32;
    let mf = cfg.formats().membrane.frac() as i32;
    let n = mem.layout.n_rec;
    let decay = |x: i64, a: u16| (x.saturating_mul(i64::from(a)).saturating_add(1 << 14)) >> 15;
    let psi_shift = |x: i64| shift_round(x, -12);
    let layers: [(&[u32], &mut [i32], &mut [i32]); 2] = [
        (&*mem.xbar, &mut *mem.ebar_in, &mut *mem.eps_in),
        (&*mem.zbar, &mut *mem.ebar_rec, &mut *mem.eps_rec),
    ];
    for (trace, ebar, eps) in layers {
        for (i, &tr) in trace.iter().enumerate() {
            let zb = shift_round(i64::from(tr), conv);
            for j in 0..n {
                let idx = i * n + j;
                let p = i64::from(mem.psi[j]);
                // An `ebar` word reads as 31 bits: past them (only memory written from
                // outside), modulo 2^31.
                let eb0 = ebar.get(idx).map_or(0, |&e| i64::from(e << 1 >> 1));
                if eps.is_empty() {
                    let e = psi_shift(p.saturating_mul(zb));
                    if let Some(eb) = ebar.get_mut(idx) {
                        *eb = ef.saturate(decay(eb0, l.elig_decay).saturating_add(e));
                    }
                } else {
                    let bj = mem.beta[j];
                    let eps0 = i64::from(eps[idx]);
                    let beps = shift_round(i64::from(bj).saturating_mul(eps0), -mf);
                    let e = psi_shift(p.saturating_mul(zb.saturating_sub(beps)));
                    if let Some(eb) = ebar.get_mut(idx) {
                        *eb = ef.saturate(decay(eb0, l.elig_decay).saturating_add(e));
                    }
                    if bj != 0 {
                        let pz = psi_shift(p.saturating_mul(zb));
                        let pb = psi_shift(p.saturating_mul(beps));
                        let ne = pz
                            .saturating_add(decay(eps0, mem.rho[j] as u16))
                            .saturating_sub(pb);
                        eps[idx] = ef.saturate(ne);
                    }
                }
            }
        }
    }
}

/// The chip of case `c` and two copies of one random memory state: one for the chip's
/// kernels, one for the oracle.
fn twins(c: &Case) -> (ChipConfig, Arenas, Arenas) {
    twins_of(c, config(c))
}

/// [`twins`] of the chip `cfg`.
fn twins_of(c: &Case, cfg: ChipConfig) -> (ChipConfig, Arenas, Arenas) {
    let mut a = Arenas::with_defaults(&cfg);
    randomise(&cfg, &mut a.mem(&cfg), c);
    let b = a.clone();
    (cfg, a, b)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// The chip's learning step equals the oracle's, word for word.
    #[test]
    fn learning_step_equals_the_oracle(c in case()) {
        let (cfg, mut a, mut b) = twins(&c);
        let class = (c.seed % c.sizes.2 as u64) as usize;
        prop_assert!(eprop::learn(&cfg, &mut a.mem(&cfg), c.step, Target::Class(class)));
        // The oracle leaves biases to the chip: they are a single row of the same rule.
        oracle_learn(&cfg, &mut b.mem(&cfg), c.step, Target::Class(class));
        let bias = a.mem(&cfg).bias.to_vec();
        b.mem(&cfg).bias.copy_from_slice(&bias);
        let g_bias = a.mem(&cfg).g_bias.to_vec();
        b.mem(&cfg).g_bias.copy_from_slice(&g_bias);
        prop_assert_eq!(a, b);
    }

    /// The branch-free eligibility update equals the saturating statement, for both
    /// engines (the light engine's `eps` with ALIF neurons).
    #[test]
    fn eligibility_update_equals_the_oracle(c in case()) {
        let (cfg, mut a, mut b) = twins(&c);
        eprop::update_eligibility(&cfg, &mut a.mem(&cfg));
        oracle_eligibility(&cfg, &mut b.mem(&cfg));
        prop_assert_eq!(a, b);
    }

    /// A pseudo-derivative is 16 bits: memory that holds a larger one (which the neuron
    /// update never writes) updates the eligibility as if it held `0xFFFF`.
    #[test]
    fn pseudo_derivatives_past_16_bits_count_as_the_largest(c in case(), salt in any::<u64>()) {
        let (cfg, mut a, mut b) = twins(&c);
        let mut s = salt;
        let (mut am, mut bm) = (a.mem(&cfg), b.mem(&cfg));
        for (pa, pb) in am.psi.iter_mut().zip(bm.psi.iter_mut()) {
            if next(&mut s) % 2 == 0 {
                *pa = 0x1_0000 + (next(&mut s) as u32 >> 1);
                *pb = 0xFFFF;
            }
        }
        eprop::update_eligibility(&cfg, &mut am);
        eprop::update_eligibility(&cfg, &mut bm);
        prop_assert_eq!(&am.ebar_in[..], &bm.ebar_in[..]);
        prop_assert_eq!(&am.ebar_rec[..], &bm.ebar_rec[..]);
        prop_assert_eq!(&am.eps_in[..], &bm.eps_in[..]);
        prop_assert_eq!(&am.eps_rec[..], &bm.eps_rec[..]);
    }

    /// The same with eligibilities anywhere in `i32` (as memory the caller wrote may
    /// hold, which the decay reads as 31 bits; half of them within 2^14 of its ends),
    /// large 16-bit pseudo-derivatives,
    /// traces on both products of the LIF rows' 32-bit pass and decays near 1: that
    /// pass saturates where the statement's 64-bit sum leaves `i32`, to the same
    /// bound.
    #[test]
    fn eligibility_update_equals_the_oracle_on_any_eligibility(
        c in case(),
        salt in any::<u64>(),
        decay in 32_700u16..=32_768,
    ) {
        let (cfg, mut a, mut b) = twins_of(&c, config_decaying(&c, decay));
        // Traces just below 2^15 in the eligibility format (32-bit products) and up to
        // 2^27 (widening products), both on the LIF rows' 32-bit pass.
        let conv = cfg.learning().elig.frac() as i32 - cfg.formats().trace.frac() as i32;
        let (narrow, wide) = (1u64 << (15 - conv).clamp(1, 31), 1u64 << (27 - conv).clamp(1, 31));
        for arenas in [&mut a, &mut b] {
            let mut s = salt;
            let mem = arenas.mem(&cfg);
            for e in mem.ebar_in.iter_mut().chain(mem.ebar_rec.iter_mut()) {
                let x = next(&mut s);
                *e = match x % 4 {
                    0 => i32::MAX - (x >> 50) as i32,
                    1 => i32::MIN + (x >> 50) as i32,
                    _ => x as i32,
                };
            }
            for p in mem.psi.iter_mut() {
                *p = 32_768 + (next(&mut s) % 32_768) as u32;
            }
            for t in mem.xbar.iter_mut().chain(mem.zbar.iter_mut()) {
                let x = next(&mut s);
                let top = if x % 2 == 0 { narrow } else { wide };
                *t = (top - 1 - (x >> 1) % (top / 2)).min(u64::from(u32::MAX)) as u32;
            }
        }
        eprop::update_eligibility(&cfg, &mut a.mem(&cfg));
        oracle_eligibility(&cfg, &mut b.mem(&cfg));
        prop_assert_eq!(a, b);
    }
}
