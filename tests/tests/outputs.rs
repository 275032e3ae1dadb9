//! Nothing lost, and no input without a bound (issue 15), tried through the built
//! binary: a catalogue of commands that must be refused before any work. Every case
//! expects exit code 2, one `error:` line on stderr naming the file and the flag or
//! field, no panic, bounded memory (the command runs under `ulimit -v`, and its peak
//! RSS is read from `/usr/bin/time` when there is one) and every file that was there
//! before byte-identical afterwards.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use neurochip_tests::{neurochip_bin, root, sparse_file, temp_dir};
use tempfile::TempDir;

/// Peak resident memory a refused command may use.
const MAX_RSS_KB: u64 = 200 * 1024;

/// A fresh folder `case` for one case, in a temporary folder of its own (which also
/// holds [`run_in`]'s RSS files): (the temporary folder's guard, which removes both
/// when dropped, the case's folder).
fn dir(case: &str) -> (TempDir, PathBuf) {
    let tmp = temp_dir("outputs");
    let d = tmp.path().join(case);
    fs::create_dir(&d).unwrap();
    (tmp, d)
}

/// A training run of a few milliseconds (light engine, one short cue sample).
const TRAIN: &str = "name = \"tiny\"\nseed = 1\n[network]\ninputs = 40\nneurons = 8\noutputs = 2\n\
[task]\nkind = \"cue\"\nn_cues = 1\ncue_ms = 10\ngap_ms = 5\ndelay_ms = 10\nrecall_ms = 10\n\
[learning]\nengine = \"light\"\n[train]\nepochs = 1\ntrain_samples = 1\ntest_samples = 1\n";

/// A fresh folder with `tiny.toml` in it: (the guard of [`dir`], folder,
/// configuration).
fn tiny(case: &str) -> (TempDir, PathBuf, PathBuf) {
    let (tmp, d) = dir(case);
    let cfg = d.join("tiny.toml");
    fs::write(&cfg, TRAIN).unwrap();
    (tmp, d, cfg)
}

/// Every regular file under `d` (recursively) with its bytes, and every folder.
fn snapshot_tree(d: &Path) -> Vec<(PathBuf, Option<Vec<u8>>)> {
    let mut all = Vec::new();
    let mut todo = vec![d.to_path_buf()];
    while let Some(p) = todo.pop() {
        let m = fs::symlink_metadata(&p).unwrap();
        if m.is_dir() {
            all.push((p.clone(), None));
            for e in fs::read_dir(&p).unwrap() {
                todo.push(e.unwrap().path());
            }
        } else if m.is_file() && m.len() > 1 << 20 {
            // A huge sparse input: its size and first bytes.
            let mut head = m.len().to_le_bytes().to_vec();
            let f = fs::File::open(&p).unwrap();
            std::io::Read::read_to_end(&mut std::io::Read::take(f, 4096), &mut head).unwrap();
            all.push((p.clone(), Some(head)));
        } else if m.is_file() {
            all.push((p.clone(), Some(fs::read(&p).unwrap())));
        } else {
            all.push((p.clone(), None));
        }
    }
    all.sort();
    all
}

/// What a command did: exit code, stdout, stderr, peak RSS in KB (when measured).
struct Ran {
    code: i32,
    stdout: String,
    stderr: String,
    max_rss_kb: Option<u64>,
}

/// Run the binary with the command line `line` (words split at spaces) in `cwd`, under
/// a 2 GB address-space limit, through `/usr/bin/time` when it is there.
fn run_in(cwd: &Path, line: &str) -> Ran {
    let time = Path::new("/usr/bin/time");
    let rss_file = cwd.join("..").join(format!(
        "rss-{}-{}",
        std::process::id(),
        cwd.file_name().unwrap().to_string_lossy()
    ));
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg("ulimit -v 2000000 2>/dev/null; exec \"$@\"")
        .arg("sh");
    let timed = time.exists();
    if timed {
        cmd.arg(time)
            .arg("-f")
            .arg("MAXRSS %M")
            .arg("-o")
            .arg(&rss_file);
    }
    let out = cmd
        .arg(neurochip_bin())
        .args(line.split(' '))
        .current_dir(cwd)
        .env("RUST_BACKTRACE", "1")
        .output()
        .unwrap();
    let max_rss_kb = timed
        .then(|| fs::read_to_string(&rss_file).ok())
        .flatten()
        .and_then(|t| {
            t.lines().find_map(|l| {
                l.strip_prefix("MAXRSS ")
                    .and_then(|n| n.trim().parse().ok())
            })
        });
    let _ = fs::remove_file(&rss_file);
    Ran {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        max_rss_kb,
    }
}

