//! The constraint solver from a file and an image (issue 14): `neurochip solve FILE
//! --seed N --export OUT.img` writes an application image (kind 3, application kind
//! 4); `neurochip run-image OUT.img` runs it through the no_std
//! `neurochip_tasks::solver::SolverSpec::run` and prints the digest and time to
//! solution `neurochip solve` computes; the firmware's `solver` binary, built around
//! the committed image (`firmware/images/solver.img`: PE 96 Grid 01, seed 1), prints
//! the same line under QEMU mps2-an386, and refuses a bad image as the host does.

use std::path::{Path, PathBuf};

use neurochip_core::solver::Params;
use neurochip_emu::csp;
use neurochip_tests::{
    assert_firmware_refuses, assert_host_refuses, export_image, patched_app_image, root,
    run_neurochip, temp_dir,
};
use tempfile::TempDir;

/// The line `neurochip solve FILE --seed SEED` computes, through the host's solver
/// loop and its independent checker (`neurochip_emu::csp::run`).
fn solve_line(file: &Path, seed: u64) -> String {
    let csp = csp::load(file, None).unwrap();
    let r = csp::run(&csp, Params::DEFAULT, 100_000, seed, 0, |_, _, _| {}).unwrap();
    let at = r.solved_at.map_or("none".into(), |t| t.to_string());
    format!("solver {} solved_at={at}", r.digest.unwrap())
}

/// A path `name` in a fresh temporary folder: (the folder's guard, which removes it
/// when dropped, the path).
fn tmp(name: &str) -> (TempDir, PathBuf) {
    let dir = temp_dir("solver-img");
    let p = dir.path().join(name);
    (dir, p)
}

/// `neurochip solve FILE --seed SEED --steps 100000 --export OUT`: the image bytes.
fn export(file: &Path, seed: u64, out: &Path) -> Vec<u8> {
    let (code, stdout, stderr) = run_neurochip(&[
        "solve".as_ref(),
        file.as_os_str(),
        "--seed".as_ref(),
        seed.to_string().as_ref(),
        "--steps".as_ref(),
        "100000".as_ref(),
        "--export".as_ref(),
        out.as_os_str(),
    ]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("bytes (solver image"), "{stdout}");
    std::fs::read(out).unwrap()
}

fn run_image(path: &Path) -> (i32, String, String) {
    run_neurochip(&["run-image".as_ref(), path.as_os_str()])
}

#[test]
fn run_image_prints_what_solve_computes() {
    let problems = [
        ("problems/sudoku/pe96_01.txt", 1),
        ("problems/sudoku/pe96_02.txt", 3),
        ("problems/sudoku/small_4x4_a.txt", 2),
        ("problems/graphs/planted50_1.col", 1),
    ];
    for (i, (file, seed)) in problems.into_iter().enumerate() {
        let file = root().join(file);
        let (_dir, img) = tmp(&format!("p{i}.img"));
        export(&file, seed, &img);
        let (code, stdout, stderr) = run_image(&img);
        assert_eq!(code, 0, "{}: {stderr}", file.display());
        assert_eq!(stdout, solve_line(&file, seed) + "\n", "{}", file.display());
    }
}

#[test]
fn the_committed_image_is_pe96_grid01_seed_1_and_inspect_describes_it() {
    let committed = root().join("firmware/images/solver.img");
    let (_dir, grid01) = tmp("grid01.img");
    let fresh = export(&root().join("problems/sudoku/pe96_01.txt"), 1, &grid01);
    assert_eq!(
        std::fs::read(&committed).unwrap(),
        fresh,
        "firmware/images/solver.img is stale: rewrite it with `neurochip solve \
         problems/sudoku/pe96_01.txt --seed 1 --steps 100000 --export firmware/images/solver.img`"
    );
    let (code, stdout, _) = run_image(&committed);
    assert_eq!(code, 0);
    assert_eq!(stdout, "solver abeb7994566abda5 solved_at=130\n");
    let (code, text, _) = run_neurochip(&["inspect".as_ref(), committed.as_os_str()]);
    assert_eq!(code, 0);
    for want in [
        "application image (kind 3)",
        "constraint solver (application kind 4)",
        "9x9 sudoku, 32 givens",
        "81 variables x 9 values = 729 neurons, 1620 neighbour entries",
        "inhibition 20, clue bias 64, refractory 1, quiet -32, floor -64",
        "seed       1",
        "budget     100000 steps",
    ] {
        assert!(text.contains(want), "`{want}` missing:\n{text}");
    }
}

