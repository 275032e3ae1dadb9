//! Every bad input a new user can write gives one line naming the file, the place, the
//! field, what was wrong and what is allowed.

use super::schema::{self, Rule};
use super::*;

mod apps;
mod audio;

const OK: &str = "[network]\ninputs = 40\nneurons = 100\noutputs = 2\n[task]\nkind = \"cue\"\n";

/// A navigation file (its `kind = "cue"` replaced by the test): 5 x 5 place cells,
/// four moves and the value, reward learning.
const NAV_OK: &str = "[network]\ninputs = 50\nneurons = 100\noutputs = 5\n[task]\nkind = \"cue\"\n\
[learning]\nengine = \"exact\"\n[reward]\nenvironment = \"navigation\"\nactions = 4\n";

/// The error for `text` (a chip or an application file), checked to be one line.
fn err(text: &str) -> ConfigError {
    let e = parse_workload(text, "x.toml").expect_err("should be refused");
    let line = e.to_string();
    assert!(
        !line.contains('\n') && !line.contains('\r'),
        "one line: {line}"
    );
    assert!(line.starts_with("x.toml"), "names the file: {line}");
    e
}

/// `text` is refused with the message `want`.
fn refused_as(text: &str, want: &str) {
    assert_eq!(err(text).to_string(), want);
}

/// The error for `text` ([`err`]) says `want`.
fn err_says(text: &str, want: &str) {
    let s = err(text).to_string();
    assert!(s.contains(want), "{s}");
}

/// The error for `text` ([`err`]) names `field`; its message contains `want`.
fn refused(text: &str, field: &str, want: &str) {
    let e = err(text);
    assert_eq!(e.field(), Some(field), "{e}");
    assert!(e.message().contains(want), "`{want}` in {e}");
}

/// `OK` with `extra` added at the end of `[network]`.
fn net(extra: &str) -> String {
    OK.replace("outputs = 2\n", &format!("outputs = 2\n{extra}\n"))
}

/// `bytes` written to a file `name` in a fresh temporary folder: (the folder's guard,
/// which removes it when dropped, the file).
fn tmp(name: &str, bytes: &[u8]) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = crate::test_dir("config");
    let p = dir.path().join(name);
    std::fs::write(&p, bytes).unwrap();
    (dir, p)
}

#[test]
fn minimal_file_gets_every_default() {
    let c = parse(OK, "dir/x.toml").unwrap();
    assert_eq!(c.name, "x");
    assert_eq!(c.origin, "dir/x.toml");
    assert_eq!(c.seed, 1);
    assert_eq!(
        c.chip,
        Chip {
            max_inputs: 256,
            max_neurons: 256,
            max_outputs: 16
        }
    );
    assert_eq!(
        c.formats,
        Formats {
            membrane_bits: 16,
            membrane_frac: 10,
            weight_bits: 8,
            trace_bits: 12,
            trace_frac: 6,
            readout_bits: 16,
            readout_frac: 8,
            rounding: Rounding::Nearest,
        }
    );
    let n = &c.network;
    assert_eq!((n.inputs, n.neurons, n.outputs), (40, 100, 2));
    assert_eq!(n.model, NeuronModel::Lif);
    assert_eq!((n.alif_fraction, n.dt_ms, n.tau_m_ms), (0.5, 1.0, 20.0));
    assert_eq!((n.tau_a_ms, n.tau_out_ms, n.threshold), (2000.0, 20.0, 1.0));
    assert_eq!((n.beta, n.refractory_steps), (0.07, 2));
    assert_eq!((n.connectivity, n.input_connectivity), (1.0, 1.0));
    assert_eq!(n.excitatory_fraction, None);
    assert_eq!(
        (n.w_in_scale, n.w_rec_scale, n.w_out_scale),
        (1.0, 1.0, 1.0)
    );
    assert_eq!((n.tau_m_spread, n.threshold_spread), (0.0, 0.0));
    let t = &c.task;
    assert_eq!(t.kind, TaskKind::Cue);
    assert_eq!((t.samples, t.steps, t.rate_hz), (1, 1000, 20.0));
    assert_eq!((t.n_cues, t.cue_ms, t.gap_ms), (7, 100, 50));
    assert_eq!((t.delay_ms, t.recall_ms), (1050, 150));
    assert_eq!((t.cue_rate_hz, t.bg_rate_hz), (40.0, 10.0));
    assert_eq!((t.pattern_rate_hz, t.pattern_ms), (10.0, 1000));
    assert_eq!(c.learning.engine, Engine::Off);
    // Frac defaults follow the widths.
    let c = parse(
        &format!("{OK}[formats]\nmembrane_bits = 20\ntrace_bits = 8\nreadout_bits = 24\n"),
        "x.toml",
    )
    .unwrap();
    assert_eq!(c.formats.membrane_frac, 14);
    assert_eq!(c.formats.trace_frac, 2);
    assert_eq!(c.formats.readout_frac, 16);
}

