//! The chip's STDP circuit (`neurochip_core::stdp`, fixed point) against its f64
//! reference (`neurochip_ref::stdp`) on random spike trains and constants, with
//! round-to-nearest: each trace stays within `0.5 / (1 - a)` of the float trace
//! (one rounding of at most half an LSB per step, decaying by `a`), and the weight
//! within the sum over its updates of `0.5 + g * |trace error|` per rounded term
//! (clamping to `[0, w_max]` never increases a difference). With stochastic rounding
//! the chip's weight is the float weight on average over seeds.

use neurochip_core::stdp::{advance_one, StdpParams};
use neurochip_core::{Prng, Rounding};
use neurochip_ref::stdp::{FStdp, FSynapse};
use proptest::prelude::*;

fn float_of(p: &StdpParams) -> FStdp {
    let g = |gain: u16| f64::from(gain) / 2f64.powi(i32::from(p.shift));
    FStdp {
        a_pre: f64::from(p.a_pre) / 32768.0,
        a_post: f64::from(p.a_post) / 32768.0,
        inc: f64::from(p.inc),
        trace_max: f64::from(u16::MAX),
        g_plus: g(p.a_plus),
        g_minus: g(p.a_minus),
        w_max: f64::from(p.w_max),
    }
}

/// Chip and float side by side; returns (chip weight, float weight, error bound),
/// checking the trace bound at every step.
fn run(p: &StdpParams, w0: i16, trains: &[(bool, bool)], seed: u64) -> (f64, f64, f64) {
    let f = float_of(p);
    let mut prng = Prng::new(seed);
    let (mut x, mut y, mut w) = (0u16, 0u16, w0);
    let mut s = FSynapse {
        w: f64::from(w0),
        ..FSynapse::default()
    };
    let mut bound = 0.0;
    let tb_x = 0.5 / (1.0 - f.a_pre) + 1e-9;
    let tb_y = 0.5 / (1.0 - f.a_post) + 1e-9;
    for &(pre, post) in trains {
        x = advance_one(x, p.a_pre, p.inc, pre, p.rounding, &mut prng);
        // The float step updates x, w, y in the same order; the weight term uses the
        // traces as they are when it is computed.
        let y_before = s.y;
        f.step(&mut s, pre, post);
        let ex = (f64::from(x) - s.x).abs();
        let ey = (f64::from(y) - y_before).abs();
        if p.rounding == Rounding::Nearest {
            assert!(ex <= tb_x, "pre trace error {ex} > {tb_x}");
            assert!(ey <= tb_y, "post trace error {ey} > {tb_y}");
        }
        if post {
            bound += 0.5 + f.g_plus * ex;
        }
        if pre {
            bound += 0.5 + f.g_minus * ey;
        }
        p.update(&mut w, post, x, pre, y, &mut prng);
        y = advance_one(y, p.a_post, p.inc, post, p.rounding, &mut prng);
    }
    (f64::from(w), s.w, bound)
}

prop_compose! {
    fn nearest_params()(a_pre in 16_384u16..32_700, a_post in 16_384u16..32_700,
                        inc in 256u16..8192, a_plus in 1u16..2048, a_minus in 1u16..2048,
                        shift in 10u8..20, w_max in 1i16..=i16::MAX) -> StdpParams {
        StdpParams { a_pre, a_post, inc, a_plus, a_minus, shift, w_max, rounding: Rounding::Nearest }
    }
}

fn trains(n: usize) -> impl Strategy<Value = Vec<(bool, bool)>> {
    (0.0f64..0.5, 0.0f64..0.5).prop_flat_map(move |(rp, rq)| {
        prop::collection::vec(
            (
                prop::bool::weighted(rp.max(0.01)),
                prop::bool::weighted(rq.max(0.01)),
            ),
            n,
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn nearest_rounding_tracks_the_float_rule(p in nearest_params(), w0f in 0.0f64..1.0,
                                              tr in trains(120), seed in any::<u64>()) {
        let w0 = (w0f * f64::from(p.w_max)) as i16;
        let (wc, wf, bound) = run(&p, w0, &tr, seed);
        prop_assert!((wc - wf).abs() <= bound + 1e-9,
            "chip {} float {} bound {}", wc, wf, bound);
    }
}

/// Stochastic rounding: over 400 seeds of the chip's rounding, the mean chip weight
/// equals the float weight within 3 standard errors (weights far from the bounds,
/// where clamping would bias the mean).
#[test]
fn stochastic_rounding_is_unbiased_against_the_float_rule() {
    let p = StdpParams {
        a_pre: 29_000,
        a_post: 29_000,
        inc: 1000,
        a_plus: 300,
        a_minus: 250,
        shift: 16,
        w_max: 10_000,
        rounding: Rounding::Stochastic,
    };
    let mut gen = Prng::new(5);
    for _train in 0..5 {
        let tr: Vec<(bool, bool)> = (0..200)
            .map(|_| (gen.chance_q16(13_000), gen.chance_q16(13_000)))
            .collect();
        let ws: Vec<f64> = (0..400u64).map(|s| run(&p, 5000, &tr, s).0).collect();
        let wf = run(
            &StdpParams {
                rounding: Rounding::Nearest,
                ..p
            },
            5000,
            &tr,
            0,
        )
        .1;
        let n = ws.len() as f64;
        let mean = ws.iter().sum::<f64>() / n;
        let var = ws.iter().map(|w| (w - mean).powi(2)).sum::<f64>() / (n - 1.0);
        let se = (var / n).sqrt().max(0.05);
        assert!(
            (mean - wf).abs() <= 3.0 * se + 0.05,
            "mean chip weight {mean} against float {wf} (standard error {se})"
        );
    }
}
