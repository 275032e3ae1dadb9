//! Properties of the STDP circuit and the assembly area: weights stay in
//! `[0, w_max]` (absent synapses stay absent) under any parameters and spike trains;
//! a presynaptic spike before a postsynaptic one potentiates, the reverse depresses;
//! the k-cap never lets more than `k` neurons fire; the same seed gives the same bits.

use neurochip_core::assembly::{lengths, Area, AreaConfig, AreaMemory};
use neurochip_core::stdp::{advance_one, StdpParams, Weight, ABSENT};
use neurochip_core::{Prng, Rounding};
use proptest::prelude::*;

fn rounding() -> impl Strategy<Value = Rounding> {
    prop_oneof![
        Just(Rounding::Truncate),
        Just(Rounding::Nearest),
        Just(Rounding::Stochastic)
    ]
}

prop_compose! {
    fn params()(a_pre in any::<u16>(), a_post in any::<u16>(), inc in any::<u16>(),
                a_plus in any::<u16>(), a_minus in any::<u16>(), shift in 0u8..40,
                w_max in -5i16..=i16::MAX, rounding in rounding()) -> StdpParams {
        StdpParams { a_pre, a_post, inc, a_plus, a_minus, shift, w_max, rounding }
    }
}

/// Run one pre/post pair of neurons through `pre` and `post` spike trains with the
/// area's ordering (pre trace advances; potentiation by the pre trace on a post spike
/// and depression by the post trace on a pre spike, one net change; post trace advances).
fn pair(
    p: &StdpParams,
    w0: Weight,
    pre: &[bool],
    post: &[bool],
    seed: u64,
) -> (Weight, Vec<Weight>) {
    let mut prng = Prng::new(seed);
    let (mut x, mut y, mut w) = (0u16, 0u16, w0);
    let mut hist = Vec::new();
    for (&s_pre, &s_post) in pre.iter().zip(post) {
        x = advance_one(x, p.a_pre, p.inc, s_pre, p.rounding, &mut prng);
        p.update(&mut w, s_post, x, s_pre, y, &mut prng);
        y = advance_one(y, p.a_post, p.inc, s_post, p.rounding, &mut prng);
        hist.push(w);
    }
    (w, hist)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn weights_stay_in_bounds(p in params(), w0 in -3i16..=i16::MAX,
                              pre in prop::collection::vec(any::<bool>(), 0..200),
                              post in prop::collection::vec(any::<bool>(), 0..200),
                              seed in any::<u64>()) {
        let w_max = p.w_max.max(0);
        // A present synapse starts inside its bounds; a negative word is absent.
        let w0 = if w0 < 0 { w0 } else { w0.min(w_max) };
        let (_, hist) = pair(&p, w0, &pre, &post, seed);
        for w in hist {
            if w0 < 0 {
                prop_assert_eq!(w, w0, "an absent synapse was written");
            } else {
                prop_assert!((0..=w_max).contains(&w), "w = {} outside [0, {}]", w, w_max);
            }
        }
    }

    #[test]
    fn pre_before_post_potentiates(lag in 1usize..5, w0 in 0i16..100, rounding in rounding(),
                                   a_plus in 256u16..4096, seed in any::<u64>()) {
        let p = StdpParams { a_plus, a_minus: a_plus, rounding, w_max: 127, ..StdpParams::default() };
        let mut pre = vec![false; 20];
        let mut post = vec![false; 20];
        pre[5] = true;
        post[5 + lag] = true;
        let (w, _) = pair(&p, w0, &pre, &post, seed);
        prop_assert!(w > w0, "pre at 5, post at {}: {} -> {}", 5 + lag, w0, w);
    }

    #[test]
    fn post_before_pre_depresses(lag in 1usize..5, w0 in 30i16..=127, rounding in rounding(),
                                 a_minus in 256u16..4096, seed in any::<u64>()) {
        let p = StdpParams { a_plus: a_minus, a_minus, rounding, w_max: 127, ..StdpParams::default() };
        let mut pre = vec![false; 20];
        let mut post = vec![false; 20];
        post[5] = true;
        pre[5 + lag] = true;
        let (w, _) = pair(&p, w0, &pre, &post, seed);
        prop_assert!(w < w0, "post at 5, pre at {}: {} -> {}", 5 + lag, w0, w);
    }

    #[test]
    fn traces_never_exceed_u16_and_decay(x in any::<u16>(), a in 0u16..32768, rounding in rounding(), seed in any::<u64>()) {
        let mut prng = Prng::new(seed);
        let y = advance_one(x, a, 0, false, rounding, &mut prng);
        prop_assert!(y <= x, "decay by a < 1 grew the trace: {} -> {}", x, y);
    }
}

struct Bufs {
    w_in: Vec<i16>,
    w_rec: Vec<i16>,
    v: Vec<i32>,
    z: Vec<bool>,
    tr: [Vec<u16>; 3],
}

