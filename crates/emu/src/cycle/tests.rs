use super::*;
use crate::HostChip;
use bitvec::prelude::*;
use neurochip_core::format::Format;
use neurochip_core::{ConfigBuilder, Formats, Learning};
use proptest::prelude::*;

/// The cue network's sizes (40 inputs, 100 LIF neurons, 2 readouts, light engine,
/// 12-bit traces) with zero weights, so a step's events are exactly the ones set.
fn cue_chip() -> HostChip {
    cue_chip_with(Release::ALWAYS)
}

/// [`cue_chip`] with the release probabilities `release`.
fn cue_chip_with(release: Release) -> HostChip {
    let cfg = ConfigBuilder::new(40, 100, 2)
        .formats(Formats {
            trace: Format::unsigned(12, 6).unwrap(),
            ..Formats::default()
        })
        .learning(Learning {
            engine: Engine::Light,
            ..Learning::DEFAULT
        })
        .release(release)
        .build()
        .unwrap();
    HostChip::build(cfg, |m| {
        m.init_default_params(&cfg);
        m.mask_in.fill(true);
        m.mask_rec.fill(true);
        m.mask_out.fill(true);
    })
}

/// The step docs/cycle-model.md works by hand: 3 input events, 2 recurrent events
/// (spikes of the previous step), 1 new spike, no learning step, on `reckon`.
#[test]
fn hand_worked_step() {
    let arch = Arch::builtin("reckon").unwrap();
    let mut chip = cue_chip();
    let cfg = *chip.config();
    let mut model = CycleModel::new(&arch, &cfg, &chip.mem(), 1e-3).unwrap();
    let (c, mut mem) = chip.parts();
    mem.z.set(0, true);
    mem.z.set(1, true);
    let thr = mem.thr[5];
    mem.v[5] = thr.saturating_mul(2);
    let mut x = bitvec![u32, Lsb0; 0; 40];
    for i in [3, 17, 30] {
        x.set(i, true);
    }
    let models = std::slice::from_mut(&mut model);
    let mut dp = CycleChip { chip: c, models };
    let out = dp.step(&mut mem, &x).unwrap();
    assert_eq!(out.spikes, 1);
    let got = model.last().cycles;
    let want = Stages {
        overhead: 4.0,
        input: 26.0,
        recurrent: 18.0,
        neuron: 201.0,
        readout: 6.0,
        learning: 25.0,
    };
    assert_eq!(got, want);
    assert_eq!(got.total(), 280.0);
    // 3 x 100 + 2 x 100 + 1 x 2 synaptic operations.
    assert_eq!(model.last().sops, 502);
    let e = model.last().energy;
    assert!((e.synapses - 502.0 * 5.3).abs() < 1e-9);
    assert!((e.total() - (502.0 + 100.0 + 2.0 + 25.0) * 5.3).abs() < 1e-6);
}

/// With release probability 1/2 on both hidden classes, the hand-worked step's 500
/// input and recurrent synaptic events split into released ones (counted as SOPs
/// and energy) and failures, each synapse as its comparator decides.
#[test]
fn failed_releases_cost_no_synaptic_operation() {
    let arch = Arch::builtin("reckon").unwrap();
    let half = 1u32 << 15;
    let mut chip = cue_chip_with(Release {
        p_in: half,
        p_rec: half,
    });
    let cfg = *chip.config();
    let mut model = CycleModel::new(&arch, &cfg, &chip.mem(), 1e-3).unwrap();
    let (c, mut mem) = chip.parts();
    mem.z.set(0, true);
    mem.z.set(1, true);
    let mut x = bitvec![u32, Lsb0; 0; 40];
    for i in [3, 17, 30] {
        x.set(i, true);
    }
    let t = c.steps();
    let models = std::slice::from_mut(&mut model);
    let mut dp = CycleChip { chip: c, models };
    dp.step(&mut mem, &x).unwrap();
    let count = |rows: &[usize], class, p| {
        let key = release::step_key(cfg.seed(), t, class);
        rows.iter()
            .flat_map(|&i| (0..100).map(move |j| i * 100 + j))
            .filter(|&k| release::released_key(key, k, p))
            .count() as u64
    };
    let released = count(&[3, 17, 30], release::class::INPUT, half)
        + count(&[0, 1], release::class::RECURRENT, half);
    let readout = model.last().sops - released;
    assert!(readout <= 200, "readout SOPs {readout}");
    assert_eq!(model.stats.release_failures, 500 - released);
    assert!((150..350).contains(&released), "released {released} of 500");
    let e = model.last().energy;
    assert!((e.synapses - model.last().sops as f64 * 5.3).abs() < 1e-9);
}