#[test]
fn every_example_parses() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let p = entry.unwrap().path();
        if p.extension().is_some_and(|e| e == "toml") {
            let name = match load_workload(&p).unwrap_or_else(|e| panic!("{e}")) {
                Workload::Chip(c) => c.name,
                Workload::App(a) => a.name,
            };
            assert!(!name.is_empty());
            n += 1;
        }
    }
    assert!(n >= 4, "examples found: {n}");
    // So do the files the docs' results were run from (docs/results/*/*.toml).
    let results = dir.join("../docs/results");
    let mut m = 0;
    for folder in std::fs::read_dir(&results).unwrap() {
        let folder = folder.unwrap().path();
        for p in std::fs::read_dir(&folder).into_iter().flatten() {
            let p = p.unwrap().path();
            if p.extension().is_some_and(|e| e == "toml") {
                load_workload(&p).unwrap_or_else(|e| panic!("{e}"));
                m += 1;
            }
        }
    }
    assert!(m >= 10, "result configurations found: {m}");
    // The application examples are the committed firmware images' workloads.
    let Workload::App(s) = load_workload(&dir.join("solver.toml")).unwrap() else {
        panic!("solver.toml describes the solver")
    };
    let Application::Solver(s) = s.app else {
        panic!("[solver]")
    };
    assert_eq!((s.seed, s.steps, s.params()), (1, 100_000, Params::DEFAULT));
    assert!(s.problem.ends_with("pe96_01.txt"), "{}", s.problem);
    let Workload::App(a) = load_workload(&dir.join("assemblies.toml")).unwrap() else {
        panic!("assemblies.toml describes an assembly area")
    };
    let Application::Assembly(a) = a.app else {
        panic!("[assembly]")
    };
    assert_eq!(
        crate::apps::assembly_spec(&a),
        neurochip_tasks::assembly::AssemblySpec::WORKLOAD
    );
    let lsnn = load(&dir.join("alif.toml")).unwrap();
    assert_eq!(lsnn.network.model, NeuronModel::Lsnn);
    assert_eq!(
        (lsnn.network.neurons, lsnn.network.alif_fraction),
        (100, 0.5)
    );
    let ei = load(&dir.join("sparse_ei.toml")).unwrap();
    assert_eq!(ei.network.excitatory_fraction, Some(0.8));
    assert_eq!(ei.network.connectivity, 0.1);
    let b = load(&dir.join("bench256.toml")).unwrap();
    assert_eq!((b.network.neurons, b.task.steps), (256, 10_000));
}

#[test]
fn empty_file() {
    for text in ["", "  \n\t\n", "# only a comment\n\n# and another\n"] {
        let e = err(text);
        assert_eq!(
            e.to_string(),
            "x.toml: the file is empty; a chip configuration needs at least [network] \
             (inputs, neurons, outputs) and [task] (kind), see examples/lif.toml"
        );
        assert_eq!((e.line(), e.field()), (None, None));
    }
}

#[test]
fn binary_file() {
    let (_dir, p) = tmp(
        "binary.toml",
        &[0x7f, b'E', b'L', b'F', 0, 1, 2, 0xff, 0xfe],
    );
    let e = load(&p).unwrap_err().to_string();
    assert!(
        e.contains("binary.toml: not a text file (invalid UTF-8 at byte 7)"),
        "{e}"
    );
    assert!(!e.contains('\n'));
    // Valid UTF-8 with NUL bytes is not text either.
    let e = err("name = \"a\0\"\n").to_string();
    assert!(
        e.starts_with("x.toml:1:10: not a text file (it contains NUL bytes)"),
        "{e}"
    );
}

#[test]
fn unreadable_path() {
    let e = load(std::path::Path::new("/nonexistent/chip.toml")).unwrap_err();
    assert!(e
        .to_string()
        .starts_with("/nonexistent/chip.toml: cannot read the file: "));
    let e = load(&std::env::temp_dir()).unwrap_err();
    assert!(e.to_string().contains("is a directory"), "{e}");
}

