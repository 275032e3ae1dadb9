//! Decay classes of the learning circuits (`neurochip_core::classes`).
//!
//! * Classes whose decays are all the same number compute the same bits as one class:
//!   random chips (exact or light engine, online or per sample, LIF or ALIF, random
//!   class indices) learn the same weights, spikes, membranes and digest with `C`
//!   membrane and `K` readout classes of equal decays as without classes, and every
//!   trace and eligibility bank holds the one-class value (nearest rounding, which
//!   draws nothing: stochastic rounding draws once per trace, so more banks draw more).
//! * An image of a chip with classes is format version 4 and reads back the same; a
//!   version-4 image without classes, class counts past 8 and class indices past the
//!   class count are refused.

use bitvec::prelude::*;
use neurochip_core::classes::Classes;
use neurochip_core::image;
use neurochip_core::learning::{Apply, Engine, Learning};
use neurochip_core::{Chip, ConfigBuilder, Rounding, Target};
use proptest::prelude::*;

mod common;
use common::{next, random_params, Arenas, SHIFTS};

fn equal_classes(c: u8, k: u8, alpha: u16, kappa: u16) -> Classes {
    let mut cl = Classes {
        trace: c,
        readout: k,
        ..Classes::ONE
    };
    for (i, d) in cl.alpha.iter_mut().enumerate() {
        *d = if i + 1 < usize::from(c) { alpha } else { 0 };
    }
    for (i, d) in cl.kappa.iter_mut().enumerate() {
        *d = if i + 1 < usize::from(k) { kappa } else { 0 };
    }
    cl
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 120, ..ProptestConfig::default() })]

    #[test]
    fn equal_decay_classes_change_no_bit(
        n_in in 1usize..10, n_rec in 1usize..20, n_out in 1usize..5,
        c in 1u8..=8, k in 1u8..=8, exact: bool, alif: bool, sample: bool,
        p_in in 5u64..60, seed: u64,
    ) {
        let learning = Learning {
            engine: if exact { Engine::Exact } else { Engine::Light },
            apply: if sample { Apply::Sample } else { Apply::Online },
            shift_in: 4,
            shift_rec: 4,
            shift_out: 4,
            shift_bias: 8,
            trace_decay: 30_000,
            elig_decay: 31_000,
            ..Learning::DEFAULT
        };
        let base = ConfigBuilder::new(n_in, n_rec, n_out)
            .shifts(SHIFTS)
            .leak_rounding(Rounding::Nearest)
            .alif(alif)
            .learning(learning)
            .seed(seed);
        let one = base.build().unwrap();
        let many = base.classes(equal_classes(c, k, 30_000, 31_000)).build().unwrap();
        let (lo, lm) = (one.layout(), many.layout());
        prop_assert_eq!((lm.trace_classes, lm.readout_classes), (usize::from(c), usize::from(k)));
        let mut s = seed | 1;
        let mut a = Arenas::with_defaults(&one);
        random_params(&mut a.mem(&one), &mut s, alif);
        // The same parameters in the layout with classes, random class indices.
        let mut b = Arenas::with_defaults(&many);
        {
            let am = a.mem(&one);
            let bm = b.mem(&many);
            bm.w_in.copy_from_slice(am.w_in);
            bm.w_rec.copy_from_slice(am.w_rec);
            bm.w_out.copy_from_slice(am.w_out);
            bm.psi_gain.copy_from_slice(am.psi_gain);
            bm.beta.copy_from_slice(am.beta);
            for t in bm.tclass.iter_mut() {
                *t = (next(&mut s) % u64::from(c)) as u32;
            }
            for q in bm.kclass.iter_mut() {
                *q = (next(&mut s) % u64::from(k)) as u32;
            }
        }
        let mut am = a.mem(&one);
        let mut bm = b.mem(&many);
        let mut ca = Chip::new(one, &am).unwrap();
        let mut cb = Chip::new(many, &bm).unwrap();
        for sample_no in 0..3 {
            am.reset_state();
            bm.reset_state();
            for t in 0..40 {
                let x: BitVec<u32, Lsb0> = (0..n_in).map(|_| next(&mut s) % 100 < p_in).collect();
                ca.step(&mut am, &x).unwrap();
                cb.step(&mut bm, &x).unwrap();
                let target = if t >= 20 { Target::Class((t + sample_no) % n_out) } else { Target::None };
                ca.learn(&mut am, target).unwrap();
                cb.learn(&mut bm, target).unwrap();
            }
            ca.end_sample(&mut am).unwrap();
            cb.end_sample(&mut bm).unwrap();
            prop_assert_eq!(ca.digest(), cb.digest());
            prop_assert_eq!(&am.w_in[..], &bm.w_in[..]);
            prop_assert_eq!(&am.w_rec[..], &bm.w_rec[..]);
            prop_assert_eq!(&am.w_out[..], &bm.w_out[..]);
            prop_assert_eq!(&am.bias[..], &bm.bias[..]);
            for bank in bm.xbar.chunks(n_in) {
                prop_assert_eq!(bank, &am.xbar[..]);
            }
            for bank in bm.zbar.chunks(n_rec) {
                prop_assert_eq!(bank, &am.zbar[..]);
            }
            for bank in bm.zk.chunks(n_rec + 1) {
                prop_assert_eq!(bank, &am.zk[..]);
            }
            let (ei, er) = lo.ebar_words();
            for bank in bm.ebar_in.chunks(ei.max(1)) {
                prop_assert_eq!(bank, &am.ebar_in[..]);
            }
            for bank in bm.ebar_rec.chunks(er.max(1)) {
                prop_assert_eq!(bank, &am.ebar_rec[..]);
            }
            prop_assert_eq!(&am.eps_in[..], &bm.eps_in[..]);
            prop_assert_eq!(&am.eps_rec[..], &bm.eps_rec[..]);
        }
    }
}