#[test]
fn sram_overflow_names_the_bank_and_the_excess() {
    let arch = Arch::builtin("xylo").unwrap();
    let chip = cue_chip();
    let e = sram(chip.config(), &arch).unwrap_err().to_string();
    assert_eq!(
        e,
        "the network has 40 input channels; architecture `xylo` has 16 (over by 24)"
    );
    let mut arch = Arch::builtin("reckon").unwrap();
    arch.banks[0].words = 64;
    let e = sram(chip.config(), &arch).unwrap_err().to_string();
    assert_eq!(
        e,
        "SRAM bank `neuron` of architecture `reckon` overflows: the network needs 1600 bytes (neurons 1600) but the bank holds 1024: over by 576 bytes"
    );
    arch.banks.retain(|b| b.name != "learning");
    let e = sram(chip.config(), &arch).unwrap_err().to_string();
    assert!(
        e.contains("no bank that holds it") && e.contains("`traces`"),
        "{e}"
    );
}

/// A structure listed by two banks goes to the first with room for it, else to
/// the next; when neither has room, the last one's overflow is the error.
#[test]
fn a_structure_listed_twice_goes_to_the_first_bank_with_room() {
    let arch = Arch::builtin("reckon").unwrap();
    let k = |name: &str| arch.banks.iter().position(|b| b.name == name).unwrap();
    let (learning, external) = (k("learning"), k("external"));
    assert!(arch.banks[learning]
        .holds
        .iter()
        .any(|h| h == "accumulators"));
    let bank_of = |uses: &[BankUse]| placed(uses, "accumulators").map(|u| u.bank.clone());
    let packed = |name, bytes: u64| Extent {
        name,
        rows: 1,
        per_row: 1,
        item_bits: bytes * 8,
        packed: true,
    };
    // 8,192 bytes of learning SRAM: 6,000 of traces, then 2,000 or 3,000 more.
    let traces = || packed("traces", 6000);
    let uses = place(&[traces(), packed("accumulators", 2000)], &arch).unwrap();
    assert_eq!(bank_of(&uses).as_deref(), Some("learning"));
    assert_eq!(uses[learning].used_bytes, 8000);
    let uses = place(&[traces(), packed("accumulators", 3000)], &arch).unwrap();
    assert_eq!(bank_of(&uses).as_deref(), Some("external"));
    assert_eq!(uses[learning].used_bytes, 6000);
    assert_eq!(uses[external].used_bytes, 3008);
    let mut small = arch.clone();
    small.banks[external].words = 10;
    let e = place(&[traces(), packed("accumulators", 3000)], &small)
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("SRAM bank `external`"), "{e}");
}

proptest! {
    /// The queue model: the synapse engine is busy from the first arrival on when
    /// the router is at least as fast as the engine, so the stage lasts
    /// `latency + n * service`; the queue never holds more than its depth; with a
    /// queue as deep as the events, nothing stalls.
    #[test]
    fn pipeline_bounds(n in 0usize..200, service in 1u32..40, gap in 1u32..40,
                       lat in 0u32..8, depth in 1u32..32) {
        let mut arch = Arch::builtin("reckon").unwrap();
        arch.router.latency_cycles = f64::from(lat);
        arch.router.cycles_per_event = f64::from(gap);
        arch.router.queue_depth = depth;
        let mut chip = cue_chip();
        let cfg = *chip.config();
        let mut m = CycleModel::new(&arch, &cfg, &chip.mem(), 1e-3).unwrap();
        let (s, l, g) = (f64::from(service), f64::from(lat), f64::from(gap));
        let (t, stalls, peak) = m.pipeline(n, s);
        if n == 0 {
            prop_assert_eq!(t, 0.0);
        } else {
            prop_assert!(t >= l + n as f64 * s);
            prop_assert!(t >= l + (n - 1) as f64 * g + s);
            if gap <= service {
                prop_assert_eq!(t, l + n as f64 * s);
            }
            prop_assert!(stalls >= 0.0);
            prop_assert!(peak >= 1 && peak <= depth);
            if depth as usize >= n {
                prop_assert_eq!(stalls, 0.0);
            }
        }
    }
}