fn patched(edit: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    patched_app_image("solver.img", edit)
}

/// Bad images: (name, image bytes, the field refused).
fn bad_images() -> Vec<(&'static str, Vec<u8>, &'static str)> {
    // Block: kind (0), problem (1), box (2), 81 cells (3..84), inhibition (84),
    // clue bias (85), refractory (86), quiet (87), floor (88), seed (89..97),
    // budget (97..105).
    let set = |at: usize, v: u8| patched(move |b| b[at] = v);
    vec![
        ("kind", set(0, 9), "app.kind"),
        ("chip kind", set(0, 1), "app.kind"),
        ("problem", set(1, 2), "app.solver.problem"),
        ("box", set(2, 4), "app.solver.box"),
        ("cell", set(3, 10), "app.solver.cells"),
        ("refractory", set(86, 0), "app.solver.refractory"),
        ("quiet", set(87, 65), "app.solver.quiet"),
        ("floor", set(88, 127), "app.solver.floor"),
        (
            "budget",
            patched(|b| b[97..105].fill(0)),
            "app.solver.budget",
        ),
        ("trailing", patched(|b| b.push(0)), "app trailing bytes"),
        (
            "truncated",
            patched(|b| b.truncate(100)),
            "app.solver.budget",
        ),
    ]
}

#[test]
fn bad_solver_images_are_refused_with_the_field() {
    let dir = temp_dir("solver-img");
    assert_host_refuses(dir.path(), &bad_images());
    // A corrupt image: the CRC, as for chip images.
    let mut flipped = std::fs::read(root().join("firmware/images/solver.img")).unwrap();
    flipped[20] ^= 4;
    let path = dir.path().join("flipped.img");
    std::fs::write(&path, &flipped).unwrap();
    let (code, _, stderr) = run_image(&path);
    assert_eq!(code, 2);
    assert!(stderr.contains("CRC mismatch"), "{stderr}");
}

/// One test, so that the builds around different images do not race for the ELF.
#[test]
fn firmware_prints_the_host_line_and_refuses_a_bad_image() {
    let (_dir, bad) = tmp("fw_bad_box.img");
    std::fs::write(&bad, patched(|b| b[2] = 4)).unwrap();
    assert_firmware_refuses("solver", &bad, "app.solver.box");
    // The committed image: the golden output and size, and the host's line.
    let line = neurochip_tests::firmware_app_line("solver", "solver ");
    let committed = root().join("firmware/images/solver.img");
    let (_, host, _) = run_image(&committed);
    assert_eq!(line + "\n", host);
    assert_eq!(
        host,
        solve_line(&root().join("problems/sudoku/pe96_01.txt"), 1) + "\n"
    );
}

/// `examples/solver.toml` describes the committed image's workload: `neurochip export`
/// writes its bytes, `neurochip check` accepts it, and `neurochip run` prints the
/// line `run-image` prints for the image (and the same digest in `--json`).
#[test]
fn the_solver_config_is_the_committed_image() {
    let config = root().join("examples/solver.toml");
    let committed = root().join("firmware/images/solver.img");
    let (_dir, out) = tmp("from-config.img");
    let (code, stdout, stderr) = export_image(&config, &out);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert_eq!(
        std::fs::read(&out).unwrap(),
        std::fs::read(&committed).unwrap(),
        "`neurochip export examples/solver.toml` differs from firmware/images/solver.img"
    );
    let (code, stdout, _) = run_neurochip(&["check".as_ref(), config.as_os_str()]);
    assert_eq!((code, stdout.ends_with(": ok\n")), (0, true), "{stdout}");
    let (_, image_line, _) = run_image(&committed);
    let (code, run_line, stderr) =
        run_neurochip(&["run".as_ref(), config.as_os_str(), "--no-out".as_ref()]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(run_line, image_line);
    let (code, json, _) = run_neurochip(&[
        "run".as_ref(),
        config.as_os_str(),
        "--no-out".as_ref(),
        "--json".as_ref(),
    ]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["app"], "solver");
    assert_eq!(v["line"].as_str().unwrap(), image_line.trim_end());
    assert_eq!(v["digest"], "abeb7994566abda5");
    assert_eq!(
        (v["solved"].as_bool(), v["solved_at"].as_u64()),
        (Some(true), Some(130))
    );
    // A chip command refuses it at its section.
    let (code, _, stderr) = run_neurochip(&["verify".as_ref(), config.as_os_str()]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("solver: [solver] describes an application"),
        "{stderr}"
    );
}
