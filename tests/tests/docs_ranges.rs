//! `docs/fixed-point.md` states each format's default width and range, the refractory
//! range and the learning-rate spread; they must be the core's own
//! (`neurochip_core::ranges`, `Formats::DEFAULT`, `Learning::DEFAULT`), which the
//! builder and the TOML schema also read.

use neurochip_core::ranges::{self, Range};
use neurochip_core::{Formats, Learning};
use neurochip_tests::root;

/// The table row of `docs/fixed-point.md` that names `key` in backticks.
fn row<'a>(doc: &'a str, key: &str) -> &'a str {
    let needle = format!("`{key}`");
    doc.lines()
        .find(|l| l.starts_with('|') && l.contains(&needle))
        .unwrap_or_else(|| panic!("docs/fixed-point.md has no row naming {needle}"))
}

#[test]
fn fixed_point_doc_states_the_cores_ranges() {
    let doc = std::fs::read_to_string(root().join("docs/fixed-point.md")).unwrap();
    let f = Formats::DEFAULT;
    let widths: [(Range, u32); 5] = [
        (ranges::MEMBRANE_BITS, f.membrane.bits()),
        (ranges::WEIGHT_BITS, f.weight.bits()),
        (ranges::TRACE_BITS, f.trace.bits()),
        (ranges::READOUT_BITS, f.readout.bits()),
        (ranges::ELIG_BITS, Learning::DEFAULT.elig.bits()),
    ];
    for (r, default) in widths {
        let short = r.key.rsplit('.').next().unwrap();
        let want = format!("{default}, {}–{}", r.lo, r.hi);
        assert!(
            row(&doc, short).contains(&want),
            "docs/fixed-point.md: the row of `{short}` should say `{want}`"
        );
    }
    let refr = ranges::REFRACTORY;
    assert!(doc.contains(&format!("| {}..={} |", refr.lo, refr.hi)));
    let lr = ranges::LR_SPREAD;
    assert!(doc.contains(&format!("`learning.lr_spread = k`, {}..={}", lr.lo, lr.hi)));
}
