//! Bad input, tried through the built `neurochip` binary the way a user would meet
//! it: bad configuration files, bad images and snapshots, outputs that cannot be
//! written. Every case must give exit code 2, one clear line on stderr that names the
//! file and what is wrong (the fragment each case asserts), never a panic, and must
//! leave whatever was already on disk byte-identical (a previous image or snapshot,
//! the input itself, `/dev/full` still a device). The inputs that crashed the fuzzers
//! (`fuzz/`) are kept in `tests/fuzz_regressions/` and replayed here.

use std::fs;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use neurochip_core::image::crc32;
use neurochip_tests::{root, temp_dir};
use tempfile::TempDir;

fn bin() -> &'static Path {
    neurochip_tests::neurochip_bin()
}

/// A fresh folder for one case: (its guard, which removes it when dropped, its path).
fn dir(case: &str) -> (TempDir, PathBuf) {
    let tmp = temp_dir(&format!("bad-input-{case}"));
    let d = tmp.path().to_path_buf();
    (tmp, d)
}

/// A fresh folder for one case with the small training configuration in it as
/// `tiny.toml`: (the guard of [`dir`], folder, configuration).
fn tiny(case: &str) -> (TempDir, PathBuf, PathBuf) {
    let (tmp, d) = dir(case);
    let cfg = write(&d, "tiny.toml", TRAIN.as_bytes());
    (tmp, d, cfg)
}

/// `head` followed by zeros to 100 MB, sparse: no disk space and no time to make.
fn huge(dir: &Path, name: &str, head: &[u8]) -> PathBuf {
    let p = dir.join(name);
    neurochip_tests::sparse_file(&p, head, 100 << 20);
    p
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    fs::write(&p, bytes).unwrap();
    p
}

use neurochip_tests::run_neurochip as run;

/// Files whose bytes must not change, and folders that must not gain temporary files.
struct Unchanged(Vec<(PathBuf, Vec<u8>)>);

impl Unchanged {
    fn of(paths: &[&Path]) -> Self {
        Self(
            paths
                .iter()
                .map(|p| (p.to_path_buf(), fs::read(p).unwrap()))
                .collect(),
        )
    }
    fn check(&self, what: &str) {
        for (p, bytes) in &self.0 {
            let now = fs::read(p).unwrap_or_default();
            assert!(&now == bytes, "{what}: {} was changed", p.display());
            let parent = p.parent().unwrap();
            let tmp: Vec<_> = fs::read_dir(parent)
                .unwrap()
                .filter_map(|e| e.ok())
                .filter(|e| e.file_name().to_string_lossy().contains(".tmp"))
                .collect();
            assert!(
                tmp.is_empty(),
                "{what}: temporary files left in {}",
                parent.display()
            );
        }
    }
}

/// `args` must fail with exit code 2 and one line on stderr holding every fragment
/// of `wants`, no panic, and leave `keep` untouched. Returns the message.
fn refused<S: AsRef<std::ffi::OsStr>>(args: &[S], wants: &[&str], keep: &[&Path]) -> String {
    let guard = Unchanged::of(keep);
    let shown: Vec<_> = args
        .iter()
        .map(|a| a.as_ref().to_string_lossy().into_owned())
        .collect();
    let what = shown.join(" ");
    let (code, _, stderr) = run(args);
    assert_eq!(code, 2, "`{what}`: exit code {code}, stderr: {stderr}");
    assert!(
        !stderr.contains("panicked") && !stderr.contains("backtrace"),
        "`{what}` panicked: {stderr}"
    );
    assert_eq!(
        stderr.trim_end().lines().count(),
        1,
        "`{what}`: one line on stderr, got: {stderr}"
    );
    assert!(stderr.starts_with("error: "), "`{what}`: {stderr}");
    for w in wants {
        assert!(stderr.contains(w), "`{what}`: expected `{w}` in: {stderr}");
    }
    guard.check(&what);
    eprintln!("{what}\n    {}", stderr.trim_end());
    stderr
}

/// A configuration that loads and builds.
const GOOD: &str = "[network]\ninputs = 40\nneurons = 16\noutputs = 2\n[task]\nkind = \"cue\"\n";