#[test]
fn toml_syntax_error() {
    let e = err("[network\ninputs = 40\n");
    assert_eq!(
        (e.line(), e.column(), e.field()),
        (Some(1), Some(9), Some("network"))
    );
    assert!(
        e.to_string()
            .starts_with("x.toml:1:9: network: TOML syntax error: unclosed table, expected `]`; "),
        "{e}"
    );
    let e = err("[network]\ninputs = 40\nneurons = 5 6\n");
    assert_eq!((e.line(), e.column()), (Some(3), Some(11)));
    assert_eq!(e.field(), Some("network.neurons"));
    refused_as(
        &format!("{OK}kind = \"pattern\"\n"),
        "x.toml:7:1: task.kind: this key is set twice; allowed: each key once per section",
    );
    let e = err("[network]\nx = 1\n[task\nkind = 1\n");
    assert_eq!(
        (e.line(), e.column(), e.field()),
        (Some(3), Some(6), Some("task"))
    );
    err_says(&format!("{OK}[network]\n"), "this section is written twice");
}

#[test]
fn missing_required_field() {
    refused_as(
        &OK.replace("neurons = 100\n", ""),
        "x.toml:1:1: network.neurons: missing: [network] needs `neurons`, the number of \
         recurrent neurons; allowed 1..=256 (chip.max_neurons)",
    );
    refused_as(
        "[network]\ninputs = 40\nneurons = 100\noutputs = 2\n[task]\nsamples = 3\n",
        "x.toml:5:1: task.kind: missing: [task] needs `kind`, the input the chip runs on; \
         allowed: poisson, cue, pattern, store_recall, digits, navigation, audio, events, features",
    );
}

#[test]
fn missing_section() {
    let e = err("[task]\nkind = \"cue\"\n");
    assert_eq!((e.line(), e.field()), (None, Some("network")));
    assert!(
        e.to_string()
            .starts_with("x.toml: network: missing section [network]; "),
        "{e}"
    );
    let e = err("[network]\ninputs = 40\nneurons = 100\noutputs = 2\n");
    assert!(
        e.to_string()
            .starts_with("x.toml: task: missing section [task]; "),
        "{e}"
    );
}

#[test]
fn wrong_type() {
    refused_as(
        &OK.replace("neurons = 100", "neurons = \"many\""),
        "x.toml:3:11: network.neurons: wrong type: expected an integer, found the string \
         \"many\"; allowed 1..=chip.max_neurons (256 unless [chip] says otherwise)",
    );
    err_says(
        &OK.replace("neurons = 100", "neurons = 100.0"),
        "expected an integer, found the number 100.0",
    );
    err_says(
        &net("tau_m_ms = \"fast\""),
        "expected a number, found the string \"fast\"",
    );
    refused_as(
        &net("model = 5"),
        "x.toml:5:9: network.model: wrong type: expected a string, found the integer 5; \
         allowed: lif, alif, lsnn",
    );
    err_says(
        &format!("name = 5\n{OK}"),
        "name: wrong type: expected a string",
    );
    refused_as(
        &format!("{OK}[[chip]]\nmax_neurons = 5\n"),
        "x.toml:7:1: chip: wrong type: expected a table, found an array of tables [[chip]]; \
         allowed: a single [chip] section",
    );
    err_says(
        &format!("{OK}[learning]\nlearn_hidden = \"no\"\n"),
        "allowed: true or false",
    );
}

#[test]
fn unknown_key_with_suggestion() {
    let e = err(&OK.replace("neurons = 100", "nuerons = 100"));
    assert_eq!((e.line(), e.column()), (Some(3), Some(1)));
    assert_eq!(e.field(), Some("network.nuerons"));
    let s = e.to_string();
    assert!(
        s.starts_with("x.toml:3:1: network.nuerons: unknown key `nuerons`; allowed: inputs, "),
        "{s}"
    );
    assert!(s.ends_with(" (did you mean `neurons`?)"), "{s}");
    // A key of another section, or a top-level key written under a section.
    let s = err(&format!("{OK}max_neurons = 64\n")).to_string();
    assert!(
        s.ends_with("(did you mean `chip.max_neurons`? it belongs in [chip])"),
        "{s}"
    );
    err_says(
        &format!("{OK}seed = 5\n"),
        "(did you mean the top-level `seed`?",
    );
    // Nothing close: no suggestion, still the list of what is allowed.
    let s = err(&net("zzz = 1")).to_string();
    assert!(
        s.contains("unknown key `zzz`; allowed: inputs, neurons"),
        "{s}"
    );
    assert!(!s.contains("did you mean"), "{s}");
}

#[test]
fn unknown_section() {
    refused_as(
        &format!("{OK}[netwrk]\nx = 1\n"),
        "x.toml:7:2: netwrk: unknown section `[netwrk]`; allowed: name, seed, chip, formats, \
         network, task, learning, train, reward, solver, assembly, audio (did you mean `network`?)",
    );
}

