//! The host and the image run one plan (issue 15): random configurations, drawn from a
//! seeded generator over every feature (task kinds, engines, apply modes, neuron
//! models, format widths, rounding, release probabilities, rewiring, learning-rate
//! spread, reward learning), and edge plans (zero epochs, zero test samples, learning
//! off, a rate of one spike per step, huge sample counts). For each one, through the
//! real binary:
//!
//! - `neurochip check` refuses it (exit 2, one line naming the field), or
//! - `neurochip export CFG -o IMG` refuses it (exit 2, one line naming `task.kind`,
//!   and `run --export` refuses it the same way before any training), or
//! - the digest of `neurochip run CFG --json` equals the digest `neurochip run-image
//!   IMG` prints, and for a sample of diverse ones, the firmware's under QEMU (whose
//!   whole output equals `run-image`'s).
//!
//! A configuration that does not learn also exports through `run --export`: the same
//! bytes as `export`. Re-run with another seed: `NEUROCHIP_RANDOM_SEED=N`.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use neurochip_tests::{neurochip_bin, root, run_neurochip, run_qemu, temp_dir};

/// SplitMix64: a small seeded generator, so a failing configuration can be rebuilt.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `lo..=hi`.
    fn int(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
    /// Uniform in `[lo, hi)`, rounded to 4 significant digits (readable TOML).
    fn float(&mut self, lo: f64, hi: f64) -> f64 {
        let u = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        let v = lo + u * (hi - lo);
        format!("{v:.4e}").parse().unwrap()
    }
    fn chance(&mut self, p: f64) -> bool {
        self.float(0.0, 1.0) < p
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.next() as usize % items.len()]
    }
}

/// A configuration under test: its name (the feature mix) and its TOML.
struct Case {
    name: String,
    toml: String,
}

fn digits_data() -> String {
    root()
        .join("data/uci-digits/digits.csv.gz")
        .display()
        .to_string()
}