/// A training run of a few milliseconds (light engine, one short cue sample).
const TRAIN: &str = "name = \"tiny\"\nseed = 1\n[network]\ninputs = 40\nneurons = 8\noutputs = 2\n\
[task]\nkind = \"cue\"\nn_cues = 1\ncue_ms = 10\ngap_ms = 5\ndelay_ms = 10\nrecall_ms = 10\n\
[learning]\nengine = \"light\"\n[train]\nepochs = 1\ntrain_samples = 1\ntest_samples = 1\n";

/// A bad configuration: `check` and `export` refuse it naming the file, and a failed
/// export leaves the image already at the output path as it was.
fn bad_config(case: &str, bytes: &[u8], wants: &[&str]) {
    let (_tmp, d) = dir(case);
    let name = format!("{case}.toml");
    let cfg = write(&d, &name, bytes);
    let prev = write(&d, "prev.img", b"an image written before");
    let mut all = vec![name.as_str()];
    all.extend_from_slice(wants);
    refused(&["check".as_ref(), cfg.as_os_str()], &all, &[&prev, &cfg]);
    refused(
        &[
            "export".as_ref(),
            cfg.as_os_str(),
            "-o".as_ref(),
            prev.as_os_str(),
        ],
        &all,
        &[&prev, &cfg],
    );
}

#[test]
fn config_empty() {
    bad_config("empty", b"", &["the file is empty"]);
}

#[test]
fn config_binary_garbage() {
    let garbage: Vec<u8> = (0u32..4096)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    bad_config("garbage", &garbage, &["not a text file"]);
}

#[test]
fn config_truncated() {
    // Cut right after the `[network]` header: the required sizes are gone.
    let full = fs::read_to_string(root().join("examples/lif.toml")).unwrap();
    let cut = full.find("\n[network]\n").expect("lif.toml has [network]") + "\n[network]\n".len();
    bad_config("truncated", &full.as_bytes()[..cut], &["missing"]);
}

#[test]
fn config_huge_is_refused_by_size_without_reading_it() {
    let (_tmp, d) = dir("huge");
    let p = huge(&d, "huge.toml", b"");
    let t = Instant::now();
    refused(
        &["check".as_ref(), p.as_os_str()],
        &[
            "huge.toml",
            "the file is 104857600 bytes",
            "at most 1048576 bytes",
        ],
        &[],
    );
    assert!(t.elapsed() < Duration::from_secs(5), "refused at once");
}

#[test]
fn config_endless_device_is_cut_at_the_limit() {
    // `/dev/zero` has no size to check beforehand and never ends.
    let zero = Path::new("/dev/zero");
    if !zero.exists() {
        return;
    }
    let t = Instant::now();
    refused(
        &["check", "/dev/zero"],
        &[
            "/dev/zero",
            "the file is more than 1048576 bytes",
            "at most 1048576 bytes",
        ],
        &[],
    );
    assert!(t.elapsed() < Duration::from_secs(5), "refused at once");
}

/// Values out of their range, or not numbers: each refused naming the line and the
/// field: (case, the file's text, what the one line of the refusal holds).
#[test]
fn config_values_out_of_range() {
    let with = |line: &str| GOOD.replace("outputs = 2", &format!("outputs = 2\n{line}"));
    let cases: [(&str, String, &[&str]); 9] = [
        (
            "nan",
            with("tau_m_ms = nan"),
            &[
                "nan.toml:5:1",
                "network.tau_m_ms",
                "nan is not a number",
                "a finite number > 0",
            ],
        ),
        (
            "inf",
            with("tau_m_ms = inf"),
            &["inf.toml:5:1", "network.tau_m_ms", "inf is infinite"],
        ),
        (
            "neginf",
            with("threshold = -inf"),
            &["neginf.toml:5:1", "network.threshold", "-inf is infinite"],
        ),
        (
            "nanrate",
            format!("{GOOD}cue_rate_hz = nan\n"),
            &[
                "nanrate.toml:7:1",
                "task.cue_rate_hz",
                "nan is not a number",
            ],
        ),
        (
            "negative",
            GOOD.replace("neurons = 16", "neurons = -5"),
            &["negative.toml:3:", "network.neurons", "-5 is negative"],
        ),
        (
            "zero",
            GOOD.replace("outputs = 2", "outputs = 0"),
            &["zero.toml:4:", "network.outputs"],
        ),
        (
            "weight_bits",
            format!("{GOOD}[formats]\nweight_bits = 32\n"),
            &[
                "weight_bits.toml:8:1",
                "formats.weight_bits",
                "allowed 2..=16",
            ],
        ),
        (
            "membrane_bits",
            format!("{GOOD}[formats]\nmembrane_bits = 4\n"),
            &[
                "membrane_bits.toml:8:1",
                "formats.membrane_bits",
                "allowed 8..=24",
            ],
        ),
        (
            "larger",
            GOOD.replace("neurons = 16", "neurons = 300"),
            &[
                "larger.toml:3:",
                "network.neurons",
                "300 does not fit the chip",
            ],
        ),
    ];
    for (name, toml, wants) in cases {
        bad_config(name, toml.as_bytes(), wants);
    }
}