#[test]
fn widths_out_of_range() {
    refused_as(
        &format!("{OK}[formats]\nweight_bits = 17\n"),
        "x.toml:8:1: formats.weight_bits: 17 is out of range; allowed 2..=16",
    );
    err_says(
        &format!("{OK}[formats]\nmembrane_bits = 7\n"),
        "7 is out of range; allowed 8..=24",
    );
    refused_as(
        &format!("{OK}[formats]\nmembrane_bits = 12\nmembrane_frac = 11\n"),
        "x.toml:9:1: formats.membrane_frac: 11 is out of range; allowed 0..=10 \
         (membrane_bits - 2, membrane_bits = 12)",
    );
    err_says(
        &format!("{OK}[formats]\ntrace_frac = 13\n"),
        "allowed 0..=12 (at most trace_bits = 12)",
    );
    err_says(
        &format!("{OK}[formats]\nreadout_bits = 32\n"),
        "allowed 8..=31",
    );
}

#[test]
fn bad_time_constants() {
    for (v, what) in [
        ("0.0", "0.0 is out of range"),
        ("-5.0", "-5.0 is out of range"),
        ("-20", "-20 is out of range"),
        ("nan", "nan is not a number"),
        ("inf", "inf is infinite"),
        ("-inf", "-inf is infinite"),
    ] {
        for key in ["tau_m_ms", "tau_a_ms", "tau_out_ms", "dt_ms", "threshold"] {
            let e = err(&net(&format!("{key} = {v}")));
            assert_eq!(e.field(), Some(format!("network.{key}").as_str()));
            assert_eq!((e.line(), e.column()), (Some(5), Some(1)));
            let s = e.to_string();
            assert!(
                s.contains(&format!("network.{key}: {what}; allowed: ")),
                "{s}"
            );
        }
    }
    refused_as(
        &net("tau_m_ms = 0.0"),
        "x.toml:5:1: network.tau_m_ms: 0.0 is out of range; allowed: a finite number > 0",
    );
    err_says(&net("dt_ms = 2000.0"), "allowed: a number in [0.001, 1000]");
}

#[test]
fn bad_other_floats() {
    for (kv, want) in [
        (
            "connectivity = 0",
            "0 is out of range; allowed: a number in (0, 1]",
        ),
        ("connectivity = 1.5", "allowed: a number in (0, 1]"),
        ("alif_fraction = 1.5", "allowed: a number in [0, 1]"),
        ("excitatory_fraction = -0.1", "allowed: a number in [0, 1]"),
        ("beta = -1.0", "allowed: a finite number >= 0"),
        (
            "w_rec_scale = nan",
            "nan is not a number; allowed: a finite number >= 0",
        ),
        ("tau_m_spread = inf", "inf is infinite"),
        ("refractory_steps = 256", "allowed 0..=255"),
    ] {
        let s = err(&net(kv)).to_string();
        let key = kv.split(' ').next().unwrap();
        assert!(
            s.starts_with(&format!("x.toml:5:1: network.{key}: ")),
            "{s}"
        );
        assert!(s.contains(want), "{kv}: {s}");
    }
    let poisson = OK.replace("\"cue\"", "\"poisson\"");
    let s = err(&format!("{poisson}rate_hz = -1\n")).to_string();
    assert!(s.contains("task.rate_hz: -1 is out of range; allowed: a finite number >= 0"));
}

#[test]
fn unknown_neuron_model() {
    refused_as(
        &net("model = \"izhikevich\""),
        "x.toml:5:9: network.model: `izhikevich` is not a known neuron model; allowed: lif, \
         alif, lsnn",
    );
    let s = err(&net("model = \"LIF\"")).to_string();
    assert!(s.ends_with("(did you mean `lif`?)"), "{s}");
}

#[test]
fn unknown_task_kind() {
    refused_as(
        &OK.replace("kind = \"cue\"", "kind = \"cues\""),
        "x.toml:6:8: task.kind: `cues` is not a known task kind; allowed: poisson, cue, \
         pattern, store_recall, digits, navigation, audio, events, features (did you mean `cue`?)",
    );
    let s = err(&format!("{OK}[formats]\nrounding = \"round\"\n")).to_string();
    assert!(s.contains("not a known rounding mode; allowed: truncate, nearest, stochastic"));
}

#[test]
fn network_larger_than_chip() {
    refused_as(
        &OK.replace("neurons = 100", "neurons = 300"),
        "x.toml:3:1: network.neurons: 300 does not fit the chip: chip.max_neurons = 256 (the \
         default); allowed 1..=256, or raise chip.max_neurons in [chip] (up to 4096)",
    );
    err_says(
        &format!("{OK}[chip]\nmax_neurons = 64\n"),
        "network.neurons: 100 does not fit the chip: chip.max_neurons = 64;",
    );
    err_says(
        &OK.replace("outputs = 2", "outputs = 17"),
        "17 does not fit the chip: chip.max_outputs = 16",
    );
    err_says(
        &OK.replace("inputs = 40", "inputs = 0"),
        "network.inputs: 0 is out of range; allowed 1..=256",
    );
    err_says(
        &format!("{OK}[chip]\nmax_inputs = 5000\n"),
        "chip.max_inputs: 5000 is out of range; allowed 1..=4096",
    );
}

