//! Property tests of the datapath over random configurations, parameters and inputs.
//! Run in the test profile, which has overflow checks on: any unplanned overflow in
//! the core panics here.

use bitvec::prelude::*;
use neurochip_core::format::Format;
use neurochip_core::synapse::{accumulate_dense, accumulate_events};
use neurochip_core::{Chip, ChipLimits, ConfigBuilder, Formats, Rounding, Shifts};
use proptest::prelude::*;

mod common;
use common::Arenas;

#[derive(Debug, Clone)]
struct Case {
    n_in: usize,
    n_rec: usize,
    n_out: usize,
    mb: u32,
    mf: u32,
    wb: u32,
    tb: u32,
    rb: u32,
    rf: u32,
    shifts: (i8, i8, i8),
    refractory: u8,
    rounding: u8,
    seed: u64,
    words: Vec<u32>,
    input_p: u32,
}

fn case() -> impl Strategy<Value = Case> {
    (
        (1usize..12, 1usize..20, 1usize..4),
        (8u32..=24, 2u32..=16, 6u32..=16, 8u32..=31),
        (0u32..=22, 0u32..=29),
        (-24i8..=24, -24i8..=24, -24i8..=24),
        (0u8..6, 0u8..3, any::<u64>()),
        prop::collection::vec(any::<u32>(), 64),
        0u32..=100,
    )
        .prop_map(
            |((ni, nr, no), (mb, wb, tb, rb), (mf, rf), sh, (r, ro, seed), words, p)| Case {
                n_in: ni,
                n_rec: nr,
                n_out: no,
                mb,
                mf: mf.min(mb - 2),
                wb,
                tb,
                rb,
                rf: rf.min(rb - 2),
                shifts: sh,
                refractory: r,
                rounding: ro,
                seed,
                words,
                input_p: p,
            },
        )
}

/// A cheap deterministic word stream from the case's random words.
struct Words<'a> {
    w: &'a [u32],
    i: usize,
    x: u32,
}

impl Words<'_> {
    fn next(&mut self) -> u32 {
        let base = self.w[self.i % self.w.len()];
        self.i += 1;
        self.x ^= self.x << 13;
        self.x ^= self.x >> 17;
        self.x ^= self.x << 5;
        base ^ self.x
    }
}