/// Patch the 16-bit version field and recompute the CRC, so only the version is wrong.
fn with_version(bytes: &[u8], version: u16) -> Vec<u8> {
    let mut v = bytes.to_vec();
    v[4..6].copy_from_slice(&version.to_le_bytes());
    let n = v.len() - 4;
    let crc = crc32(&v[..n]);
    v[n..].copy_from_slice(&crc.to_le_bytes());
    v
}

#[test]
fn images_bad() {
    let (_tmp, d, cfg) = tiny("images");
    let img = d.join("good.img");
    let (code, _, err) = neurochip_tests::export_image(&cfg, &img);
    assert_eq!(code, 0, "{err}");
    let good = fs::read(&img).unwrap();
    let keep: &[&Path] = &[&img];
    let case = |name: &str, bytes: &[u8], wants: &[&str]| {
        let p = write(&d, name, bytes);
        for cmd in ["inspect", "run-image"] {
            let mut all = vec![name];
            all.extend_from_slice(wants);
            refused(&[cmd.as_ref(), p.as_os_str()], &all, &[keep[0], &p]);
        }
    };
    case("empty.img", b"", &["image too short: 0 bytes"]);
    case(
        "truncated.img",
        &good[..good.len() / 2],
        &[
            "image truncated or padded",
            &format!("announces {} bytes", good.len()),
        ],
    );
    let mut flipped = good.clone();
    flipped[good.len() / 3] ^= 0x10;
    case("flipped.img", &flipped, &["image corrupt: CRC mismatch"]);
    case(
        "version.img",
        &with_version(&good, 9),
        &["image format version 9 is not supported (this build reads versions"],
    );
    // Huge: a good image followed by 100 MB (sparse).
    let huge = huge(&d, "huge.img", &good);
    refused(
        &["inspect".as_ref(), huge.as_os_str()],
        &[
            "huge.img",
            // Refused by its size (above the 64 MiB limit) before a byte is read.
            "the chip image or snapshot is 104857600 bytes",
            "the limit for it is 67108864 bytes",
        ],
        keep,
    );
    // An endless device: the header alone is read.
    if Path::new("/dev/zero").exists() {
        for cmd in ["inspect", "run-image"] {
            let t = Instant::now();
            refused(
                &[cmd, "/dev/zero"],
                &[
                    "/dev/zero",
                    "not a chip image: the file does not start with NCHP",
                ],
                keep,
            );
            assert!(t.elapsed() < Duration::from_secs(5), "refused at once");
        }
    }
    assert_eq!(fs::read(&img).unwrap(), good);
}