#[test]
fn huge_numbers() {
    refused_as(
        &OK.replace("neurons = 100", "neurons = 99999999999"),
        "x.toml:3:11: network.neurons: 99999999999 does not fit a 32-bit unsigned integer; \
         allowed 1..=chip.max_neurons (256 unless [chip] says otherwise)",
    );
    // Beyond i64 too.
    err_says(
        &OK.replace("neurons = 100", "neurons = 99999999999999999999"),
        "99999999999999999999 does not fit a 32-bit",
    );
    err_says(
        &format!("seed = 99999999999999999999\n{OK}"),
        "seed: 99999999999999999999 does not fit a 64-bit",
    );
    err_says(
        &OK.replace("outputs = 2", "outputs = -2"),
        "x.toml:4:11: network.outputs: -2 is negative; allowed 1..=",
    );
    err_says(
        &format!("seed = -1\n{OK}"),
        "seed: -1 is negative; allowed 0..=18446744073709551615",
    );
}

#[test]
fn task_constraints() {
    let s = err(&format!("{OK}n_cues = 6\n")).to_string();
    assert_eq!(
        s,
        "x.toml:7:1: task.n_cues: 6 is even; allowed: an odd number in 1..=31 (no ties)"
    );
    err_says(
        &format!("{OK}n_cues = 33\n"),
        "allowed: an odd number in 1..=31",
    );
    err_says(
        &format!("{OK}samples = 0\n"),
        "task.samples: 0 is out of range; allowed 1..=",
    );
    // A rate above one spike per step, even a default one, is refused.
    let s = err(&net("dt_ms = 100")).to_string();
    assert_eq!(
        s,
        "x.toml:6:1: task.cue_rate_hz: 40 (the default) is more than one spike per step at \
         network.dt_ms = 100; allowed: 0..=10 Hz at this dt (rate * dt_ms / 1000 <= 1)"
    );
    // Rates of other task kinds are not checked.
    let poisson = OK.replace("\"cue\"", "\"poisson\"\nrate_hz = 100.0");
    assert!(parse(
        &poisson.replace("outputs = 2", "outputs = 2\ndt_ms = 5"),
        "x"
    )
    .is_ok());
}

#[test]
fn other_ways_to_write_a_table() {
    // Dotted keys and inline tables read the same and errors find their keys.
    let dotted = "network.inputs = 40\nnetwork.neurons = 100\nnetwork.outputs = 2\n\
                  task = { kind = \"cue\", samples = 2 }\n";
    let c = parse(dotted, "x.toml").unwrap();
    assert_eq!((c.network.neurons, c.task.samples), (100, 2));
    let e = err(&dotted.replace("samples = 2", "samples = 0"));
    assert_eq!((e.line(), e.column()), (Some(4), Some(24)));
    assert_eq!(e.field(), Some("task.samples"));
    let e =
        err("  [ network ]\n  inputs = 40\n  neurons = 1000\n  outputs = 2\n[task]\nkind='cue'");
    assert_eq!((e.line(), e.column()), (Some(3), Some(3)));
    let e = err(&format!("neurons = 100\n{OK}"));
    assert!(
        e.to_string()
            .ends_with("(did you mean `network.neurons`? it belongs in [network])"),
        "{e}"
    );
}

#[test]
fn accessors_and_display() {
    let e = err(&format!("{OK}[formats]\nweight_bits = 17\n"));
    assert_eq!(e.file(), "x.toml");
    assert_eq!(e.line(), Some(8));
    assert_eq!(e.column(), Some(1));
    assert_eq!(e.field(), Some("formats.weight_bits"));
    assert_eq!(e.message(), "17 is out of range; allowed 2..=16");
    // Control characters in keys cannot break the line.
    let e = err(&format!("{OK}\"a\\nb\" = 1\n"));
    assert!(!e.to_string().contains('\n'), "{e}");
}

