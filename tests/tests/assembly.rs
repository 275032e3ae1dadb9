//! STDP assemblies (issue 8, part 3): a golden digest of the assembly area for a
//! fixed seed, and the quick run of `neurochip experiment assemblies` checked for its
//! three figures (projection ratio, recall from a 50% cue, association overlap), and
//! the same workload from an application image (issue 14: `neurochip assembly
//! --export`, application kind 5) on the host (`run-image`) and on the firmware under
//! QEMU, bit for bit; bad images are refused with the field's name.

use neurochip_lab::experiment::assemblies::{self, HostArea, Params};
use neurochip_tasks::assembly::{
    area_config, workload, STIMULI, STIM_SIZE, WORKLOAD_K, WORKLOAD_N,
};

use neurochip_tests::{
    assert_firmware_refuses, assert_host_refuses, check_golden, patched_app_image,
    quick_experiment, root, run_neurochip, temp_dir, QuickRun,
};

/// The digest workload ([`neurochip_tasks::assembly::workload`]) on the host: the
/// line the firmware prints with `--features assembly`. It runs in the zeroed buffers
/// of a [`HostArea`] of the workload's size.
fn core_digest() -> String {
    let mut host = HostArea::new(area_config(WORKLOAD_N, WORKLOAD_K), 7).expect("valid area");
    let (_, mut mem) = host.parts();
    let mut x = vec![false; STIMULI * STIM_SIZE];
    let (d, spikes) = workload(&mut mem, &mut x, 200).expect("sized workload");
    format!("assembly {d:016x} steps=200 spikes={spikes}")
}

#[test]
fn assembly_digest_golden() {
    let m = assemblies::measure(&Params::new(true, 1)).expect("quick run");
    let text = format!(
        "{}\nexperiment-quick seed=1 {:016x}\n",
        core_digest(),
        m.digest
    );
    check_golden("assembly.digest", &text);
}

#[test]
fn quick_experiment_three_figures() {
    let QuickRun { out, json, .. } = quick_experiment(
        "assemblies",
        &[
            "table.md",
            "table.csv",
            "result.json",
            "projection.png",
            "projection.svg",
            "weights.png",
            "overlap.png",
            "recall.png",
            "recall.svg",
        ],
    );
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
    drop(out);
}

fn neurochip(args: &[&std::ffi::OsStr]) -> String {
    let (code, stdout, stderr) = run_neurochip(args);
    assert_eq!(code, 0, "neurochip {args:?}: {stdout}{stderr}");
    stdout
}

/// `neurochip assembly --export` writes the committed image; `run-image` and
/// `neurochip assembly` print the workload's line; `inspect` describes it; another
/// size runs the same on both roads.
#[test]
fn assembly_image_runs_the_workload() {
    let committed = root().join("firmware/images/assembly.img");
    let tmp = temp_dir("assembly-img");
    let fresh = tmp.path().join("workload.img");
    neurochip(&["assembly".as_ref(), "--export".as_ref(), fresh.as_os_str()]);
    assert_eq!(
        std::fs::read(&fresh).unwrap(),
        std::fs::read(&committed).unwrap(),
        "firmware/images/assembly.img is stale: rewrite it with `neurochip assembly \
         --export firmware/images/assembly.img`"
    );
    let line = core_digest() + "\n";
    assert_eq!(
        neurochip(&["run-image".as_ref(), committed.as_os_str()]),
        line
    );
    assert_eq!(neurochip(&["assembly".as_ref()]), line);
    let text = neurochip(&["inspect".as_ref(), committed.as_os_str()]);
    for want in [
        "STDP assembly area (application kind 5)",
        "200 neurons, cap 20, 120 inputs (3 stimuli of 40)",
        "initial weights 8..=24",
        "stimulus seed 99",
        "steps      200",
    ] {
        assert!(text.contains(want), "`{want}` missing:\n{text}");
    }
    let small = tmp.path().join("small.img");
    let args = [
        "--neurons",
        "60",
        "--cap",
        "6",
        "--steps",
        "50",
        "--seed",
        "3",
    ];
    let mut export: Vec<&std::ffi::OsStr> = vec!["assembly".as_ref()];
    export.extend(args.iter().map(std::ffi::OsStr::new));
    let direct = neurochip(&export);
    export.extend(["--export".as_ref(), small.as_os_str()]);
    neurochip(&export);
    assert_eq!(
        neurochip(&["run-image".as_ref(), small.as_os_str()]),
        direct
    );
    assert!(
        direct.starts_with("assembly ") && direct.contains(" steps=50 "),
        "{direct}"
    );
}