#[test]
fn snapshots_bad() {
    let (_tmp, d, cfg) = tiny("snapshots");
    let good = d.join("good.snap");
    let train = |cfg: &Path, extra: &[&std::ffi::OsStr]| {
        let mut args: Vec<&std::ffi::OsStr> = vec!["run".as_ref(), cfg.as_os_str(), "-q".as_ref()];
        args.extend_from_slice(extra);
        run(&args)
    };
    let (code, _, err) = train(&cfg, &["--save".as_ref(), good.as_os_str()]);
    assert_eq!(code, 0, "{err}");
    let snap = fs::read(&good).unwrap();
    // Every refused --resume also passes --save to the good snapshot: it must stay.
    let resume = |name: &str, bytes: &[u8], wants: &[&str]| {
        let p = write(&d, name, bytes);
        let mut all = vec![name];
        all.extend_from_slice(wants);
        refused(
            &[
                "run".as_ref(),
                cfg.as_os_str(),
                "-q".as_ref(),
                "--resume".as_ref(),
                p.as_os_str(),
                "--save".as_ref(),
                good.as_os_str(),
            ],
            &all,
            &[&good, &p],
        );
        p
    };
    resume("empty.snap", b"", &["too short for a snapshot (0 bytes)"]);
    let p = resume(
        "truncated.snap",
        &snap[..snap.len() / 2],
        &[
            "snapshot truncated or padded",
            &format!("announces {} bytes", snap.len()),
        ],
    );
    refused(
        &["inspect".as_ref(), p.as_os_str()],
        &["truncated.snap", "snapshot truncated or padded"],
        &[&good],
    );
    let mut flipped = snap.clone();
    flipped[snap.len() / 2] ^= 0x01;
    let p = resume(
        "flipped.snap",
        &flipped,
        &["snapshot corrupt: CRC mismatch"],
    );
    refused(
        &["inspect".as_ref(), p.as_os_str()],
        &["flipped.snap", "snapshot corrupt: CRC mismatch"],
        &[&good],
    );
    let p = resume(
        "version.snap",
        &with_version(&snap, 2),
        &["snapshot format version 2 is not supported (this build reads version 1)"],
    );
    refused(
        &["inspect".as_ref(), p.as_os_str()],
        &["version.snap", "snapshot format version 2 is not supported"],
        &[&good],
    );
    // An image is not a snapshot.
    let img = d.join("chip.img");
    assert_eq!(
        run(&[
            "export".as_ref(),
            cfg.as_os_str(),
            "-o".as_ref(),
            img.as_os_str()
        ])
        .0,
        0
    );
    resume(
        "image.snap",
        &fs::read(&img).unwrap(),
        &["not a neurochip snapshot (no NCSS magic)"],
    );
    // The snapshot that `<stem>.toml` saves as `<stem>.snap`.
    let saved_by = |stem: &str, toml: String| {
        let other_cfg = write(&d, &format!("{stem}.toml"), toml.as_bytes());
        let other = d.join(format!("{stem}.snap"));
        let (code, _, err) = train(&other_cfg, &["--save".as_ref(), other.as_os_str()]);
        assert_eq!(code, 0, "{err}");
        fs::read(&other).unwrap()
    };
    // A snapshot saved by another configuration (another seed: same sizes).
    resume(
        "other.snap",
        &saved_by("other", TRAIN.replace("seed = 1", "seed = 2")),
        &["belongs to a chip with another configuration"],
    );
    // ... and one of a larger network: refused by its size alone.
    resume(
        "big.snap",
        &saved_by("big", TRAIN.replace("neurons = 8", "neurons = 12")),
        &[
            "more than a snapshot of this chip's configuration",
            "another configuration",
        ],
    );
    // Huge (sparse, 100 MB after a good header): refused without reading it.
    let huge = huge(&d, "huge.snap", &snap);
    let t = Instant::now();
    refused(
        &[
            "run".as_ref(),
            cfg.as_os_str(),
            "-q".as_ref(),
            "--resume".as_ref(),
            huge.as_os_str(),
        ],
        &[
            "huge.snap",
            "the file has 104857600 bytes, more than a snapshot",
        ],
        &[&good],
    );
    assert!(t.elapsed() < Duration::from_secs(10));
    refused(
        &["inspect".as_ref(), huge.as_os_str()],
        &[
            "huge.snap",
            // Refused by its size (above the 64 MiB limit) before a byte is read.
            "the chip image or snapshot is 104857600 bytes",
            "the limit for it is 67108864 bytes",
        ],
        &[&good],
    );
    assert_eq!(fs::read(&good).unwrap(), snap);
}