impl Bufs {
    fn new(cfg: &AreaConfig) -> Self {
        let l = lengths(cfg);
        Self {
            w_in: vec![0; l[0].1],
            w_rec: vec![0; l[1].1],
            v: vec![0; l[2].1],
            z: vec![false; l[3].1],
            tr: [vec![0; l[4].1], vec![0; l[5].1], vec![0; l[6].1]],
        }
    }
    fn mem(&mut self) -> AreaMemory<'_> {
        let [a, b, c] = &mut self.tr;
        AreaMemory {
            w_in: &mut self.w_in,
            w_rec: &mut self.w_rec,
            v: &mut self.v,
            z: &mut self.z,
            tr_in: a,
            tr_pre: b,
            tr_post: c,
        }
    }
}

prop_compose! {
    fn area_cfg()(n in 1usize..40, n_in in 1usize..30, kf in 0.0f64..1.0, leak in any::<u16>(),
                  v_th in -200i32..200, rec_shift in 0u8..20, r in rounding(), stdp in params()) -> AreaConfig {
        let k = 1 + ((n - 1) as f64 * kf) as usize;
        AreaConfig { n, n_in, k, leak, v_th, rec_shift, rounding: r, stdp }
    }
}

fn run_area(
    cfg: AreaConfig,
    seed: u64,
    p_in: u16,
    p_rec: u16,
    steps: usize,
) -> (u64, Vec<i16>, Vec<i16>, Vec<usize>) {
    let mut b = Bufs::new(&cfg);
    let mut area = Area::new(cfg, seed, &b.mem()).expect("valid area");
    area.wire(&mut b.mem(), p_in, p_rec, 0, cfg.stdp.w_max);
    let mut rng = Prng::new(seed ^ 77);
    let mut fired = Vec::new();
    let mut x = vec![false; cfg.n_in];
    for _ in 0..steps {
        for xi in x.iter_mut() {
            *xi = rng.chance_q16(20_000);
        }
        fired.push(area.step(&mut b.mem(), &x, true).expect("sized input"));
        assert_eq!(
            fired.last().copied(),
            Some(b.z.iter().filter(|&&z| z).count())
        );
    }
    (area.digest(), b.w_in, b.w_rec, fired)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn area_respects_cap_bounds_and_is_deterministic(cfg in area_cfg(), seed in any::<u64>(),
                                                     p_in in any::<u16>(), p_rec in any::<u16>()) {
        let (d1, w_in, w_rec, fired) = run_area(cfg, seed, p_in, p_rec, 30);
        let w_max = cfg.stdp.w_max.max(0);
        for f in fired {
            prop_assert!(f <= cfg.k, "{} fired, cap {}", f, cfg.k);
        }
        for &w in w_in.iter().chain(&w_rec) {
            prop_assert!(w == ABSENT || (0..=w_max).contains(&w), "weight {}", w);
        }
        for j in 0..cfg.n {
            prop_assert_eq!(w_rec[j * cfg.n + j], ABSENT, "self-synapse at {}", j);
        }
        let (d2, ..) = run_area(cfg, seed, p_in, p_rec, 30);
        prop_assert_eq!(d1, d2);
    }
}

/// An area of `n` neurons, `n_in` inputs and cap `k`, without leak, firing at
/// threshold 1, with the default STDP.
fn quiet_area(n: usize, n_in: usize, k: usize) -> AreaConfig {
    AreaConfig {
        n,
        n_in,
        k,
        leak: 0,
        v_th: 1,
        rec_shift: 0,
        rounding: Rounding::Nearest,
        stdp: StdpParams::default(),
    }
}

#[test]
fn cap_fires_exactly_k_with_ties() {
    // All neurons receive the same input: the k-cap must still fire exactly k.
    let cfg = quiet_area(30, 4, 7);
    let mut b = Bufs::new(&cfg);
    let mut area = Area::new(cfg, 3, &b.mem()).expect("valid");
    b.w_in.fill(10);
    b.w_rec.fill(ABSENT);
    let fired = area.step(&mut b.mem(), &[true; 4], false).expect("sized");
    assert_eq!(fired, 7);
}

#[test]
fn bad_sizes_are_refused() {
    let cfg = quiet_area(5, 3, 6);
    let mut b = Bufs::new(&cfg);
    let e = Area::new(cfg, 1, &b.mem()).unwrap_err();
    assert_eq!(e.to_string(), "area k = 6 is out of range 1..=5");
    let ok = AreaConfig { k: 2, ..cfg };
    b.v.push(0);
    let e = Area::new(ok, 1, &b.mem()).unwrap_err();
    assert_eq!(e.to_string(), "area memory `v` has 6 words, needs 5");
    b.v.pop();
    let mut area = Area::new(ok, 1, &b.mem()).expect("valid");
    let e = area.step(&mut b.mem(), &[true; 2], true).unwrap_err();
    assert_eq!(e.to_string(), "area memory `x` has 2 words, needs 3");
}

#[test]
fn a_memory_of_another_size_never_panics() {
    let cfg = quiet_area(20, 4, 3);
    let mut b = Bufs::new(&cfg);
    let mut area = Area::new(cfg, 3, &b.mem()).expect("valid");
    area.wire(&mut b.mem(), 30_000, 30_000, 1, 10);
    // Memory of a smaller area, stepped by the checked one: wrong bits, no panic.
    let small = AreaConfig {
        n: 5,
        n_in: 2,
        ..cfg
    };
    let mut s = Bufs::new(&small);
    s.w_in.fill(5);
    for _ in 0..10 {
        let _ = area.step(&mut s.mem(), &[true; 4], true);
    }
}
