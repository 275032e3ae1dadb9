//! Rewired layers in the compressed layout: the footprint and the SRAM report count
//! only active synapses (weight and postsynaptic index each, row pointers, learning
//! state per active synapse); dense chips are counted as before.

use neurochip_core::learning::{Apply, Engine, Learning};
use neurochip_core::rewire::{Rewire, OFF};
use neurochip_core::ConfigBuilder;
use neurochip_emu::{cycle, footprint, Arch};

fn cfg(rewire: Rewire) -> neurochip_core::ChipConfig {
    ConfigBuilder::new(64, 200, 10)
        .learning(Learning {
            engine: Engine::Exact,
            apply: Apply::Sample,
            ..Learning::DEFAULT
        })
        .rewire(rewire)
        .build()
        .unwrap()
}

#[test]
fn compressed_layout_counts_active_synapses() {
    let dense = cfg(Rewire::OFF);
    let (b_in, b_rec) = (1280u32, 3980u32);
    let rew = cfg(Rewire {
        budget_in: b_in,
        budget_rec: b_rec,
        noise: 0,
    });
    let (fd, fr) = (footprint(&dense), footprint(&rew));
    // 8-bit weights: dense 64*200 + 200*200 + 200*10 weights.
    assert_eq!(fd.weights, 64 * 200 + 200 * 200 + 200 * 10);
    // Compressed: weight (8) + index (8 bits for 200 targets) per active synapse, a
    // pointer per row (+1) of 11 / 12 bits, and the dense readout.
    let bits = (b_in as usize) * 16 + 65 * 11 + (b_rec as usize) * 16 + 201 * 12;
    assert_eq!(fr.weights, bits.div_ceil(8) + 200 * 10);
    assert!(fr.learning_per_synapse * 5 < fd.learning_per_synapse);
    // The SRAM report agrees: the rewired chip needs less of every synapse structure.
    let arch = Arch::builtin("multicore").unwrap();
    let used = |c| -> u64 {
        cycle::sram(c, &arch)
            .unwrap()
            .iter()
            .map(|b| b.used_bytes)
            .sum()
    };
    assert!(
        used(&rew) * 2 < used(&dense),
        "{} vs {}",
        used(&rew),
        used(&dense)
    );
    // A layer that does not rewire stays dense.
    let half = cfg(Rewire {
        budget_in: OFF,
        budget_rec: b_rec,
        noise: 0,
    });
    assert!(footprint(&half).weights > fr.weights);
}