/// Bad assembly images: (name, image bytes, the field refused). Block offsets: kind
/// 0, n 1, k 5, stimuli 9, stim_size 13, leak 17, v_th 19, rec_shift 23, rounding 24,
/// STDP a_pre 25, a_post 27, inc 29, a_plus 31, a_minus 33, shift 35, w_max 36,
/// rounding 38, seed 39, p_in 47, p_rec 49, w0_lo 51, w0_hi 53, period 55, p_fire 59,
/// p_bg 61, stim_seed 63, steps 71..75.
fn bad_images() -> Vec<(&'static str, Vec<u8>, &'static str)> {
    let p = |edit: fn(&mut Vec<u8>)| patched_app_image("assembly.img", edit);
    // The little-endian `bytes` written at `at`.
    let put = |at: usize, bytes: &[u8]| {
        patched_app_image("assembly.img", |b| {
            b[at..at + bytes.len()].copy_from_slice(bytes)
        })
    };
    vec![
        ("kind", p(|b| b[0] = 9), "app.kind"),
        ("n", p(|b| b[1..5].fill(0)), "app.assembly.n"),
        ("n large", put(1, &4097u32.to_le_bytes()), "app.assembly.n"),
        ("k", put(5, &201u32.to_le_bytes()), "app.assembly.k"),
        ("stimuli", p(|b| b[9..13].fill(0)), "app.assembly.stimuli"),
        (
            "inputs",
            put(13, &2000u32.to_le_bytes()),
            "app.assembly.stim_size",
        ),
        (
            "leak",
            put(17, &40000u16.to_le_bytes()),
            "app.assembly.leak",
        ),
        ("rec_shift", p(|b| b[23] = 16), "app.assembly.rec_shift"),
        ("rounding", p(|b| b[24] = 3), "app.assembly.rounding"),
        (
            "a_pre",
            put(25, &40000u16.to_le_bytes()),
            "app.assembly.stdp.a_pre",
        ),
        ("shift", p(|b| b[35] = 32), "app.assembly.stdp.shift"),
        (
            "w_max",
            put(36, &(-1i16).to_le_bytes()),
            "app.assembly.stdp.w_max",
        ),
        ("w0", put(51, &30u16.to_le_bytes()), "app.assembly.w0"),
        ("period", p(|b| b[55..59].fill(0)), "app.assembly.period"),
        ("steps", p(|b| b[71..75].fill(0)), "app.assembly.steps"),
        ("trailing", p(|b| b.push(0)), "app trailing bytes"),
        ("truncated", p(|b| b.truncate(73)), "app.assembly.steps"),
    ]
}

#[test]
fn bad_assembly_images_are_refused_with_the_field() {
    let tmp = temp_dir("assembly-bad");
    assert_host_refuses(tmp.path(), &bad_images());
}

/// Host against firmware: the `assembly` firmware application runs the committed
/// image on the Cortex-M4 under QEMU and must print the host's line bit for bit; an
/// image with a bad field is refused there as on the host. One test, so that the two
/// builds do not race for the ELF.
#[test]
fn firmware_assembly_digest_matches_host() {
    let tmp = temp_dir("assembly-fw");
    let bad = tmp.path().join("bad_k.img");
    std::fs::write(&bad, patched_app_image("assembly.img", |b| b[5..9].fill(0))).unwrap();
    assert_firmware_refuses("assembly", &bad, "app.assembly.k");
    let line = neurochip_tests::firmware_app_line("assembly", "assembly ");
    assert_eq!(line, core_digest());
}

/// `examples/assemblies.toml` describes the committed image's workload: `neurochip
/// export` writes its bytes, and `neurochip run` prints the line `run-image` prints
/// for the image (and the same digest in `--json`).
#[test]
fn the_assembly_config_is_the_committed_image() {
    let config = root().join("examples/assemblies.toml");
    let committed = root().join("firmware/images/assembly.img");
    let tmp = temp_dir("assembly-img");
    let out = tmp.path().join("from-config.img");
    neurochip(&[
        "export".as_ref(),
        config.as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
    ]);
    assert_eq!(
        std::fs::read(&out).unwrap(),
        std::fs::read(&committed).unwrap(),
        "`neurochip export examples/assemblies.toml` differs from firmware/images/assembly.img"
    );
    let image_line = neurochip(&["run-image".as_ref(), committed.as_os_str()]);
    assert_eq!(image_line, core_digest() + "\n");
    let run_line = neurochip(&["run".as_ref(), config.as_os_str(), "--no-out".as_ref()]);
    assert_eq!(run_line, image_line);
    let json = neurochip(&[
        "run".as_ref(),
        config.as_os_str(),
        "--no-out".as_ref(),
        "--json".as_ref(),
    ]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["app"], "assembly");
    assert_eq!(v["line"].as_str().unwrap(), image_line.trim_end());
    assert_eq!(
        (v["steps"].as_u64(), v["neurons"].as_u64()),
        (Some(200), Some(200))
    );
}
