//! Application files (`[solver]`, `[assembly]`): the command line's defaults, every
//! key's range, the problem file, and a chip's keys refused, each error naming its key.

use std::path::{Path, PathBuf};

use super::super::schema;
use super::super::*;
use super::refused;

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(rel)
}

/// A `[solver]` file on PE 96 Grid 01 with `extra` keys.
fn solver_file(extra: &str) -> String {
    let p = repo("problems/sudoku/pe96_01.txt");
    format!(
        "[solver]\nproblem = {:?}\n{extra}\n",
        p.display().to_string()
    )
}

fn app(text: &str) -> AppConfig {
    match parse_workload(text, "x.toml").unwrap_or_else(|e| panic!("{e}")) {
        Workload::App(a) => *a,
        Workload::Chip(_) => panic!("an application file"),
    }
}

fn solver(text: &str) -> Solver {
    match app(text).app {
        Application::Solver(s) => s,
        Application::Assembly(_) => panic!("[solver]"),
    }
}

#[test]
fn defaults_are_the_command_lines() {
    let a = app(&solver_file(""));
    assert_eq!(a.name, "x");
    let Application::Solver(s) = a.app else {
        panic!("[solver]")
    };
    assert_eq!((s.seed, s.steps, s.colors), (1, 1_000_000, None));
    assert_eq!(s.params(), neurochip_core::solver::Params::DEFAULT);
    assert_eq!((s.csp.n(), s.csp.k), (81, 9));
    let a = app("name = \"area\"\n[assembly]\n");
    assert_eq!(a.name, "area");
    let Application::Assembly(a) = a.app else {
        panic!("[assembly]")
    };
    assert_eq!(
        crate::apps::assembly_spec(&a),
        neurochip_tasks::assembly::AssemblySpec::WORKLOAD
    );
    let s = solver(&solver_file(
        "quiet_potential = -128\nfloor = 64\nrefractory = 255",
    ));
    assert_eq!((s.quiet_potential, s.floor, s.refractory), (-128, 64, 255));
}

#[test]
fn every_key_is_range_checked() {
    for (kv, field, want) in [
        ("refractory = 0", "solver.refractory", "allowed 1..=255"),
        ("inhibition = 256", "solver.inhibition", "allowed 0..=255"),
        ("clue_bias = 300", "solver.clue_bias", "allowed 0..=255"),
        (
            "quiet_potential = 65",
            "solver.quiet_potential",
            "allowed -128..=64",
        ),
        ("floor = -129", "solver.floor", "allowed -128..=64"),
        ("steps = 0", "solver.steps", "out of range"),
        ("seed = -1", "solver.seed", "is negative"),
        ("colors = 17", "solver.colors", "allowed 2..=16"),
        ("floor = 1.5", "solver.floor", "wrong type"),
    ] {
        refused(&solver_file(kv), field, want);
    }
    for (kv, field, want) in [
        ("neurons = 0", "assembly.neurons", "allowed 1..=4096"),
        ("neurons = 4097", "assembly.neurons", "allowed 1..=4096"),
        (
            "neurons = 10",
            "assembly.cap",
            "20 (the default) is more than",
        ),
        ("cap = 0", "assembly.cap", "allowed 1..=neurons"),
        ("steps = 0", "assembly.steps", "allowed 1..=4294967295"),
        ("steps = 4294967296", "assembly.steps", "is out of range"),
        (
            "stimulus_seed = \"x\"",
            "assembly.stimulus_seed",
            "wrong type",
        ),
        ("neurnos = 3", "assembly.neurnos", "did you mean `neurons`?"),
    ] {
        refused(&format!("[assembly]\n{kv}\n"), field, want);
    }
}

#[test]
fn only_a_name_may_stand_beside_an_application() {
    for key in schema::keys_of("") {
        if schema::APP_KEYS.contains(&key) || schema::APPS.contains(&key) {
            continue;
        }
        let kv = if key == "seed" {
            "seed = 2\n".to_string()
        } else {
            format!("[{key}]\n")
        };
        refused(
            &format!("{kv}{}", solver_file("")),
            key,
            "allowed with it: name, [solver]",
        );
        refused(
            &format!("{kv}[assembly]\n"),
            key,
            "allowed with it: name, [assembly]",
        );
    }
    refused(
        &format!("{}[assembly]\n", solver_file("")),
        "assembly",
        "not both",
    );
    // The chip loader refuses an application file: at its mistake, else at its section.
    let e = parse(&solver_file(""), "x.toml").unwrap_err();
    assert_eq!(e.field(), Some("solver"), "{e}");
    assert!(e.message().contains("not an e-prop chip"), "{e}");
    let e = parse(&solver_file("floor = 100"), "x.toml").unwrap_err();
    assert_eq!(e.field(), Some("solver.floor"), "{e}");
}

#[test]
fn the_problem_file_is_read_and_checked() {
    refused("[solver]\nseed = 2\n", "solver.problem", "missing");
    refused(
        "[solver]\nproblem = \"no/such/problem.txt\"\n",
        "solver.problem",
        "looked up in the working directory, then in the folder of x.toml",
    );
    refused(&solver_file("colors = 3"), "solver.colors", "9x9 Sudoku");
    // Two givens that leave a cell without a value.
    let tmp = crate::test_dir("appcfg");
    let dir = tmp.path();
    let bad = dir.join("bad.txt");
    std::fs::write(&bad, "12..\n..34\n....\n....\n").unwrap();
    refused(
        &format!("[solver]\nproblem = {:?}\n", bad.display().to_string()),
        "solver.problem",
        "unsolvable",
    );
    // A relative path: the working directory first, else the file's folder.
    std::fs::copy(repo("problems/graphs/planted50_1.col"), dir.join("g.col")).unwrap();
    let origin = dir.join("app.toml").display().to_string();
    let text = "[solver]\nproblem = \"g.col\"\ncolors = 4\n";
    let Workload::App(a) = parse_workload(text, &origin).unwrap() else {
        panic!("an application file")
    };
    let Application::Solver(s) = a.app else {
        panic!("[solver]")
    };
    assert_eq!(Path::new(&s.problem), dir.join("g.col"));
    assert_eq!((s.colors, s.csp.k, s.csp.n()), (Some(4), 4, 50));
}