/// One random configuration, small enough to run in milliseconds.
fn random_case(rng: &mut Rng, i: usize) -> Case {
    let kind = *rng.pick(&[
        "cue",
        "cue",
        "cue",
        "cue",
        "poisson",
        "poisson",
        "digits",
        "digits",
        "pattern",
        "store_recall",
    ]);
    let reward = kind == "cue" && rng.chance(0.15);
    let engine = if reward {
        *rng.pick(&["exact", "light"])
    } else if kind == "poisson" {
        // Poisson has no target: learning on it is refused by check (a few, to see it).
        if rng.chance(0.1) {
            "light"
        } else {
            "off"
        }
    } else {
        *rng.pick(&["off", "exact", "light", "light"])
    };
    // Reward learning keeps its filtered updates per synapse: per-sample only.
    let apply = if reward {
        "sample"
    } else {
        *rng.pick(&["online", "sample", "readout"])
    };
    let model = *rng.pick(&["lif", "alif", "lsnn"]);
    let mut t = String::new();
    // Lines of the configuration's TOML.
    macro_rules! put {
        ($($line:tt)*) => {
            writeln!(t, $($line)*).unwrap()
        };
    }
    put!("name = \"rand{i}\"\nseed = {}", rng.int(0, 1 << 40));
    // Formats.
    put!("[formats]");
    let mb = rng.int(12, 20);
    put!("membrane_bits = {mb}");
    if rng.chance(0.3) {
        put!("membrane_frac = {}", rng.int(4, mb - 4));
    }
    put!("weight_bits = {}", rng.int(4, 12));
    let tb = rng.int(8, 16);
    put!("trace_bits = {tb}\ntrace_frac = {}", rng.int(4, 8.min(tb)));
    if rng.chance(0.3) {
        put!("readout_bits = {}", rng.int(16, 31));
    }
    let rounding = *rng.pick(&["truncate", "nearest", "stochastic", "stochastic"]);
    put!("rounding = \"{rounding}\"");
    // Network.
    let (inputs, outputs) = match kind {
        "cue" => (40, 2),
        "digits" => (64, 10),
        "store_recall" => (50, 2),
        "pattern" => (rng.int(3, 12), rng.int(1, 3)),
        _ => (rng.int(2, 30), rng.int(1, 4)),
    };
    let actions = rng.int(2, 3);
    let outputs = if reward { actions + 1 } else { outputs };
    let dt = *rng.pick(&[1.0, 1.0, 1.0, 0.5, 2.0]);
    put!(
        "[network]\ninputs = {inputs}\nneurons = {}\noutputs = {outputs}\nmodel = \"{model}\"\ndt_ms = {dt:?}",
        rng.int(3, 24)
    );
    if model != "lif" {
        put!(
            "tau_a_ms = {:?}\nbeta = {:?}",
            rng.float(50.0, 2000.0),
            rng.float(0.0, 0.2)
        );
    }
    if model == "lsnn" {
        put!("alif_fraction = {:?}", rng.float(0.0, 1.0));
    }
    put!(
        "tau_m_ms = {:?}\nrefractory_steps = {}\nw_in_scale = {:?}\nw_rec_scale = {:?}",
        rng.float(10.0, 2000.0),
        rng.int(0, 5),
        rng.float(0.5, 3.0),
        rng.float(0.0, 0.6)
    );
    // Keys present by chance: (chance, key, range of its value).
    for (p, key, lo, hi) in [
        (0.3, "release_in", 0.2, 1.0),
        (0.3, "release_rec", 0.2, 1.0),
        (0.2, "connectivity", 0.2, 1.0),
        (0.2, "tau_m_spread", 0.0, 0.5),
    ] {
        if rng.chance(p) {
            put!("{key} = {:?}", rng.float(lo, hi));
        }
    }
    // Task.
    put!("[task]\nkind = \"{kind}\"");
    match kind {
        "cue" => put!(
            "n_cues = {}\ncue_ms = {}\ngap_ms = {}\ndelay_ms = {}\nrecall_ms = {}",
            rng.pick(&[1, 3, 5]),
            rng.int(4, 20),
            rng.int(0, 10),
            rng.int(0, 40),
            rng.int(4, 20)
        ),
        "poisson" => put!(
            "samples = {}\nsteps = {}\nrate_hz = {:?}",
            rng.int(1, 3),
            rng.int(5, 60),
            rng.float(1.0, 300.0)
        ),
        "digits" => {
            let steps = rng.int(5, 25);
            put!(
                "samples = {}\nsteps = {steps}\nwindow = {}\nmax_rate_hz = {:?}\ndata = {:?}",
                rng.int(1, 3),
                rng.int(1, steps),
                rng.float(50.0, 400.0),
                digits_data()
            )
        }
        "pattern" => put!("pattern_ms = {}", rng.int(10, 40)),
        _ => {}
    }
    // Learning.
    put!("[learning]\nengine = \"{engine}\"");
    if engine != "off" {
        put!(
            "apply = \"{apply}\"\nbatch = {}\neta = {:?}\neta_out = {:?}\neta_bias = {:?}",
            rng.int(1, 3),
            rng.float(1e-5, 1e-2),
            rng.float(1e-4, 1e-2),
            rng.float(1e-6, 1e-4)
        );
        if engine == "light" && rng.chance(0.4) {
            put!("psi_levels = {}", rng.int(2, 16));
        }
        if rng.chance(0.25) {
            put!(
                "rewire_fraction = {:?}\nrewire_noise = {:?}",
                rng.float(0.1, 0.9),
                rng.float(0.0, 0.1)
            );
        }
        if rng.chance(0.2) {
            put!("lr_spread = {}", rng.int(1, 4));
        }
        if rng.chance(0.2) {
            put!("feedback = \"random\"");
        }
        if rng.chance(0.2) {
            put!("reg_strength = {:?}", rng.float(0.0, 1.0));
        }
        if !reward && rng.chance(0.15) {
            put!("learn_hidden = false");
        }
    }
    if reward {
        put!(
            "[reward]\nenvironment = \"cue\"\nactions = {actions}\ngamma = {:?}\nvalue_weight = {:?}",
            rng.float(0.5, 1.0),
            rng.float(0.1, 1.0)
        );
    }
    if engine != "off" {
        // Edge plans come often: zero epochs, zero test samples.
        put!(
            "[train]\nepochs = {}\ntrain_samples = {}\ntest_samples = {}",
            rng.int(0, 2),
            rng.int(1, 4),
            rng.int(0, 3)
        );
    }
    let name = format!(
        "rand{i}-{kind}{}-{engine}-{}{model}",
        if reward { "-reward" } else { "" },
        if engine == "off" {
            String::new()
        } else {
            format!("{apply}-")
        }
    );
    Case { name, toml: t }
}

