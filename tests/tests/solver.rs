//! The stochastic spiking constraint solver (`neurochip_core::solver`,
//! `neurochip solve`): the committed puzzles are proper (one solution each, by
//! backtracking), the network solves 4x4 (in 5 000 steps; most runs take under 10,
//! a few hundreds: local minima) and 9x9 puzzles and planted 3-colourings
//! within stated budgets and every reported solution is valid, a fixed seed gives a
//! recorded digest (golden), and bad problem files get exit code 2 and a message
//! naming the file, line and column.

use std::fs;
use std::path::PathBuf;
use std::process::Command;

use neurochip_core::solver::Params;
use neurochip_emu::csp::{self, Csp};
use neurochip_tests::{check_golden, neurochip_bin, root};

fn sudoku(name: &str) -> Csp {
    let p = root().join("problems/sudoku").join(name);
    csp::load(&p, None).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn published_puzzles_have_exactly_one_solution() {
    for i in 1..=20 {
        let csp = sudoku(&format!("pe96_{i:02}.txt"));
        assert_eq!(csp.n(), 81);
        assert_eq!(csp::count_solutions(&csp, 2), 1, "pe96_{i:02}");
    }
    for name in ["small_4x4_a.txt", "small_4x4_b.txt"] {
        let csp = sudoku(name);
        assert_eq!(csp.n(), 16);
        assert_eq!(csp::count_solutions(&csp, 2), 1, "{name}");
    }
}

#[test]
fn backtracking_counts_known_cases() {
    // An empty 4x4 sudoku has 288 solutions.
    let empty = csp::parse("....\n....\n....\n....\n", "empty", None).unwrap();
    assert_eq!(csp::count_solutions(&empty, 1000), 288);
    // A triangle has 6 proper 3-colourings and none with 2.
    let tri = "p edge 3 3\ne 1 2\ne 2 3\ne 3 1\n";
    assert_eq!(
        csp::count_solutions(&csp::parse(tri, "t", None).unwrap(), 100),
        6
    );
    assert_eq!(
        csp::count_solutions(&csp::parse(tri, "t", Some(2)).unwrap(), 100),
        0
    );
}

#[test]
fn four_by_four_solved_within_5000_steps() {
    for name in ["small_4x4_a.txt", "small_4x4_b.txt"] {
        let csp = sudoku(name);
        for seed in 1..=10 {
            let r = csp::run(&csp, Params::DEFAULT, 5000, seed, 0, |_, _, _| {}).unwrap();
            let t = r
                .solved_at
                .unwrap_or_else(|| panic!("{name} seed {seed}: not solved"));
            assert!(t <= 5000);
            assert!(csp.check(&r.assignment));
        }
    }
}

#[test]
fn nine_by_nine_solved_and_valid() {
    // Grid 01, 02 and 05 of Project Euler 96, three seeds each, within 50 000 steps
    // (the experiment's budget is 100 000); the solution equals the unique one.
    for i in [1, 2, 5] {
        let csp = sudoku(&format!("pe96_{i:02}.txt"));
        for seed in 1..=3 {
            let r = csp::run(&csp, Params::DEFAULT, 50_000, seed, 0, |_, _, _| {}).unwrap();
            assert!(r.solved_at.is_some(), "pe96_{i:02} seed {seed}");
            assert!(csp.check(&r.assignment));
        }
    }
    let csp = sudoku("pe96_01.txt");
    let r = csp::run(&csp, Params::DEFAULT, 50_000, 1, 0, |_, _, _| {}).unwrap();
    assert_eq!(
        csp.render(&r.assignment),
        "483921657\n967345821\n251876493\n548132976\n729564138\n136798245\n372689514\n814253769\n695417382\n"
    );
}

#[test]
fn planted_graphs_are_three_colourable_and_coloured() {
    for g in 1..=3 {
        let p = root().join(format!("problems/graphs/planted50_{g}.col"));
        let csp = csp::load(&p, None).unwrap();
        assert_eq!((csp.n(), csp.edges.len(), csp.k), (50, 115, 3));
        // The saved file is the generator's output.
        let gen = csp::planted_graph(50, 115, 3, g);
        assert_eq!(csp.edges, gen.edges);
        assert!(csp::count_solutions(&csp, 1) == 1);
        let r = csp::run(&csp, Params::DEFAULT, 20_000, 1, 0, |_, _, _| {}).unwrap();
        assert!(r.solved_at.is_some(), "graph {g}");
        assert!(csp.check(&r.assignment));
    }
}

#[test]
fn random_restart_baseline_solves_a_tiny_problem() {
    // The baseline is a real search: on a 4x4 with 2 blanks it finds the solution.
    let csp = csp::parse("1234\n3412\n21..\n4321\n", "tiny", None).unwrap();
    let r = csp::random_restart(&csp, 10_000, 1);
    assert!(r.solved_at.is_some());
    assert!(csp.check(&r.assignment));
}

#[test]
fn digest_golden() {
    let mut out = String::new();
    for (name, seed) in [
        ("pe96_01.txt", 1),
        ("pe96_03.txt", 7),
        ("small_4x4_a.txt", 3),
    ] {
        let csp = sudoku(name);
        let r = csp::run(&csp, Params::DEFAULT, 100_000, seed, 0, |_, _, _| {}).unwrap();
        out.push_str(&format!(
            "{name} seed {seed}: digest {} solved_at {:?}\n",
            r.digest.unwrap(),
            r.solved_at
        ));
    }
    let g = csp::planted_graph(50, 115, 3, 1);
    let r = csp::run(&g, Params::DEFAULT, 100_000, 1, 0, |_, _, _| {}).unwrap();
    out.push_str(&format!(
        "planted50_1 seed 1: digest {} solved_at {:?}\n",
        r.digest.unwrap(),
        r.solved_at
    ));
    check_golden("solver.digests", &out);
}

fn bad(name: &str, text: &str, extra: &[&str]) -> String {
    let dir = neurochip_tests::temp_dir("solver");
    let p: PathBuf = dir.path().join(name);
    fs::write(&p, text).unwrap();
    let out = Command::new(neurochip_bin())
        .arg("solve")
        .arg(&p)
        .args(extra)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{name}: {err}");
    assert_eq!(err.lines().count(), 1, "{name}: one line: {err}");
    assert!(
        err.contains(&p.display().to_string()),
        "{name}: names the file: {err}"
    );
    err
}

#[test]
fn bad_problem_files_exit_2_with_where_and_what() {
    let cases: &[(&str, &str, &[&str], &str)] = &[
        (
            "letter.txt",
            "12x4\n....\n....\n....\n",
            &[],
            ":1:3: unexpected `x`",
        ),
        (
            "short_row.txt",
            "1234\n123\n....\n....\n",
            &[],
            ":2: 3 cells in this row",
        ),
        ("rows.txt", "1234\n....\n....\n", &[], "3 rows of 4 cells"),
        (
            "size.txt",
            "12345\n",
            &[],
            "5 cells in the first row; a sudoku has 4 or 9",
        ),
        (
            "digit.txt",
            "1..5\n....\n....\n....\n",
            &[],
            ":1:4: digit 5 in a 4x4 sudoku",
        ),
        (
            "clash.txt",
            "1..1\n....\n....\n....\n",
            &[],
            "repeats the 1 at row 1, column 1",
        ),
        ("empty.txt", "# nothing\n", &[], "no sudoku rows"),
        (
            "node.col",
            "p edge 3 1\ne 1 4\n",
            &[],
            ":2:5: node 4 out of range",
        ),
        (
            "word.col",
            "p edge 3 1\ne 1 x\n",
            &[],
            ":2:5: node `x` is not",
        ),
        (
            "loop.col",
            "p edge 3 1\ne 2 2\n",
            &[],
            "self-loop on node 2",
        ),
        (
            "count.col",
            "p edge 3 2\ne 1 2\n",
            &[],
            "announces 2 edges; the file has 1",
        ),
        (
            "noheader.col",
            "c x\ne 1 2\n",
            &[],
            ":2:1: edge before the `p edge N M` header",
        ),
        (
            "before.col",
            "p edge 3 1\ncolors 1\ne 1 2\n",
            &[],
            ":2:8: 1 colours",
        ),
        (
            "twice.col",
            "p edge 3 0\np edge 3 0\n",
            &[],
            ":2: a second `p` line",
        ),
        (
            "kind.col",
            "p edge 3 0\nx 1 2\n",
            &[],
            ":2:1: unknown line kind `x`",
        ),
        (
            "format.col",
            "p col 3 0\n",
            &[],
            ":1:3: expected `p edge N M`",
        ),
        (
            "colors.col",
            "p edge 3 0\n",
            &["--colors", "40"],
            "--colors 40",
        ),
        (
            "sudoku_colors.txt",
            "....\n....\n....\n....\n",
            &["--colors", "3"],
            "graph files only",
        ),
    ];
    for (name, text, extra, want) in cases {
        let err = bad(name, text, extra);
        assert!(err.contains(want), "{name}: expected `{want}` in: {err}");
    }
    let out = Command::new(neurochip_bin())
        .args(["solve", "/nonexistent/problem.txt"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn cli_solves_and_reports_json() {
    let p = root().join("problems/sudoku/small_4x4_a.txt");
    let out = Command::new(neurochip_bin())
        .args(["solve", "--json", "--steps", "1000", "--seed", "3"])
        .arg(&p)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["solved"], true);
    let t = v["time_to_solution"].as_u64().unwrap();
    assert!((1..=1000).contains(&t));
    // An unsatisfiable graph: exit code 1, not solved.
    let dir = neurochip_tests::temp_dir("solver-k4");
    let k4 = dir.path().join("k4.col");
    fs::write(
        &k4,
        "p edge 4 6\ne 1 2\ne 1 3\ne 1 4\ne 2 3\ne 2 4\ne 3 4\n",
    )
    .unwrap();
    let out = Command::new(neurochip_bin())
        .args(["solve", "--steps", "500"])
        .arg(&k4)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("no solution within 500 steps"));
}

#[test]
fn quick_experiments_write_their_tables_and_figures() {
    for name in ["sudoku", "coloring"] {
        let neurochip_tests::QuickRun {
            out,
            table,
            json: v,
        } = neurochip_tests::quick_experiment(
            name,
            &[
                "table.md",
                "table.csv",
                "result.json",
                "solved_vs_steps.png",
                "solved_vs_steps.svg",
                "violations.png",
            ],
        );
        assert!(table.contains("network: solved"));
        // The network solves every quick run; the baseline none.
        for s in v["summary"].as_array().unwrap() {
            let want = if s["arm"] == "random restart" {
                0
            } else {
                s["runs"].as_u64().unwrap()
            };
            assert_eq!(s["solved"].as_u64().unwrap(), want, "{name}: {s}");
        }
        drop(out);
    }
}