/// `OK` with `key = value` written in `section` ("" = top level).
fn with(section: &str, kv: &str) -> String {
    match section {
        "" => format!("{kv}\n{OK}"),
        "network" => net(kv),
        // A user's data set needs its file.
        "task" if kv.starts_with("kind ") && (kv.contains("events") || kv.contains("features")) => {
            OK.replace("kind = \"cue\"", &format!("{kv}\ndata = \"d.npz\""))
        }
        "task" if kv.starts_with("kind ") => OK.replace("kind = \"cue\"", kv),
        // A key of one task kind, under a kind that reads it.
        "task" => {
            let key = kv.split(' ').next().unwrap_or("");
            let kind = schema::TASK_KEYS
                .iter()
                .find(|(k, _)| *k == key)
                .map_or("cue", |(_, kinds)| kinds[0]);
            let data = if matches!(kind, "events" | "features") && key != "data" {
                "data = \"d.npz\"\n"
            } else {
                ""
            };
            format!(
                "{}{data}{kv}\n",
                OK.replace("\"cue\"", &format!("\"{kind}\""))
            )
        }
        // A reward section needs a learning chip with a value readout.
        "reward" => format!(
            "{}[learning]\nengine = \"exact\"\n[reward]\n{kv}\n",
            OK.replace("outputs = 2", "outputs = 3")
        ),
        // An application section stands alone.
        s if schema::APPS.contains(&s) => format!("[{s}]\n{kv}\n"),
        // The front end of a keyword spotter.
        "audio" => format!("{}[audio]\n{kv}\n", OK.replace("\"cue\"", "\"audio\"")),
        s => format!("{OK}[{s}]\n{kv}\n"),
    }
}

#[test]
fn schema_matches_the_structs() {
    // The keys the structs accept are the keys the schema describes, section by section.
    for section in [
        "",
        "chip",
        "formats",
        "network",
        "task",
        "learning",
        "learning.exact",
        "learning.light",
        "train",
        "reward",
        "solver",
        "assembly",
        "audio",
    ] {
        let e = parse(&with(section, "zzz_unknown = 1"), "x.toml").unwrap_err();
        let listed = e.message().split("; allowed: ").nth(1).unwrap_or_default();
        assert_eq!(
            listed,
            schema::keys_of(section).join(", "),
            "[{section}]: {e}"
        );
    }
    // Every choice the schema lists is accepted, and so are its strings and booleans.
    for f in schema::FIELDS {
        let (section, key) = f.path.rsplit_once('.').unwrap_or(("", f.path));
        if schema::APPS.contains(&section) {
            continue; // apps.rs tests below
        }
        let values: Vec<String> = match f.rule {
            Rule::Choice(names) => names.iter().map(|n| format!("\"{n}\"")).collect(),
            Rule::Bool => vec!["true".into()],
            Rule::Text => vec!["\"a\"".into()],
            _ => continue,
        };
        for v in values {
            if v == "\"navigation\"" {
                continue; // a navigation file has its own network: the test below
            }
            let text = with(section, &format!("{key} = {v}"));
            parse(&text, "x.toml").unwrap_or_else(|e| panic!("{}: {e}", f.path));
        }
    }
}

/// `[learning.exact]` and `[learning.light]` give an engine rates of its own: read like
/// `[learning]` (its `eta` the default of the rates it does not name) over the file's
/// rates and schedule, in force when the file names the engine, and switched with it.
#[test]
fn engine_tables_give_each_engine_its_rates() {
    let text = format!(
        "{OK}[learning]\nengine = \"exact\"\neta = 1e-4\neta_out = 1e-5\neta_bias = 1e-8\n\
         [learning.light]\neta = 4e-4\neta_out = 4e-5\nhalve_rates_every = 2\n\
         [train]\nepochs = 4\n"
    );
    let rates = |c: &Config| {
        let r = c.learning.rates;
        let every = c.train.halve_rates_every;
        (r.eta_in, r.eta_rec, r.eta_out, r.eta_bias, every)
    };
    let exact = (1e-4, 1e-4, 1e-5, 1e-8, 0);
    let light = (4e-4, 4e-4, 4e-5, 4e-4, 2);
    let mut c = parse(&text, "x.toml").unwrap();
    assert_eq!(rates(&c), exact);
    c.set_engine(Engine::Light);
    assert_eq!((c.learning.engine, rates(&c)), (Engine::Light, light));
    c.set_engine(Engine::Exact);
    assert_eq!(rates(&c), exact);
    // A file that names the light engine learns at its table's rates from the start.
    let c = parse(&text.replace("\"exact\"", "\"light\""), "x.toml").unwrap();
    assert_eq!(rates(&c), light);
    // Without a table the engines share the file's rates, and switching keeps them.
    let without = text.split("[learning.light]").next().unwrap_or_default();
    let mut c = parse(without, "x.toml").unwrap();
    assert_eq!(c.learning.by_engine, None);
    c.set_engine(Engine::Light);
    assert_eq!(rates(&c), (1e-4, 1e-4, 1e-5, 1e-8, 0));
    // Their keys are checked like [learning]'s.
    refused(
        &format!("{OK}[learning.light]\neta_out = -1\n"),
        "learning.light.eta_out",
        "-1 is out of range; allowed: a number in [0, 1000000]",
    );
    refused(
        &format!("{OK}[learning.exact]\nhalve_rates_every = 100001\n"),
        "learning.exact.halve_rates_every",
        "100001 is out of range; allowed 0..=100000",
    );
    refused(
        &format!("{OK}[learning.fast]\neta = 1\n"),
        "learning.fast",
        "unknown section `[learning.fast]`",
    );
}

