//! Bad configurations tried as a new user would: each gives one line on stderr that
//! names the file and the field, exit code 2, and never a panic or a backtrace.

use std::path::PathBuf;

/// `bytes` written to a file `name` in a fresh temporary folder: (the folder's guard,
/// which removes it when dropped, the file).
fn tmp(name: &str, bytes: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = neurochip_tests::temp_dir("bad");
    let p = dir.path().join(name);
    std::fs::write(&p, bytes).unwrap();
    (dir, p)
}

use neurochip_tests::run_neurochip as run;

const GOOD: &str = "[network]\ninputs = 40\nneurons = 100\noutputs = 2\n[task]\nkind = \"cue\"\n";

/// `neurochip ARGS` exits with 2 and says each of `wants` on stderr.
fn refused(args: &[&str], wants: &[&str]) {
    let (code, _, stderr) = run(args);
    assert_eq!(code, 2, "{args:?}: {stderr}");
    for w in wants {
        assert!(stderr.contains(w), "{args:?}: `{w}` not in {stderr}");
    }
}

fn expect_error(name: &str, bytes: &[u8], wants: &[&str]) {
    let (_dir, p) = tmp(name, bytes);
    for cmd in ["run", "verify", "check"] {
        let (code, stdout, stderr) = run(&[cmd, p.to_str().unwrap()]);
        assert_eq!(code, 2, "{name} ({cmd}): exit code {code}, stderr {stderr}");
        assert!(stdout.is_empty(), "{name}: stdout {stdout}");
        assert_eq!(
            stderr.trim_end().lines().count(),
            1,
            "{name}: one line, got {stderr}"
        );
        assert!(
            !stderr.contains("panicked") && !stderr.contains("backtrace"),
            "{stderr}"
        );
        assert!(stderr.contains(name), "{name}: the file is named: {stderr}");
        for w in wants {
            assert!(stderr.contains(w), "{name}: expected `{w}` in {stderr}");
        }
    }
}

/// Files a new user might write, each refused in one line: (file name, its bytes,
/// what the line holds).
#[test]
fn bad_files_are_refused_in_one_line() {
    let digits = GOOD
        .replace("\"cue\"", "\"digits\"")
        .replace("inputs = 40", "inputs = 64");
    let cases: Vec<(&str, Vec<u8>, &[&str])> = vec![
        ("empty.toml", b"".into(), &["the file is empty"]),
        (
            "binary.toml",
            vec![0x7f, b'E', b'L', b'F', 0, 1, 2, 0xff, 0xfe],
            &["not a text file"],
        ),
        (
            "missing.toml",
            GOOD.replace("neurons = 100\n", "").into(),
            &["network.neurons", "missing"],
        ),
        (
            "type.toml",
            GOOD.replace("neurons = 100", "neurons = \"many\"").into(),
            &["type.toml:3:", "network.neurons", "wrong type"],
        ),
        (
            "width.toml",
            format!("{GOOD}[formats]\nweight_bits = 32\n").into(),
            &["width.toml:8:1", "formats.weight_bits", "allowed 2..=16"],
        ),
        // Zero and negative time constants.
        (
            "tau.toml",
            GOOD.replace("outputs = 2", "outputs = 2\ntau_m_ms = 0.0")
                .into(),
            &["network.tau_m_ms", "allowed: a finite number > 0"],
        ),
        (
            "tau.toml",
            GOOD.replace("outputs = 2", "outputs = 2\ntau_m_ms = -20.0")
                .into(),
            &["network.tau_m_ms", "allowed: a finite number > 0"],
        ),
        (
            "model.toml",
            GOOD.replace("outputs = 2", "outputs = 2\nmodel = \"hodgkin_huxley\"")
                .into(),
            &["network.model", "allowed: lif, alif, lsnn"],
        ),
        // A network larger than the chip.
        (
            "large.toml",
            format!("{GOOD}[chip]\nmax_neurons = 64\n").into(),
            &[
                "network.neurons",
                "100 does not fit the chip: chip.max_neurons = 64",
            ],
        ),
        // A misspelled key gets a suggestion.
        (
            "typo.toml",
            GOOD.replace("neurons", "nuerons").into(),
            &["typo.toml:3:1", "did you mean `neurons`?"],
        ),
        // Learning on a task without targets.
        (
            "poisson_learn.toml",
            format!(
                "{}[learning]\nengine = \"exact\"\n",
                GOOD.replace("\"cue\"", "\"poisson\"")
            )
            .into(),
            &[
                "poisson_learn.toml:8:1",
                "learning.engine",
                "task.kind = \"poisson\" has none",
            ],
        ),
        // A training plan without learning.
        (
            "plan.toml",
            format!("{GOOD}[train]\nepochs = 3\n").into(),
            &["plan.toml:7:1", "train:", "learning is off"],
        ),
        (
            "plan_off.toml",
            format!("{GOOD}[learning]\nengine = \"off\"\n[train]\nepochs = 3\n").into(),
            &["plan_off.toml:9:1", "train:", "[learning] engine = \"off\""],
        ),
        // A key of another task kind.
        (
            "other_kind.toml",
            format!("{digits}n_cues = 5\n").into(),
            &[
                "other_kind.toml:7:1",
                "task.n_cues",
                "task.kind = \"digits\" does not read this key (only kind = \"cue\" reads it)",
            ],
        ),
        (
            "other_kind2.toml",
            format!("{GOOD}pattern_ms = 500\n").into(),
            &["task.pattern_ms", "only kind = \"pattern\" reads it"],
        ),
    ];
    for (name, bytes, wants) in cases {
        expect_error(name, &bytes, wants);
    }
}