fn build(c: &Case) -> (neurochip_core::ChipConfig, Arenas) {
    let formats = Formats {
        membrane: Format::signed(c.mb, c.mf).unwrap(),
        weight: Format::signed(c.wb, 0).unwrap(),
        trace: Format::unsigned(c.tb, c.tb - 4).unwrap(),
        readout: Format::signed(c.rb, c.rf).unwrap(),
    };
    let cfg = ConfigBuilder::new(c.n_in, c.n_rec, c.n_out)
        .limits(ChipLimits::default())
        .formats(formats)
        .shifts(Shifts {
            input: c.shifts.0,
            recurrent: c.shifts.1,
            output: c.shifts.2,
        })
        .refractory(c.refractory)
        .leak_rounding(Rounding::from_code(c.rounding).unwrap())
        // Random adaptation strengths below: adaptive neurons.
        .alif(true)
        .seed(c.seed)
        .build()
        .unwrap();
    let mut arenas = Arenas::new(&cfg);
    {
        let mut g = Words {
            w: &c.words,
            i: 0,
            x: 0x1234_5677 ^ c.seed as u32,
        };
        let mut mem = arenas.mem(&cfg);
        mem.init_default_params(&cfg);
        let wf = formats.weight;
        for w in mem
            .w_in
            .iter_mut()
            .chain(mem.w_rec.iter_mut())
            .chain(mem.w_out.iter_mut())
        {
            *w = wf.saturate(i64::from(g.next() as i32 >> 8)) as i16;
        }
        let m = formats.membrane;
        for t in mem.thr.iter_mut() {
            *t = m.saturate(i64::from(g.next() as i32 >> 4)).max(1);
        }
        for b in mem.beta.iter_mut() {
            *b = m.saturate(i64::from(g.next() as i32 >> 8));
        }
        // Decays over the whole Q1.15 range, including growth factors above one.
        for a in mem
            .alpha
            .iter_mut()
            .chain(mem.rho.iter_mut())
            .chain(mem.kappa.iter_mut())
        {
            *a = g.next() & 0xFFFF;
        }
        for b in mem.bias.iter_mut() {
            *b = formats.readout.saturate(i64::from(g.next() as i32 >> 4));
        }
    }
    (cfg, arenas)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// Arbitrary configurations, parameters and inputs: no panic (overflow checks on),
    /// and every stored value stays inside its format after every step.
    #[test]
    fn never_panics_and_saturates(c in case()) {
        let (cfg, mut arenas) = build(&c);
        let mut mem = arenas.mem(&cfg);
        let mut chip = Chip::new(cfg, &mem).unwrap();
        let mut g = Words { w: &c.words, i: 3, x: 99 };
        let mut x = bitvec![u32, Lsb0; 0; c.n_in];
        let f = cfg.formats();
        for _ in 0..60 {
            for mut b in x.iter_mut() {
                *b = g.next() % 100 < c.input_p;
            }
            chip.step(&mut mem, &x).unwrap();
            prop_assert!(mem.v.iter().all(|&v| f.membrane.contains(v)));
            prop_assert!(mem.y.iter().all(|&y| f.readout.contains(y)));
            prop_assert!(mem.refr.iter().all(|&r| (0..=i32::from(c.refractory)).contains(&r)));
        }
        // A wrong input length is an error, not a panic.
        let short = bitvec![u32, Lsb0; 0; c.n_in + 1];
        prop_assert!(chip.step(&mut mem, &short).is_err());
    }

    /// Event-driven and dense accumulation give the same sums (order independence).
    #[test]
    fn event_and_dense_agree(
        pre in prop::collection::vec(any::<bool>(), 1..64),
        n_post in 1usize..32,
        seed in any::<u64>(),
    ) {
        let n_pre = pre.len();
        let bits: BitVec<u32, Lsb0> = pre.iter().copied().collect();
        let mut s = seed | 1;
        let w: Vec<i16> = (0..n_pre * n_post)
            .map(|_| {
                s ^= s << 13; s ^= s >> 7; s ^= s << 17;
                s as i16
            })
            .collect();
        let mut a = vec![0i32; n_post];
        let mut b = vec![0i32; n_post];
        accumulate_events(&bits, &w, &mut a);
        accumulate_dense(&bits, &w, &mut b);
        prop_assert_eq!(a, b);
    }

    /// Format saturation at both boundaries, for every width.
    #[test]
    fn saturation_at_boundaries(bits in 2u32..=31, frac in 0u32..=31, x in any::<i64>()) {
        let f = Format::signed(bits, frac).unwrap();
        let y = f.saturate(x);
        prop_assert!(f.contains(y));
        if x >= i64::from(f.max()) { prop_assert_eq!(y, f.max()); }
        if x <= i64::from(f.min()) { prop_assert_eq!(y, f.min()); }
        if f.contains(x.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32)
            && (i64::from(f.min())..=i64::from(f.max())).contains(&x) {
            prop_assert_eq!(i64::from(y), x);
        }
        let u = Format::unsigned(bits, frac.min(bits)).unwrap();
        prop_assert!(u.contains(u.saturate(x)));
    }
}

/// A membrane driven far past its range sticks at the boundary, never wraps.
#[test]
fn membrane_saturates_not_wraps() {
    for bits in [8u32, 12, 16, 24] {
        let formats = Formats {
            membrane: Format::signed(bits, bits - 6).unwrap(),
            ..Formats::default()
        };
        let (cfg, mut arenas) =
            Arenas::build(ConfigBuilder::new(1, 2, 1).formats(formats).shifts(Shifts {
                input: 24,
                recurrent: 0,
                output: 0,
            }));
        let mut mem = arenas.mem(&cfg);
        mem.w_in[0] = 127; // excitatory to neuron 0
        mem.w_in[1] = -128; // inhibitory to neuron 1
        mem.thr.fill(formats.membrane.max()); // never spikes
        mem.alpha.fill(1 << 15); // no leak
        let mut chip = Chip::new(cfg, &mem).unwrap();
        let x = bitvec![u32, Lsb0; 1];
        for _ in 0..5 {
            chip.step(&mut mem, &x).unwrap();
        }
        assert_eq!(mem.v[0], formats.membrane.max());
        assert_eq!(mem.v[1], formats.membrane.min());
    }
}
