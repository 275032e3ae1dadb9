//! STDP assemblies (issue 8, part 3): a golden digest of the assembly area for a
//! fixed seed, and the quick run of `neurochip experiment assemblies` checked for its
//! three figures (projection ratio, recall from a 50% cue, association overlap).

use neurochip::experiment::assemblies::{self, Params};
use neurochip::experiment::{self, Ctx};
use neurochip_core::assembly::{lengths, Area, AreaConfig, AreaMemory};
use neurochip_core::Prng;
use neurochip_tests::check_golden;

/// A small area driven by random input, plastic, straight through the core (no
/// host wrapper): every step's spikes and membranes and the final weights are in
/// the digest.
fn core_digest() -> String {
    let cfg: AreaConfig = Params::new(true, 7).area;
    let l = lengths(&cfg);
    let mut w_in = vec![0i16; l[0].1];
    let mut w_rec = vec![0i16; l[1].1];
    let mut v = vec![0i32; l[2].1];
    let mut z = vec![false; l[3].1];
    let (mut a, mut b, mut c) = (vec![0u16; l[4].1], vec![0u16; l[5].1], vec![0u16; l[6].1]);
    let mut mem = AreaMemory {
        w_in: &mut w_in,
        w_rec: &mut w_rec,
        v: &mut v,
        z: &mut z,
        tr_in: &mut a,
        tr_pre: &mut b,
        tr_post: &mut c,
    };
    let mut area = Area::new(cfg, 7, &mem).expect("valid area");
    area.wire(&mut mem, 6554, 16384, 8, 24);
    let mut rng = Prng::new(99);
    let mut x = vec![false; cfg.n_in];
    let mut spikes = 0usize;
    for t in 0..200 {
        for (i, xi) in x.iter_mut().enumerate() {
            // Stimulus (t / 20) % 3 on, 90% firing, plus 2% background.
            let on = i / 40 == (t / 20) % 3;
            *xi = rng.chance_q16(if on { 58_982 } else { 1_311 });
        }
        spikes += area.step(&mut mem, &x, true).expect("sized input");
    }
    area.fold_weights(&mem);
    format!("core {:016x} steps=200 spikes={spikes}\n", area.digest())
}

#[test]
fn assembly_digest_golden() {
    let m = assemblies::measure(&Params::new(true, 1)).expect("quick run");
    let text = format!(
        "{}experiment-quick seed=1 {:016x}\n",
        core_digest(),
        m.digest
    );
    check_golden("assembly.digest", &text);
}

#[test]
fn quick_experiment_three_figures() {
    let out = std::env::temp_dir().join(format!("neurochip-assemblies-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let exp = experiment::find("assemblies").expect("registered");
    let ctx = Ctx {
        out: out.clone(),
        quick: true,
        quiet: true,
    };
    experiment::run(exp, &ctx).expect("quick run");
    for f in [
        "table.md",
        "table.csv",
        "result.json",
        "projection.png",
        "projection.svg",
        "weights.png",
        "overlap.png",
        "recall.png",
        "recall.svg",
    ] {
        assert!(out.join(f).is_file(), "{f} missing from the run folder");
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("result.json")).expect("json"))
            .expect("valid json");
    let run = &json["runs"][0];
    // Projection: within-assembly mean weight at least 3x the between mean.
    let ratio = run["ratio"].as_f64().expect("ratio");
    assert!(ratio >= 3.0, "within/between ratio {ratio}");
    // Recall from a 50% cue reaches at least 80% of the assembly.
    let r50 = run["recall"]
        .as_array()
        .expect("recall")
        .iter()
        .find(|r| r["cue"].as_f64() == Some(0.5))
        .and_then(|r| r["recall"].as_f64())
        .expect("50% cue");
    assert!(r50 >= 0.8, "recall from a 50% cue: {r50}");
    // Association: the overlap of A and B rises from near chance.
    let ov: Vec<f64> = run["overlap"]
        .as_array()
        .expect("overlap")
        .iter()
        .filter_map(|v| v.as_f64())
        .collect();
    let (first, last) = (ov[0], ov[ov.len() - 1]);
    assert!(first <= 0.15, "overlap before association {first}");
    assert!(last >= first + 0.1, "overlap {first} -> {last}");
    // Every stimulus evokes an assembly of about k neurons.
    let k = run["k"].as_u64().expect("k");
    for s in run["assembly_sizes"].as_array().expect("sizes") {
        let s = s.as_u64().expect("size");
        assert!(s >= k / 2 && s <= 2 * k, "assembly of {s} neurons, k = {k}");
    }
    let _ = std::fs::remove_dir_all(&out);
}