#[test]
fn steps_on_a_training_run() {
    let (_dir, p) = tmp(
        "train_steps.toml",
        format!(
            "{}[learning]\nengine = \"light\"\n[train]\nepochs = 1\ntrain_samples = 1\n\
             test_samples = 1\n",
            GOOD.replace(
                "kind = \"cue\"",
                "kind = \"cue\"\nn_cues = 1\ndelay_ms = 10"
            )
        )
        .as_bytes(),
    );
    let out = p.with_file_name("train_steps_out");
    for cmd in ["run", "verify"] {
        let (code, stdout, stderr) = run(&[
            cmd,
            p.to_str().unwrap(),
            "--steps",
            "5",
            "--out",
            out.to_str().unwrap(),
        ]);
        assert_eq!(code, 2, "{cmd}: {stderr}");
        assert!(stdout.is_empty(), "{cmd}: {stdout}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{cmd}: {stderr}");
        assert!(
            stderr.contains("train_steps.toml")
                && stderr.contains("--steps applies to inference runs")
                && stderr.contains("train.epochs"),
            "{cmd}: {stderr}"
        );
        assert!(!out.exists(), "{cmd}: refused before the run folder");
    }
    // On an inference run it is the step budget.
    let (_dir, p) = tmp("infer_steps.toml", GOOD.as_bytes());
    let (code, stdout, stderr) = run(&["run", p.to_str().unwrap(), "--steps", "5", "--no-out"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("steps"), "{stdout}");
}

/// Errors found while building the chip and the task name the key of the file, not
/// an internal type (`CueConfig.cue_ms`) or another key (`network.threshold` for a
/// spread).
#[test]
fn build_errors_name_the_users_key() {
    expect_error(
        "thr_spread.toml",
        GOOD.replace("outputs = 2", "outputs = 2\nthreshold_spread = 9.0")
            .as_bytes(),
        &[
            "network.threshold_spread: 9 with network.threshold = 1 gives a neuron the \
             threshold",
        ],
    );
    expect_error(
        "thr_big.toml",
        GOOD.replace("outputs = 2", "outputs = 2\nthreshold = 1e30")
            .as_bytes(),
        &["network.threshold: 1e30 does not fit the membrane format"],
    );
    let dt5 = GOOD.replace("outputs = 2", "outputs = 2\ndt_ms = 5.0");
    for (name, key, want) in [
        (
            "cue_ms.toml",
            "cue_ms = 1",
            "task.cue_ms: 1 ms is 0 steps at network.dt_ms = 5",
        ),
        (
            "recall_ms.toml",
            "recall_ms = 2",
            "task.recall_ms: 2 ms is 0 steps at network.dt_ms = 5",
        ),
    ] {
        expect_error(name, format!("{dt5}{key}\n").as_bytes(), &[want]);
    }
    expect_error(
        "trial.toml",
        GOOD.replace("outputs = 2", "outputs = 2\ndt_ms = 0.001")
            .replace(
                "kind = \"cue\"",
                "kind = \"cue\"\nn_cues = 31\ncue_ms = 100000\ngap_ms = 100000",
            )
            .as_bytes(),
        &["task: a cue trial of 6201199504 steps (task.n_cues * (cue_ms + gap_ms)"],
    );
    expect_error(
        "pattern_ms.toml",
        dt5.replace("\"cue\"", "\"pattern\"\npattern_ms = 1")
            .as_bytes(),
        &["task.pattern_ms: 1 ms is 0 steps at network.dt_ms = 5"],
    );
}

#[test]
fn missing_file() {
    refused(
        &["run", "/nonexistent/chip.toml"],
        &["/nonexistent/chip.toml", "cannot read"],
    );
}

#[test]
fn good_config_checks() {
    let (_dir, p) = tmp("good.toml", GOOD.as_bytes());
    let (code, stdout, _) = run(&["check", p.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(stdout.contains("ok"));
}

#[test]
fn huge_spread_is_refused_not_a_panic() {
    // Made the factors NaN, which panicked inside `fixed` (exit 101).
    expect_error(
        "spread.toml",
        GOOD.replace("outputs = 2", "outputs = 2\ntau_m_spread = 1e308")
            .as_bytes(),
        &[
            "spread.toml:5:1",
            "network.tau_m_spread",
            "allowed: a number in [0, 10]",
        ],
    );
}

#[test]
fn weight_scale_that_only_saturates_is_refused() {
    // Ran with every input weight saturated, and `check` said ok.
    expect_error(
        "scale.toml",
        GOOD.replace("outputs = 2", "outputs = 2\nw_in_scale = 1e308")
            .as_bytes(),
        &[
            "scale.toml",
            "network.w_in_scale: 1e308 draws weights up to",
            "they would all saturate; allowed: weights up to",
        ],
    );
}

/// Every float key of the schema, at values that break arithmetic, through `check` and
/// a short `run`: accepted, or refused with one line naming the file; never a panic.
#[test]
fn float_keys_at_extreme_values_never_panic() {
    const NETWORK: &[&str] = &[
        "alif_fraction",
        "dt_ms",
        "tau_m_ms",
        "tau_a_ms",
        "tau_out_ms",
        "threshold",
        "beta",
        "connectivity",
        "input_connectivity",
        "excitatory_fraction",
        "w_in_scale",
        "w_rec_scale",
        "w_out_scale",
        "tau_m_spread",
        "threshold_spread",
        "release_in",
        "release_rec",
    ];
    const TASK: &[(&str, &str)] = &[
        ("rate_hz", "poisson"),
        ("cue_rate_hz", "cue"),
        ("bg_rate_hz", "cue"),
        ("pattern_rate_hz", "pattern"),
    ];
    const LEARNING: &[&str] = &[
        "eta",
        "eta_in",
        "eta_rec",
        "eta_out",
        "eta_bias",
        "gamma",
        "reg_strength",
        "reg_rate_hz",
        "rewire_fraction",
        "rewire_noise",
    ];
    const VALUES: &[&str] = &["1e308", "-1e308", "1e-308", "0.0", "-0.0", "nan", "inf"];
    let small = "[network]\ninputs = 40\nneurons = 100\noutputs = 2\nmodel = \"lsnn\"\n{net}\n\
                 [task]\nkind = \"{kind}\"\n{task}\n";
    let learn = "[learning]\nengine = \"exact\"\n{learn}\n[train]\nepochs = 1\n\
                 train_samples = 1\ntest_samples = 1\n";
    let cue_short = "n_cues = 1\ndelay_ms = 10";
    let mut cases = Vec::new();
    for v in VALUES {
        for k in NETWORK {
            for dist in ["lognormal", "uniform"] {
                let net = format!("{k} = {v}\nspread_dist = \"{dist}\"");
                let text = small
                    .replace("{net}", &net)
                    .replace("{kind}", "cue")
                    .replace("{task}", cue_short);
                cases.push((format!("{k}_{dist}"), text.clone(), false));
                cases.push((format!("{k}_{dist}_learn"), text + learn, true));
            }
        }
        for (k, kind) in TASK {
            let text = small
                .replace("{net}", "")
                .replace("{kind}", kind)
                .replace("{task}", &format!("{k} = {v}"));
            cases.push((k.to_string(), text, false));
        }
        for k in LEARNING {
            let extra = if *k == "rewire_noise" {
                "\nrewire_fraction = 0.5"
            } else {
                ""
            };
            let text = small
                .replace("{net}", "")
                .replace("{kind}", "cue")
                .replace("{task}", cue_short)
                + &learn.replace("{learn}", &format!("{k} = {v}{extra}"));
            cases.push((k.to_string(), text, true));
        }
    }
    for (name, text, learns) in cases {
        let text = text.replace("{learn}", "");
        let (_dir, p) = tmp(&format!("float_{name}.toml"), text.as_bytes());
        let p = p.to_str().unwrap();
        let mut runs = vec![vec!["check", p]];
        runs.push(if learns {
            vec!["run", p, "--no-out", "-q"]
        } else {
            vec!["run", p, "--steps", "5", "--no-out", "-q"]
        });
        for args in runs {
            let (code, _, stderr) = run(&args);
            let what = format!("{args:?} on\n{text}");
            assert!(code == 0 || code == 2, "exit {code}: {stderr}\n{what}");
            assert!(!stderr.contains("panicked"), "{stderr}\n{what}");
            if code == 2 {
                assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}\n{what}");
                assert!(stderr.contains(&format!("float_{name}.toml")), "{stderr}");
            }
        }
    }
}

/// A `[solver]` file on the PE 96 Grid 01 problem, with `extra` keys.
fn solver_file(extra: &str) -> String {
    let p = neurochip_tests::root().join("problems/sudoku/pe96_01.txt");
    format!(
        "[solver]\nproblem = {:?}\n{extra}\n",
        p.display().to_string()
    )
}

#[test]
fn application_file_with_a_chip_section() {
    expect_error(
        "app_network.toml",
        format!("{}[network]\ninputs = 40\n", solver_file("")).as_bytes(),
        &[
            "app_network.toml:4:1",
            "network",
            "allowed with it: name, [solver]",
        ],
    );
    expect_error(
        "app_seed.toml",
        b"seed = 3\n[assembly]\n",
        &["app_seed.toml:1:1", "seed", "assembly.seed"],
    );
    expect_error(
        "app_both.toml",
        format!("{}[assembly]\n", solver_file("")).as_bytes(),
        &["app_both.toml:4:1", "assembly", "not both"],
    );
}

#[test]
fn application_keys_out_of_range() {
    expect_error(
        "app_floor.toml",
        solver_file("floor = 100").as_bytes(),
        &["app_floor.toml:3:1", "solver.floor", "allowed -128..=64"],
    );
    expect_error(
        "app_cap.toml",
        b"[assembly]\nneurons = 10\ncap = 11\n",
        &["app_cap.toml:3:1", "assembly.cap", "allowed 1..=10"],
    );
    expect_error(
        "app_typo.toml",
        solver_file("refractry = 2").as_bytes(),
        &["solver.refractry", "did you mean `refractory`?"],
    );
}

#[test]
fn application_problem_missing_or_unreadable() {
    expect_error(
        "app_noproblem.toml",
        b"[solver]\nseed = 2\n",
        &["solver.problem", "missing"],
    );
    // The problem file is read by the commands that take application files; the
    // others (`verify`) refuse the file at its section without reading it.
    let cases: [(&str, &[u8], &[&str]); 2] = [
        (
            "app_noproblemfile.toml",
            b"[solver]\nproblem = \"no/such/grid.txt\"\n",
            &[
                "app_noproblemfile.toml:2:1",
                "solver.problem",
                "no/such/grid.txt",
            ],
        ),
        (
            "app_colors.toml",
            solver_file("colors = 3").leak().as_bytes(),
            &["app_colors.toml:3:1", "solver.colors", "graph problem only"],
        ),
    ];
    for (name, bytes, wants) in cases {
        let (_dir, p) = tmp(name, bytes);
        let p = p.to_str().unwrap();
        for args in [
            &["run", p][..],
            &["check", p],
            &["export", p, "-o", "x.img"],
        ] {
            let (code, stdout, stderr) = run(args);
            assert_eq!(code, 2, "{args:?}: {stdout}{stderr}");
            assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
            for w in wants {
                assert!(stderr.contains(w), "{args:?}: `{w}` in {stderr}");
            }
        }
        let (code, _, stderr) = run(&["verify", p]);
        assert_eq!(code, 2);
        assert!(stderr.contains("describes an application"), "{stderr}");
    }
}

#[test]
fn application_run_refuses_chip_flags() {
    let (_dir, p) = tmp("app_flags.toml", b"[assembly]\nsteps = 5\n");
    // (`--arch` prices an application: tests/tests/cycle.rs.)
    for flag in [&["--steps", "10"][..], &["--save", "x.snap"]] {
        let mut args = vec!["run", p.to_str().unwrap(), "--no-out"];
        args.extend(flag);
        let (code, stdout, stderr) = run(&args);
        assert_eq!(code, 2, "{flag:?}: {stdout}{stderr}");
        assert!(
            stderr.contains(flag[0]) && stderr.contains("[assembly]"),
            "{stderr}"
        );
    }
}

/// `check --board` tells whether a chip fits a firmware profile, naming the arena, the
/// words needed and the limit; an unknown board is refused with the ones there are.
#[test]
fn check_board_names_the_arena_and_the_limit() {
    let cfg = neurochip_tests::root().join("examples/bench256.toml");
    let cfg = cfg.to_str().unwrap();
    let (code, _, err) = neurochip_tests::run_neurochip(&["check", cfg, "--board", "qemu"]);
    assert_eq!(code, 0, "{err}");
    refused(
        &["check", cfg, "--board", "stm32f411"],
        &["--board stm32f411", "84480 i16 words", "has 24000"],
    );
    refused(
        &["check", cfg, "--board", "pdp11"],
        &["allowed: qemu, stm32f411"],
    );
    // export refuses before writing; inspect checks an image the same way.
    let dir = neurochip_tests::temp_dir("board");
    let img = dir.path().join("b.img");
    let img_s = img.to_str().unwrap();
    let (code, _, err) =
        neurochip_tests::run_neurochip(&["export", cfg, "-o", img_s, "--board", "stm32f411"]);
    assert_eq!(code, 2, "{err}");
    assert!(!img.exists(), "nothing written");
    let (code, _, err) =
        neurochip_tests::run_neurochip(&["export", cfg, "-o", img_s, "--board", "qemu"]);
    assert_eq!(code, 0, "{err}");
    let (code, out, _) = neurochip_tests::run_neurochip(&["inspect", img_s, "--board", "qemu"]);
    assert_eq!(code, 0);
    assert!(out.contains("fits qemu"), "{out}");
    refused(
        &["inspect", img_s, "--board", "stm32f411"],
        &["b.img: --board stm32f411", "84480 i16 words"],
    );
}

/// Learning rates too small to move any weight: `check` says so on stdout and is
/// still ok; `run` says so on stderr and trains.
#[test]
fn tiny_learning_rates_are_warned_about() {
    let text = "[network]\ninputs = 40\nneurons = 8\noutputs = 2\n[task]\nkind = \"cue\"\n\
                n_cues = 3\ndelay_ms = 100\n[learning]\nengine = \"exact\"\neta = 1e-3\n\
                eta_out = 1e-20\n[train]\nepochs = 1\ntrain_samples = 1\ntest_samples = 1\n";
    let (_dir, p) = tmp("tiny_eta.toml", text.as_bytes());
    let want = "learning.eta_out = 1e-20 (effective ";
    let (code, stdout, stderr) = run(&["check", p.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "one warning and ok: {stdout}");
    assert!(
        lines[0].starts_with("warning: ") && lines[0].contains(want),
        "{stdout}"
    );
    assert!(
        lines[0].contains("the smallest rate that can is "),
        "{stdout}"
    );
    assert!(lines[1].ends_with(": ok"), "{stdout}");
    let (code, stdout, stderr) = run(&["run", p.to_str().unwrap(), "--no-out", "-q"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains(want), "{stderr}");
    assert!(!stdout.contains("warning"), "{stdout}");
}
