//! Per-synapse learning-rate spreads (`learning.lr_spread`): the offsets stay in
//! `0..=k` and cover it evenly, a zero spread changes nothing, and the spread survives
//! an image round trip (format version 2) while images without it keep version 1.

use neurochip_core::image::{self, VERSION, VERSION_LR_SPREAD};
use neurochip_core::learning::{layer, rate_offset, Engine, Learning};
use neurochip_core::{ChipConfig, ConfigBuilder};
use proptest::prelude::*;

mod common;
use common::Arenas;

fn config(lr_spread: u8, seed: u64) -> ChipConfig {
    ConfigBuilder::new(3, 5, 2)
        .learning(Learning {
            engine: Engine::Exact,
            lr_spread,
            ..Learning::DEFAULT
        })
        .seed(seed)
        .build()
        .unwrap()
}

fn image_of(cfg: &ChipConfig) -> Vec<u8> {
    let a = Arenas::new(cfg);
    let mut out = vec![0u8; 1 << 16];
    let n = image::encode(&mut out, cfg, b"app", &a.w16, &a.w32, &a.wu).unwrap();
    out.truncate(n);
    out
}

proptest! {
    #[test]
    fn offsets_stay_in_range(seed in any::<u64>(), k in 0u8..=16, i in any::<usize>(), l in 1u32..=3) {
        let o = rate_offset(seed, l, i, k);
        prop_assert!(o <= u32::from(k));
        if k == 0 {
            prop_assert_eq!(o, 0);
        }
    }

    #[test]
    fn offsets_cover_the_range_evenly(seed in any::<u64>(), k in 1u8..=16) {
        let n = 20_000usize;
        let mut counts = vec![0usize; usize::from(k) + 1];
        for i in 0..n {
            counts[rate_offset(seed, layer::RECURRENT, i, k) as usize] += 1;
        }
        let expect = n as f64 / f64::from(k + 1);
        for (o, &c) in counts.iter().enumerate() {
            // 6 standard deviations of a binomial count.
            let sd = (expect * (1.0 - 1.0 / f64::from(k + 1))).sqrt();
            prop_assert!((c as f64 - expect).abs() < 6.0 * sd, "offset {o}: {c} of {n}, expected {expect:.0}");
        }
    }

    #[test]
    fn image_round_trip_keeps_the_spread(k in 0u8..=16, seed in any::<u64>()) {
        let cfg = config(k, seed);
        let bytes = image_of(&cfg);
        let version = u16::from_le_bytes([bytes[4], bytes[5]]);
        prop_assert_eq!(version, if k == 0 { VERSION } else { VERSION_LR_SPREAD });
        let d = image::decode(&bytes).unwrap();
        prop_assert_eq!(d.config, cfg);
    }
}

#[test]
fn layers_draw_different_offsets() {
    let same = (0..1000)
        .filter(|&i| rate_offset(7, layer::INPUT, i, 8) == rate_offset(7, layer::READOUT, i, 8))
        .count();
    // Independent draws agree with probability 1/9.
    assert!(same < 200, "{same} of 1000 offsets equal across layers");
}

#[test]
fn spread_out_of_range_is_refused() {
    let e = ConfigBuilder::new(3, 5, 2)
        .learning(Learning {
            engine: Engine::Exact,
            lr_spread: 17,
            ..Learning::DEFAULT
        })
        .build();
    assert!(e.is_err());
}

#[test]
fn version_2_without_a_spread_is_refused() {
    // Version 2 carries the spread byte; a zero there has a version-1 encoding, so it
    // is refused (one encoding per chip).
    let cfg = config(3, 1);
    let mut bytes = image_of(&cfg);
    // The spread byte is the last byte of the configuration: find it by encoding the
    // configuration alone.
    let mut buf = [0u8; 128];
    let mut w = image::Writer::new(&mut buf);
    image::put_config(&mut w, &cfg);
    let at = 12 + w.len() - 1;
    assert_eq!(bytes[at], 3);
    bytes[at] = 0;
    let n = bytes.len() - 4;
    let crc = image::crc32(&bytes[..n]);
    bytes[n..].copy_from_slice(&crc.to_le_bytes());
    assert!(image::decode(&bytes).is_err());
}