/// A small cue configuration with these `[learning]` lines and `[train]` lines (none:
/// no `[train]` section).
fn cue(name: &str, learning: &str, train: &str) -> Case {
    Case {
        name: name.into(),
        toml: format!(
            "name = \"{name}\"\nseed = 7\n[formats]\ntrace_frac = 6\nrounding = \"stochastic\"\n\
             [network]\ninputs = 40\nneurons = 12\noutputs = 2\ntau_m_ms = 200.0\n\
             refractory_steps = 2\nw_in_scale = 2.0\nw_rec_scale = 0.3\n\
             [task]\nkind = \"cue\"\nn_cues = 3\ncue_ms = 10\ngap_ms = 5\ndelay_ms = 20\nrecall_ms = 10\n\
             [learning]\n{learning}\n{}",
            if train.is_empty() {
                String::new()
            } else {
                format!("[train]\n{train}\n")
            }
        ),
    }
}

/// The edge plans the issue names, and the refusals an image must give.
fn edge_cases() -> Vec<Case> {
    let light = "engine = \"light\"\napply = \"online\"\neta = 1e-3\neta_out = 1e-3";
    let exact = "engine = \"exact\"\napply = \"sample\"\nbatch = 2\neta = 1e-3\neta_out = 1e-3";
    let reward = "\n[reward]\nenvironment = \"cue\"\nactions = 2\ngamma = 0.9\nvalue_weight = 0.5";
    let mut v = vec![
        cue(
            "edge-zero-epochs-light",
            light,
            "epochs = 0\ntrain_samples = 3\ntest_samples = 3",
        ),
        cue(
            "edge-zero-epochs-exact",
            exact,
            "epochs = 0\ntrain_samples = 3\ntest_samples = 2",
        ),
        cue(
            "edge-zero-tests",
            exact,
            "epochs = 2\ntrain_samples = 3\ntest_samples = 0",
        ),
        cue(
            "edge-zero-epochs-zero-tests",
            light,
            "epochs = 0\ntrain_samples = 3\ntest_samples = 0",
        ),
        cue("edge-learning-off", "engine = \"off\"", ""),
    ];
    let mut r = cue(
        "edge-reward-zero-epochs",
        exact,
        "epochs = 0\ntrain_samples = 2\ntest_samples = 2",
    );
    r.toml = r.toml.replace("outputs = 2", "outputs = 3") + reward + "\n";
    v.push(r);
    // Digits with learning off: `run` and the image run the same training digits.
    let digits = |name: &str, samples: u64, learning: &str| Case {
        name: name.into(),
        toml: format!(
            "name = \"{name}\"\nseed = 4\n[network]\ninputs = 64\nneurons = 16\noutputs = 10\n\
             tau_m_ms = 20.0\nw_in_scale = 2.0\n[task]\nkind = \"digits\"\nsamples = {samples}\n\
             steps = 20\nwindow = 10\ndata = {:?}\n[learning]\n{learning}\n",
            digits_data()
        ),
    };
    v.push(digits("edge-digits-off", 4, "engine = \"off\""));
    // More samples than training digits: both run the training set once.
    v.push(digits("edge-digits-off-all", 1_000_000, "engine = \"off\""));
    // Learning on digits: export refuses (the image has no training set).
    v.push(digits(
        "edge-digits-learn",
        1,
        &format!("{light}\n[train]\nepochs = 1\ntrain_samples = 2\ntest_samples = 2"),
    ));
    // Pattern and store-recall have no image form.
    v.push(Case {
        name: "edge-pattern".into(),
        toml: "name = \"p\"\n[network]\ninputs = 8\nneurons = 8\noutputs = 1\n[task]\n\
               kind = \"pattern\"\npattern_ms = 20\n[learning]\nengine = \"light\"\n\
               [train]\nepochs = 1\ntrain_samples = 1\ntest_samples = 1\n"
            .into(),
    });
    v.push(Case {
        name: "edge-store-recall".into(),
        toml: "name = \"s\"\n[network]\ninputs = 50\nneurons = 8\noutputs = 2\n[task]\n\
               kind = \"store_recall\"\n[learning]\nengine = \"exact\"\n\
               [train]\nepochs = 1\ntrain_samples = 1\ntest_samples = 1\n"
            .into(),
    });
    // A rate of one spike per step, at time steps where f64 and f32 disagree on the
    // bound or agree on it: refused by check, or the same bits everywhere.
    for dt in ["0.001", "0.016", "0.017", "0.3", "0.7", "1.0"] {
        let rate = 1000.0 / dt.parse::<f64>().unwrap();
        v.push(Case {
            name: format!("edge-rate-one-per-step-dt{dt}"),
            toml: format!(
                "name = \"r\"\n[network]\ninputs = 6\nneurons = 5\noutputs = 1\ndt_ms = {dt}\n\
                 [task]\nkind = \"poisson\"\nsteps = 20\nrate_hz = {rate:?}\n"
            ),
        });
    }
    v
}