/// A chip with 3 membrane and 2 readout classes: image version 4, read back the same;
/// the refusals of a version-4 image without classes, of a class count past 8 and of
/// a class index past the count.
#[test]
fn images_carry_the_classes() {
    let learning = Learning {
        engine: Engine::Exact,
        ..Learning::DEFAULT
    };
    let mut classes = equal_classes(3, 2, 0, 0);
    classes.alpha[0] = 31_000;
    classes.alpha[1] = 32_000;
    classes.kappa[0] = 30_500;
    let b = ConfigBuilder::new(3, 5, 2).learning(learning).seed(4);
    let cfg = b.classes(classes).build().unwrap();
    assert_eq!(image::version_for(&cfg), image::VERSION_CLASSES);
    let l = cfg.layout();
    let mut arenas = Arenas::with_defaults(&cfg);
    {
        let mem = arenas.mem(&cfg);
        assert_eq!(mem.tclass.len(), 5);
        assert_eq!(mem.kclass.len(), 2);
        assert_eq!(mem.xbar.len(), 9);
        assert_eq!(mem.zbar.len(), 15);
        assert_eq!(mem.zk.len(), 12);
        assert_eq!(mem.l.len(), 10);
        assert_eq!(mem.ebar_in.len(), 30);
        assert_eq!(mem.ebar_rec.len(), 50);
        mem.tclass.copy_from_slice(&[0, 1, 2, 1, 0]);
        mem.kclass.copy_from_slice(&[1, 0]);
    }
    let mut buf = vec![0u8; 1 << 16];
    let n = image::encode(&mut buf, &cfg, b"", &arenas.w16, &arenas.w32, &arenas.wu).unwrap();
    let d = image::decode(&buf[..n]).unwrap();
    assert_eq!(d.config, cfg);
    assert_eq!(
        d.config.trace_decays()[..3],
        [learning.trace_decay, 31_000, 32_000]
    );
    assert_eq!(
        d.config.readout_decays()[..2],
        [learning.elig_decay, 30_500]
    );
    let mut back = Arenas::new(&cfg);
    d.load(&mut back.w16, &mut back.w32, &mut back.wu).unwrap();
    assert_eq!(back, arenas);

    // A class index past the count.
    let mut bad = arenas.clone();
    bad.mem(&cfg).tclass[3] = 3;
    let n = image::encode(&mut buf, &cfg, b"", &bad.w16, &bad.w32, &bad.wu).unwrap();
    let e = image::decode(&buf[..n]).unwrap();
    let mut out = Arenas::new(&cfg);
    let err = e.load(&mut out.w16, &mut out.w32, &mut out.wu).unwrap_err();
    assert!(err.to_string().contains("tclass[3] = 3"), "{err}");

    // Version 4 without classes; 9 classes.
    let plain = ConfigBuilder::new(3, 5, 2)
        .learning(learning)
        .build()
        .unwrap();
    assert_eq!(image::version_for(&plain), image::VERSION);
    assert_eq!(l.words16(), plain.layout().words16());
    let e = ConfigBuilder::new(3, 5, 2)
        .learning(learning)
        .classes(Classes {
            trace: 9,
            ..Classes::ONE
        })
        .build()
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "learning.trace_classes = 9 is out of range (allowed 1..=8)"
    );
    let a = Arenas::with_defaults(&plain);
    let n = image::encode(&mut buf, &plain, b"", &a.w16, &a.w32, &a.wu).unwrap();
    // Rewrite it as version 4 with the default version-3 fields and one class each.
    let body_start = image::HEADER;
    let mut w = Vec::new();
    {
        let mut tmp = vec![0u8; 4096];
        let mut wr = image::Writer::new(&mut tmp);
        image::put_config(&mut wr, &plain);
        let cfg_len = wr.len();
        w.extend_from_slice(&buf[..body_start + cfg_len]);
        // lr_spread, release, rewire (version 3's fields), then one class of each.
        w.push(0);
        let always = neurochip_core::release::ALWAYS;
        for v in [always, always, u32::MAX, u32::MAX] {
            w.extend_from_slice(&v.to_le_bytes());
        }
        w.extend_from_slice(&0u16.to_le_bytes());
        w.extend_from_slice(&[1, 1]);
        w.extend_from_slice(&buf[body_start + cfg_len..n - 4]);
    }
    w[4] = image::VERSION_CLASSES as u8;
    let body = (w.len() - image::HEADER) as u32;
    w[8..12].copy_from_slice(&body.to_le_bytes());
    let crc = image::crc32(&w);
    w.extend_from_slice(&crc.to_le_bytes());
    let err = image::decode(&w).err().expect("refused");
    assert!(err.to_string().contains("classes"), "{err}");
}