#[test]
fn reward_section_is_checked_against_the_network() {
    let learning = "[learning]\nengine = \"exact\"\n";
    err_says(
        &format!("{OK}{learning}[reward]\nactions = 2\n"),
        "network.outputs: 2 outputs with [reward] actions = 2: the network needs actions + 1 = 3",
    );
    let ok3 = OK.replace("outputs = 2", "outputs = 3");
    err_says(&format!("{ok3}[reward]\n"), "learning.engine");
    let c = parse(&format!("{ok3}{learning}[reward]\ngamma = 0.5\n"), "x.toml").unwrap();
    let r = c.reward.unwrap();
    assert_eq!((r.actions, r.gamma, r.value_weight), (2, 0.5, 0.5));
    err_says(
        &format!("{ok3}{learning}[reward]\nenvironment = \"maze\"\n"),
        "allowed: cue, navigation",
    );
}

#[test]
fn navigation_is_a_reward_environment() {
    let learning = "[learning]\nengine = \"exact\"\n";
    let nav = OK
        .replace("kind = \"cue\"", "kind = \"navigation\"\narena = 4")
        .replace("inputs = 40", "inputs = 32")
        .replace("outputs = 2", "outputs = 5");
    assert_ne!(nav, OK);
    // The arena and the moves from the file, the environment from the task kind.
    let c = parse(&format!("{nav}{learning}[reward]\nactions = 4\n"), "x.toml").unwrap();
    assert_eq!(
        c.reward.unwrap().environment,
        super::Environment::Navigation
    );
    assert_eq!(
        (c.task.arena, c.task.action_steps, c.task.max_moves),
        (4, 20, 30)
    );
    // Without [reward], with another number of actions, or with a cue environment.
    let e = err(&nav);
    assert_eq!(e.field(), Some("task.kind"));
    assert!(e.message().contains("needs a [reward] section"), "{e}");
    err_says(
        &format!("{nav}{learning}[reward]\nactions = 2\n"),
        "four moves",
    );
    err_says(
        &format!("{nav}{learning}[reward]\nenvironment = \"cue\"\nactions = 4\n"),
        "needs task.kind = \"cue\"",
    );
    // Navigation's keys belong to navigation.
    err_says(
        &OK.replace("kind = \"cue\"", "kind = \"cue\"\nmax_moves = 3"),
        "max_moves",
    );
}

#[test]
fn learning_needs_a_task_with_targets() {
    let poisson = OK.replace("\"cue\"", "\"poisson\"");
    let e = err(&format!("{poisson}[learning]\nengine = \"light\"\n"));
    assert_eq!(e.field(), Some("learning.engine"));
    assert_eq!((e.line(), e.column()), (Some(8), Some(1)));
    assert!(
        e.message().starts_with(
            "\"light\" learns toward targets, but task.kind = \"poisson\" has none; \
             allowed with \"poisson\": engine = \"off\""
        ),
        "{e}"
    );
    // Learning off on Poisson inputs is a plain run.
    parse(
        &format!("{poisson}[learning]\nengine = \"off\"\n"),
        "x.toml",
    )
    .unwrap();
}

#[test]
fn a_training_plan_needs_learning() {
    let plan = "[train]\nepochs = 2\n";
    for (learning, why) in [
        ("", "there is no [learning] section"),
        ("[learning]\neta = 0.01\n", "[learning] has no engine"),
        (
            "[learning]\nengine = \"off\"\n",
            "[learning] engine = \"off\"",
        ),
    ] {
        let e = err(&format!("{OK}{learning}{plan}"));
        assert_eq!(e.field(), Some("train"), "{e}");
        assert!(e.message().contains(why), "{e}");
        assert!(
            e.message().ends_with(
                "allowed: [train] with [learning] engine = \"exact\" or \"light\", or no [train]"
            ),
            "{e}"
        );
    }
    let c = parse(
        &format!("{OK}[learning]\nengine = \"exact\"\n{plan}"),
        "x.toml",
    )
    .unwrap();
    assert_eq!(c.train.epochs, 2);
}