/// `check`/`export` refused the configuration: exit 2 and one line naming a field.
fn assert_refusal(what: &str, name: &str, code: i32, stderr: &str) {
    assert_eq!(code, 2, "{name}: {what} exit code {code}: {stderr}");
    assert_eq!(
        stderr.trim_end().lines().count(),
        1,
        "{name}: {what} must refuse in one line:\n{stderr}"
    );
    assert!(
        stderr.starts_with("error: ") && !stderr.contains("panicked"),
        "{name}: {stderr}"
    );
}

/// The `digest` line of `run-image` (or the firmware).
fn image_digest(out: &str) -> Option<String> {
    out.lines()
        .find_map(|l| l.strip_prefix("digest "))
        .map(str::to_string)
}

/// Run the binary with `args`, killing it after `limit`: (exit code, stderr, elapsed);
/// `None` when it ran past the limit.
fn run_bounded(args: &[&std::ffi::OsStr], limit: Duration) -> Option<(i32, String, Duration)> {
    let t0 = Instant::now();
    let mut child = Command::new(neurochip_bin())
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the binary runs");
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            let mut err = String::new();
            use std::io::Read;
            child.stderr.take().unwrap().read_to_string(&mut err).ok();
            return Some((status.code().unwrap_or(-1), err, t0.elapsed()));
        }
        if t0.elapsed() > limit {
            child.kill().ok();
            child.wait().ok();
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// What happened to one configuration.
enum Outcome {
    RefusedByCheck,
    RefusedByExport,
    /// Host `run` and `run-image` agree on this digest; the image file and its
    /// `run-image` output.
    Agreed {
        digest: String,
        image: PathBuf,
        lines: String,
        reward: bool,
    },
}

/// The arguments of `neurochip run CFG --no-out -q --export OUT`.
fn run_export<'a>(cfg: &'a Path, out: &'a Path) -> [&'a std::ffi::OsStr; 6] {
    [
        "run".as_ref(),
        cfg.as_os_str(),
        "--no-out".as_ref(),
        "-q".as_ref(),
        "--export".as_ref(),
        out.as_os_str(),
    ]
}