/// `examples/digits.toml` reading its data from `data`.
fn digits_toml(data: &str) -> String {
    fs::read_to_string(root().join("examples/digits.toml"))
        .unwrap()
        .lines()
        .map(|l| {
            if l.starts_with("data =") {
                format!("data = \"{data}\"")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Each command line of `cases` is [`refused`] with its wanted parts, run in `dir`.
fn refuse_each(dir: &Path, cases: &[(&str, &[&str])]) {
    for (line, wants) in cases {
        refused(dir, line, wants);
    }
}

/// The command line `what` (run in `cwd`) must be refused: exit code 2, one `error:`
/// line holding every fragment of `wants`, no panic, bounded memory, nothing under
/// `cwd` changed, no work done (no epoch printed). Returns the line.
fn refused(cwd: &Path, what: &str, wants: &[&str]) -> String {
    let before = snapshot_tree(cwd);
    let r = run_in(cwd, what);
    assert_eq!(
        r.code, 2,
        "`{what}`: exit code {}, stderr: {}",
        r.code, r.stderr
    );
    assert!(
        !r.stderr.contains("panicked") && !r.stderr.contains("backtrace"),
        "`{what}` panicked: {}",
        r.stderr
    );
    assert_eq!(
        r.stderr.trim_end().lines().count(),
        1,
        "`{what}`: {}",
        r.stderr
    );
    assert!(r.stderr.starts_with("error: "), "`{what}`: {}", r.stderr);
    for w in wants {
        assert!(
            r.stderr.contains(w),
            "`{what}`: expected `{w}` in: {}",
            r.stderr
        );
    }
    assert!(
        !r.stdout.contains("epoch"),
        "`{what}`: trained before refusing: {}",
        r.stdout
    );
    if let Some(kb) = r.max_rss_kb {
        assert!(kb < MAX_RSS_KB, "`{what}`: peak RSS {kb} KB");
    }
    assert!(
        snapshot_tree(cwd) == before,
        "`{what}`: the files under {} changed",
        cwd.display()
    );
    eprintln!(
        "{what}\n    {}    (peak RSS {} KB)",
        r.stderr.trim_end(),
        r.max_rss_kb.map_or("?".into(), |k| k.to_string())
    );
    r.stderr
}

#[test]
fn an_output_that_cannot_be_written_is_refused_before_training() {
    let (_tmp, d, _) = tiny("unwritable");
    fs::write(d.join("a_file"), "not a folder").unwrap();
    let cases: &[(&str, &[&str])] = &[
        (
            "run tiny.toml -q --no-out --export nodir/x.img",
            &[
                "nodir/x.img",
                "--export",
                "cannot write the image",
                "nodir does not exist",
            ],
        ),
        (
            "run tiny.toml -q --no-out --save a_file/x.snap",
            &["a_file/x.snap", "--save", "a_file is not a folder"],
        ),
        (
            "run tiny.toml -q --no-out --save .",
            &[".: --save", "is a directory"],
        ),
        (
            "sweep tiny.toml --weight-bits 4 --csv nodir/a.csv",
            &[
                "nodir/a.csv",
                "--csv",
                "cannot write the CSV",
                "does not exist",
            ],
        ),
        (
            "sweep tiny.toml --weight-bits 4 --plot nodir/p",
            &["nodir/p.png", "--plot", "cannot write the plot"],
        ),
        (
            "export tiny.toml -o nodir/x.img",
            &["nodir/x.img", "-o", "cannot write the image"],
        ),
        (
            "network tiny.toml -o nodir/n.json",
            &["nodir/n.json", "-o", "cannot write the network JSON"],
        ),
        (
            "init --task cue -o nodir/c.toml",
            &["nodir/c.toml", "-o", "cannot write the configuration"],
        ),
    ];
    refuse_each(&d, cases);
}

#[test]
fn an_output_that_is_an_input_is_refused() {
    let (_tmp, d, _) = tiny("is-input");
    std::os::unix::fs::symlink("tiny.toml", d.join("link.toml")).unwrap();
    fs::hard_link(d.join("tiny.toml"), d.join("hard.toml")).unwrap();
    fs::copy(root().join("arch/reckon.toml"), d.join("arch.toml")).unwrap();
    fs::write(d.join("plot.svg"), TRAIN).unwrap();
    fs::copy(
        root().join("data/uci-digits/digits.csv.gz"),
        d.join("digits.csv.gz"),
    )
    .unwrap();
    fs::write(d.join("digits.toml"), digits_toml("digits.csv.gz")).unwrap();
    let is_input = "is the input";
    let cases: &[(&str, &[&str])] = &[
        (
            "run tiny.toml -q --no-out --save tiny.toml",
            &["tiny.toml: --save", is_input],
        ),
        (
            "run tiny.toml -q --no-out --save link.toml",
            &["link.toml: --save", is_input, "tiny.toml"],
        ),
        (
            "run tiny.toml -q --no-out --export ./hard.toml",
            &["./hard.toml: --export", is_input],
        ),
        (
            "export tiny.toml -o tiny.toml",
            &["tiny.toml: -o", is_input],
        ),
        (
            "export tiny.toml -o link.toml",
            &["link.toml: -o", is_input],
        ),
        (
            "network tiny.toml -o tiny.toml",
            &["tiny.toml: -o", is_input],
        ),
        (
            "export digits.toml -o digits.csv.gz",
            &["digits.csv.gz: -o", is_input],
        ),
        (
            "run tiny.toml -q --arch arch.toml --save arch.toml",
            &["--save, --export and --resume do not apply with --arch"],
        ),
        (
            "sweep tiny.toml --weight-bits 4 --csv tiny.toml",
            &["tiny.toml: --csv", is_input],
        ),
        (
            // --plot p writes p.png and p.svg; here p.svg is the configuration.
            "sweep plot.svg --weight-bits 4 --plot plot",
            &["plot.svg: --plot", is_input],
        ),
    ];
    refuse_each(&d, cases);
}

#[test]
fn two_outputs_of_one_command_are_not_one_file() {
    let (_tmp, d, _) = tiny("same");
    fs::create_dir_all(d.join("sub")).unwrap();
    fs::write(d.join("old.snap"), "a previous snapshot").unwrap();
    let cases: &[(&str, &[&str])] = &[
        (
            "run tiny.toml -q --no-out --save x --export x",
            &["x: --export and --save name the same file"],
        ),
        (
            "run tiny.toml -q --no-out --save x --export sub/../x",
            &["sub/../x: --export and --save", "(x)"],
        ),
        (
            "run tiny.toml -q --no-out --save old.snap --export ./old.snap",
            &["--export and --save name the same file"],
        ),
        (
            "sweep tiny.toml --weight-bits 4 --csv s.png --plot s",
            &["s.png: --plot and --csv name the same file"],
        ),
    ];
    refuse_each(&d, cases);
}

#[test]
fn a_run_folder_is_new_or_empty_and_locked() {
    let (_tmp, d, _) = tiny("out");
    fs::create_dir_all(d.join("full")).unwrap();
    fs::write(d.join("full/mine.txt"), "the user's notes").unwrap();
    fs::create_dir_all(d.join("busy")).unwrap();
    fs::write(d.join("busy/.neurochip.lock"), "12345\n").unwrap();
    let cases: &[(&str, &[&str])] = &[
        (
            "run tiny.toml -q --out full",
            &[
                "full: --out",
                "holds 1 file(s) already",
                "mine.txt",
                "--force",
            ],
        ),
        (
            "verify tiny.toml -q --out full",
            &["full: --out", "mine.txt"],
        ),
        (
            "experiment reservoir --quick -q --out full",
            &["full: --out", "mine.txt"],
        ),
        (
            "run tiny.toml -q --out tiny.toml",
            &["tiny.toml: --out", "not a folder"],
        ),
        (
            "run tiny.toml -q --out busy --force",
            &["busy: --out", "another neurochip run", ".neurochip.lock"],
        ),
        (
            "experiment reservoir --quick -q --out busy --force",
            &["busy: --out", "another neurochip run"],
        ),
        // A failed run takes away the folders it made (new/nested), not the user's.
        (
            "run tiny.toml -q --out new/nested --resume missing.snap",
            &["missing.snap", "--resume"],
        ),
    ];
    refuse_each(&d, cases);
    // A user's empty folder stays after a failed run.
    fs::create_dir_all(d.join("empty")).unwrap();
    refused(
        &d,
        "run tiny.toml -q --out empty --resume missing.snap",
        &["missing.snap"],
    );
    assert!(d.join("empty").is_dir());
    // --force writes into a folder that holds files, and keeps them.
    let r = run_in(&d, "run tiny.toml -q --out full --force --json");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        fs::read_to_string(d.join("full/mine.txt")).unwrap(),
        "the user's notes"
    );
    assert!(d.join("full/report.json").exists());
    assert!(
        !d.join("full/.neurochip.lock").exists(),
        "the lock is released"
    );
    // --save into the run folder it names.
    let r = run_in(
        &d,
        "run tiny.toml -q --out fresh --save fresh/t.snap --json",
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(d.join("fresh/t.snap").exists() && d.join("fresh/report.json").exists());
}

#[test]
fn a_second_run_into_a_running_folder_is_refused() {
    let (_tmp, d, _) = tiny("lock");
    // A run long enough to be caught running: the cue example trains for seconds.
    fs::copy(root().join("examples/cue.toml"), d.join("cue.toml")).unwrap();
    let mut first = Command::new(neurochip_bin())
        .args(["run", "cue.toml", "-q", "--out", "shared", "--json"])
        .current_dir(&d)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let lock = d.join("shared/.neurochip.lock");
    let t = std::time::Instant::now();
    while !lock.exists() && t.elapsed() < std::time::Duration::from_secs(20) {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert!(lock.exists(), "the first run holds the lock");
    let r = run_in(&d, "run tiny.toml -q --out shared --force");
    let _ = first.kill();
    let _ = first.wait();
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("another neurochip run"), "{}", r.stderr);
}

#[test]
fn endless_and_huge_inputs_are_refused_at_once_in_bounded_memory() {
    let (_tmp, d, _) = tiny("inputs");
    // 2 GB, sparse: no disk and no time to make.
    sparse_file(&d.join("huge.img"), b"NCHP", 2 << 30);
    sparse_file(&d.join("big.txt"), b"1", 100 << 20);
    // A gzip bomb: 100 MB of CSV-like text in a small file; and /dev/zero as data.
    let bomb = d.join("bomb.csv.gz");
    let gz = Command::new("sh")
        .arg("-c")
        .arg("head -c 100000000 /dev/zero | gzip -c > bomb.csv.gz")
        .current_dir(&d)
        .status();
    let have_bomb = gz.is_ok_and(|s| s.success()) && bomb.exists();
    fs::write(d.join("bomb.toml"), digits_toml("bomb.csv.gz")).unwrap();
    fs::write(d.join("zero.toml"), digits_toml("/dev/zero")).unwrap();
    let mut cases: Vec<(&str, &[&str])> = vec![
        (
            "inspect huge.img",
            &[
                "huge.img",
                "is 2147483648 bytes",
                "limit for it is 67108864 bytes",
            ],
        ),
        (
            "run-image huge.img",
            &["huge.img", "chip image or snapshot", "67108864"],
        ),
        (
            "solve big.txt",
            &["big.txt", "problem file is 104857600 bytes", "16777216"],
        ),
    ];
    if Path::new("/dev/zero").exists() {
        cases.extend_from_slice(&[
            (
                "solve /dev/zero",
                &["/dev/zero", "problem file gives more than 16777216 bytes"][..],
            ),
            (
                "sweep tiny.toml --arch /dev/zero",
                &["--arch", "/dev/zero", "architecture file", "1048576"],
            ),
            (
                "run tiny.toml --arch /dev/zero",
                &["--arch", "/dev/zero", "1048576"],
            ),
            (
                "bench tiny.toml --arch /dev/zero",
                &["--arch", "/dev/zero", "1048576"],
            ),
            ("check /dev/zero", &["/dev/zero", "more than 1048576 bytes"]),
            (
                "check zero.toml",
                &[
                    "zero.toml",
                    "task.data",
                    "/dev/zero",
                    "digits data file",
                    "16777216",
                ],
            ),
        ]);
    }
    if have_bomb {
        cases.push((
            "check bomb.toml",
            &[
                "bomb.toml",
                "task.data",
                "bomb.csv.gz",
                "decompresses to more than 67108864",
            ],
        ));
    }
    for (line, wants) in cases {
        let t = std::time::Instant::now();
        refused(&d, line, wants);
        assert!(
            t.elapsed() < std::time::Duration::from_secs(10),
            "`{line}` refused at once"
        );
    }
}