#[test]
fn unwritable_outputs() {
    let (_tmp, d, cfg) = tiny("outputs");
    // A path whose parent is a regular file fails for root too (permission bits do not).
    let file = write(&d, "a_file", b"not a folder");
    let under = file.join("x.snap");
    refused(
        &[
            "run".as_ref(),
            cfg.as_os_str(),
            "-q".as_ref(),
            "--save".as_ref(),
            under.as_os_str(),
        ],
        &[
            "a_file/x.snap",
            "cannot write the snapshot",
            "a_file is not a folder",
        ],
        &[&file, &cfg],
    );
    let under = file.join("x.img");
    refused(
        &[
            "export".as_ref(),
            cfg.as_os_str(),
            "-o".as_ref(),
            under.as_os_str(),
        ],
        &[
            "a_file/x.img",
            "cannot write the image",
            "a_file is not a folder",
        ],
        &[&file, &cfg],
    );
    let missing = d.join("no_such_folder").join("x.img");
    refused(
        &[
            "export".as_ref(),
            cfg.as_os_str(),
            "-o".as_ref(),
            missing.as_os_str(),
        ],
        &[
            "cannot write the image",
            "the folder",
            "no_such_folder does not exist",
        ],
        &[&cfg],
    );
    refused(
        &[
            "export".as_ref(),
            cfg.as_os_str(),
            "-o".as_ref(),
            d.as_os_str(),
        ],
        &["cannot write the image", "is a directory"],
        &[&cfg],
    );
    // A full disk: /dev/full takes the write and fails it; it stays a device.
    let full = Path::new("/dev/full");
    if full.exists() {
        refused(
            &[
                "run".as_ref(),
                cfg.as_os_str(),
                "-q".as_ref(),
                "--save".as_ref(),
                full.as_os_str(),
            ],
            &[
                "/dev/full",
                "cannot write the snapshot",
                "No space left on device",
            ],
            &[&cfg],
        );
        refused(
            &[
                "export".as_ref(),
                cfg.as_os_str(),
                "-o".as_ref(),
                full.as_os_str(),
            ],
            &[
                "/dev/full",
                "cannot write the image",
                "No space left on device",
            ],
            &[&cfg],
        );
        let meta = fs::metadata(full).unwrap();
        assert!(
            meta.file_type().is_char_device(),
            "/dev/full must still be a character device"
        );
    }
}

/// Inputs that made a fuzzer panic, each in the form a command reads (an image or a
/// snapshot file; prefix a zero byte to replay one with `cargo fuzz run image`), and
/// the message `neurochip inspect` now refuses it with.
const REGRESSIONS: &[(&str, &str)] = &[(
    // A valid header and CRC around a 33-byte payload: `snapshot::describe` read the
    // fixed fields past its end (index out of range).
    "snapshot_short_payload.snap",
    "snapshot payload too short: 33 bytes, a snapshot payload has at least 40",
)];

#[test]
fn fuzz_regressions() {
    let dir = root().join("tests/fuzz_regressions");
    for e in fs::read_dir(&dir).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            name == "README.md" || REGRESSIONS.iter().any(|(f, _)| *f == name),
            "tests/fuzz_regressions/{name} is not listed in REGRESSIONS"
        );
    }
    for (name, want) in REGRESSIONS {
        let p = dir.join(name);
        let bytes = fs::read(&p).unwrap();
        // The decoders refuse it without a panic.
        assert!(neurochip_core::image::decode(&bytes).is_err());
        let _ = neurochip_emu::snapshot::describe(&bytes);
        let _ = neurochip_tasks::app::AppSpec::decode(&bytes);
        refused(&["inspect".as_ref(), p.as_os_str()], &[name, want], &[&p]);
    }
}

/// A reader that goes away (`neurochip inspect FILE | head -1`) ends the program
/// quietly: exit 0, nothing on stderr, no panic about a broken pipe.
#[test]
fn a_closed_pipe_is_not_a_panic() {
    let mut child = Command::new(bin())
        .arg("inspect")
        .arg(root().join("firmware/images/default.img"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "exit {:?}: {stderr}", out.status);
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// A Sudoku whose givens contradict each other (the parser, at the repeated clue), or
/// leave a cell no value (`Csp::contradiction`), is refused before any simulation,
/// naming the cells. `solve --quiet` is not a number (the potential is
/// `--quiet-potential`).
#[test]
fn unsolvable_problems_are_refused_before_simulating() {
    let (_tmp, d) = dir("unsolvable");
    // Row 1 holds two 5s.
    let mut rows = vec!["5...5....".to_string()];
    rows.extend((1..9).map(|_| ".........".to_string()));
    let twice = write(&d, "twice.txt", rows.join("\n").as_bytes());
    refused(
        &["solve".as_ref(), twice.as_os_str()],
        &[
            "twice.txt:1:5",
            "repeats the 5 at row 1, column 1",
            "no solution",
        ],
        &[&twice],
    );
    // r1c9 sees 1..8 in its row and 9 in its column: no value left.
    let mut rows = vec!["12345678.".to_string(), "........9".to_string()];
    rows.extend((2..9).map(|_| ".........".to_string()));
    let dead = write(&d, "dead.txt", rows.join("\n").as_bytes());
    refused(
        &["solve".as_ref(), dead.as_os_str()],
        &["dead.txt", "unsolvable", "r1c9 has no value left"],
        &[&dead],
    );
    let (code, _, stderr) = run(&["solve", "--quiet", "3", "x.txt"]);
    assert_eq!(code, 2, "{stderr}");
}