fn one(case: &Case, dir: &Path) -> Outcome {
    let cfg = dir.join(format!("{}.toml", case.name));
    std::fs::write(&cfg, &case.toml).unwrap();
    let name = &case.name;
    let ctx = || format!("{name}:\n{}", case.toml);
    let (code, _, err) = run_neurochip(&[Path::new("check"), &cfg]);
    if code != 0 {
        assert_refusal("check", &ctx(), code, &err);
        eprintln!("{name}: check refused: {}", err.trim_end());
        return Outcome::RefusedByCheck;
    }
    let img = dir.join(format!("{name}.img"));
    let (code, _, err) = neurochip_tests::export_image(&cfg, &img);
    let learns =
        case.toml.contains("engine = \"exact\"") || case.toml.contains("engine = \"light\"");
    if code != 0 {
        assert_refusal("export", &ctx(), code, &err);
        assert!(err.contains("task.kind"), "{}: {err}", ctx());
        assert!(!img.exists(), "{}: a refused export left a file", ctx());
        eprintln!("{name}: export refused: {}", err.trim_end());
        let out = dir.join(format!("{name}-run.img"));
        if learns && case.toml.contains("kind = \"digits\"") {
            // The trained chip exports, its test digits compiled in, and runs.
            let (code, _, err) = run_neurochip(&run_export(&cfg, &out));
            assert_eq!(code, 0, "{}: run --export: {err}", ctx());
            let (code, lines, err) = run_neurochip(&[Path::new("run-image"), &out]);
            assert_eq!(code, 0, "{}: run-image of the trained chip: {err}", ctx());
            assert!(image_digest(&lines).is_some(), "{}: {lines}", ctx());
        } else if learns {
            // `run --export` refuses it the same way, before any training, and
            // recommends no command that cannot work.
            let (code, err, took) = run_bounded(&run_export(&cfg, &out), Duration::from_secs(60))
                .unwrap_or_else(|| panic!("{}: run --export trained instead of refusing", ctx()));
            assert_refusal("run --export", &ctx(), code, &err);
            assert!(!err.contains("--export FILE"), "{}: {err}", ctx());
            assert!(!out.exists(), "{}", ctx());
            eprintln!("{name}: run --export refused in {took:?}");
        }
        return Outcome::RefusedByExport;
    }
    let (code, out, err) = run_neurochip(&[
        "run".as_ref(),
        cfg.as_os_str(),
        "--json".as_ref(),
        "--no-out".as_ref(),
        "-q".as_ref(),
    ]);
    assert_eq!(code, 0, "{}: run failed: {err}", ctx());
    let json: serde_json::Value = serde_json::from_str(&out).expect("run --json");
    let digest = json["digest"].as_str().expect("a digest").to_string();
    let (code, lines, err) = run_neurochip(&[Path::new("run-image"), &img]);
    assert_eq!(code, 0, "{}: run-image failed: {err}", ctx());
    assert_eq!(
        image_digest(&lines).as_deref(),
        Some(digest.as_str()),
        "{}: host run digest {digest}, run-image said:\n{lines}",
        ctx()
    );
    if !learns {
        // `run --export` of a run that does not learn: the image of its own start, the
        // bytes `export` writes.
        let again = dir.join(format!("{name}-run.img"));
        let (code, _, err) = run_neurochip(&run_export(&cfg, &again));
        assert_eq!(code, 0, "{}: run --export: {err}", ctx());
        assert_eq!(
            std::fs::read(&again).ok(),
            std::fs::read(&img).ok(),
            "{}: run --export and export wrote different images",
            ctx()
        );
    }
    Outcome::Agreed {
        digest,
        image: img,
        lines,
        reward: case.toml.contains("[reward]"),
    }
}

/// The firmware, built around `image` (with `features`), run under QEMU: its output.
fn firmware_output(image: &Path, features: &[&str]) -> String {
    let fw = root().join("firmware");
    let status = Command::new("cargo")
        .args(["build", "--release", "--quiet"])
        .args(features)
        .current_dir(&fw)
        .env("NEUROCHIP_IMAGE", image)
        .env_remove("CARGO_TARGET_DIR")
        .status()
        .expect("cargo runs");
    assert!(status.success(), "firmware build for {}", image.display());
    let elf = fw.join("target/thumbv7em-none-eabihf/release/neurochip-firmware");
    let out = run_qemu(&elf);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}: firmware failed:\n{stdout}",
        image.display()
    );
    stdout
}