#[test]
fn keys_of_another_task_kind_are_refused() {
    let digits = OK
        .replace("\"cue\"", "\"digits\"")
        .replace("inputs = 40", "inputs = 64");
    let e = err(&format!("{digits}n_cues = 5\n"));
    assert_eq!(e.field(), Some("task.n_cues"));
    assert_eq!((e.line(), e.column()), (Some(7), Some(1)));
    assert_eq!(
        e.message(),
        "task.kind = \"digits\" does not read this key (only kind = \"cue\" reads it); allowed \
         with \"digits\": kind, samples, steps, max_rate_hz, window, data"
    );
    // Before its own range: an even n_cues is meaningless here, not wrong.
    let e = err(&format!("{digits}n_cues = 4\n"));
    assert!(e.message().contains("does not read this key"), "{e}");
    let e = err(&format!("{OK}steps = 100\n"));
    assert!(
        e.message()
            .contains("(only kinds \"poisson\", \"digits\", \"events\" and \"features\" read it)"),
        "{e}"
    );
    let sr = OK.replace("\"cue\"", "\"store_recall\"");
    err_says(
        &format!("{sr}n_cues = 5\n"),
        "allowed with \"store_recall\": kind, samples, rate_hz, bg_rate_hz, periods, period_ms, \
         min_delay, max_delay, distractors",
    );
    // Inline tables and dotted keys are found too.
    let e = err(&format!(
        "task = {{ kind = \"pattern\", window = 3 }}\n{}",
        OK.replace("[task]\nkind = \"cue\"\n", "")
    ));
    assert_eq!(e.field(), Some("task.window"));
    // Every kind's own keys are accepted.
    for (key, kinds) in schema::TASK_KEYS {
        for kind in *kinds {
            let v = match schema::field(&format!("task.{key}")).map(|f| f.rule) {
                Some(Rule::Text) => "\"d.csv.gz\"".to_string(),
                Some(Rule::Words) => "[\"yes\"]".to_string(),
                Some(Rule::Choice(names)) => format!("\"{}\"", names[names.len() - 1]),
                // An arena is 2 cells a side at least; a fraction is below 1.
                _ if *key == "arena" => "2".to_string(),
                _ if *key == "test_fraction" => "0.5".to_string(),
                Some(Rule::Bool) => "false".to_string(),
                _ if *key == "periods" => "7".to_string(),
                _ => "1".to_string(),
            };
            let data = if matches!(*kind, "events" | "features") && *key != "data" {
                "\ndata = \"d.npz\""
            } else {
                ""
            };
            let base = if *kind == "navigation" { NAV_OK } else { OK };
            let text = base.replace("\"cue\"", &format!("\"{kind}\"{data}\n{key} = {v}"));
            parse(&text, "x.toml").unwrap_or_else(|e| panic!("{kind} {key}: {e}"));
        }
    }
}

#[test]
fn spreads_and_time_step_are_bounded() {
    // A huge log-normal spread made the factors NaN, which panicked inside `fixed`.
    for key in ["tau_m_spread", "threshold_spread"] {
        for v in ["1e308", "10.5"] {
            let e = err(&net(&format!("{key} = {v}")));
            assert_eq!(e.field(), Some(format!("network.{key}").as_str()), "{e}");
            assert!(
                e.message()
                    .ends_with("is out of range; allowed: a number in [0, 10]"),
                "{e}"
            );
        }
        parse(&net(&format!("{key} = 10.0")), "x.toml").unwrap();
    }
    // A time step that single precision (the task generators) would round to 0.
    for v in ["1e-308", "0.0009"] {
        err_says(
            &net(&format!("dt_ms = {v}")),
            "is out of range; allowed: a number in [0.001, 1000]",
        );
    }
}

/// Text parsed as a file at a path reads as that file does: its name, its messages,
/// and a relative digits data path found beside it.
#[test]
fn parse_at_reads_as_the_file_would() {
    let digits = OK
        .replace(
            "kind = \"cue\"",
            "kind = \"digits\"\ndata = \"../data/uci-digits/digits.csv.gz\"",
        )
        .replace("inputs = 40", "inputs = 64")
        .replace("outputs = 2", "outputs = 10");
    // From the tests' working directory (crates/emu) the data path finds nothing;
    // beside a file in examples/ it finds the data set.
    let at = std::path::Path::new("../../examples/d.toml");
    let c = parse_at(&digits, at).unwrap();
    assert_eq!(c.name, "d");
    assert_eq!(
        c.task.data,
        "../../examples/../data/uci-digits/digits.csv.gz"
    );
    assert_eq!(
        parse(&digits, "../../examples/d.toml").unwrap().task.data,
        "../data/uci-digits/digits.csv.gz"
    );
    let bad = "[network]\nnuerons = 1\n";
    assert_eq!(
        parse_at(bad, at).unwrap_err().to_string(),
        parse(bad, "../../examples/d.toml").unwrap_err().to_string()
    );
}