#[test]
fn host_run_image_and_firmware_follow_one_plan() {
    let t0 = Instant::now();
    let seed = std::env::var("NEUROCHIP_RANDOM_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(15u64);
    let tmp = temp_dir("random-configs");
    let dir = tmp.path();
    let mut rng = Rng(seed);
    let mut cases: Vec<Case> = (0..64).map(|i| random_case(&mut rng, i)).collect();
    cases.extend(edge_cases());
    let (mut by_check, mut by_export) = (0, 0);
    let mut agreed = Vec::new();
    for case in &cases {
        match one(case, dir) {
            Outcome::RefusedByCheck => by_check += 1,
            Outcome::RefusedByExport => by_export += 1,
            Outcome::Agreed {
                digest,
                image,
                lines,
                reward,
            } => agreed.push((case.name.clone(), digest, image, lines, reward)),
        }
    }
    eprintln!(
        "seed {seed}: {} configurations: {} agree (run = run-image), {by_check} refused by \
         check, {by_export} refused by export ({:.1} s)",
        cases.len(),
        agreed.len(),
        t0.elapsed().as_secs_f64()
    );
    assert!(
        agreed.len() >= 50,
        "at least 50 configurations must run through both: {}",
        agreed.len()
    );
    // Every edge plan that an image carries ran through both.
    for edge in [
        "edge-zero-epochs-light",
        "edge-zero-epochs-exact",
        "edge-zero-tests",
        "edge-zero-epochs-zero-tests",
        "edge-learning-off",
        "edge-reward-zero-epochs",
        "edge-digits-off",
        "edge-digits-off-all",
    ] {
        assert!(
            agreed.iter().any(|a| a.0 == edge),
            "{edge}: must run through run and run-image"
        );
    }
    // QEMU on a sample: the first configuration of each feature mix not seen yet (task
    // kind, engine, apply, model), up to 14 with the edge plans, and one reward image (built with `reward`).
    let mut seen = BTreeSet::new();
    let mut sample: Vec<&(String, String, PathBuf, String, bool)> = Vec::new();
    for edge in [
        "edge-zero-epochs-light",
        "edge-digits-off",
        "edge-learning-off",
    ] {
        sample.extend(agreed.iter().filter(|a| a.0 == edge));
    }
    for a in agreed.iter().filter(|a| a.0.starts_with("rand") && !a.4) {
        let mix: String = a.0.split_once('-').map_or("", |(_, m)| m).into();
        if sample.len() < 14 && seen.insert(mix) {
            sample.push(a);
        }
    }
    let reward = agreed
        .iter()
        .find(|a| a.4 && a.0.starts_with("rand"))
        .or_else(|| agreed.iter().find(|a| a.4));
    let mut qemu = Vec::new();
    for (name, digest, image, lines, is_reward) in sample.into_iter().chain(reward) {
        let features: &[&str] = if *is_reward {
            &["--features", "reward"]
        } else {
            &[]
        };
        let fw = firmware_output(image, features);
        assert_eq!(
            &fw, lines,
            "{name}: the firmware and run-image differ (host digest {digest})"
        );
        eprintln!("{name}: firmware digest {digest} = run-image = run");
        qemu.push(name.clone());
    }
    // A plan of 10^8 test samples exports in bounded memory (1 GB of address space).
    let (code, _, err) = {
        let big = cue(
            "edge-huge-tests",
            "engine = \"light\"",
            "epochs = 1\ntrain_samples = 1\ntest_samples = 100000000",
        );
        let cfg = dir.join("huge.toml");
        std::fs::write(&cfg, &big.toml).unwrap();
        let img = dir.join("huge.img");
        let out = Command::new("sh")
            .arg("-c")
            .arg("ulimit -v 1000000 && exec \"$0\" export \"$1\" -o \"$2\"")
            .arg(neurochip_bin())
            .arg(&cfg)
            .arg(&img)
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::new(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    assert_eq!(code, 0, "export of 10^8 test samples: {err}");
    eprintln!(
        "QEMU: {} images ({}); whole test {:.1} s",
        qemu.len(),
        qemu.join(", "),
        t0.elapsed().as_secs_f64()
    );
}
