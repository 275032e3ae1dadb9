//! Helpers shared by the cross-crate tests: paths, golden files that can be
//! re-recorded with `UPDATE_GOLDEN=1`, and quick experiment runs; [`updates`]: the
//! chip's weight updates beside the f64 reference's e-prop.
#![deny(unsafe_code)]

pub mod updates;

use std::fs;
use std::path::{Path, PathBuf};

use tempfile::TempDir;

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ lives in the workspace")
        .to_path_buf()
}

/// The bound the fixed-point chip holds to the f64 reference over a 1,000-step
/// `verify` run (`fixed_vs_float.rs`, and with stochastic release
/// `release_vs_float.rs`): every step compared, an active network (more than 100
/// spikes), membrane RMS error below 0.02 thresholds, rate correlation at least 0.95.
pub fn assert_close_to_float(r: &neurochip_emu::sim::VerifyReport) {
    assert_eq!(r.steps, 1000);
    assert!(
        r.spikes > 100,
        "the network must be active ({} spikes)",
        r.spikes
    );
    assert!(
        r.membrane_rms_thr < 0.02,
        "membrane RMS {} thresholds",
        r.membrane_rms_thr
    );
    assert!(
        r.rate_correlation >= 0.95,
        "rate correlation {}",
        r.rate_correlation
    );
}

/// The `neurochip` binary of the calling test's build profile. Cargo builds only a
/// package's own binaries for its tests, so this builds the CLI (a no-op when it is up
/// to date) in the same target folder and profile as the test binary.
pub fn neurochip_bin() -> &'static Path {
    static BIN: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BIN.get_or_init(|| {
        let exe = std::env::current_exe().expect("the test binary");
        // target/<profile>/deps/<test>-HASH
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("target/<profile>/deps")
            .to_path_buf();
        let target_dir = profile_dir.parent().expect("target/");
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut build = std::process::Command::new(cargo);
        build
            .args(["build", "--quiet", "-p", "neurochip", "--bin", "neurochip"])
            .current_dir(root())
            .env("CARGO_TARGET_DIR", target_dir);
        if profile_dir.file_name().is_some_and(|n| n == "release") {
            build.arg("--release");
        }
        let status = build.status().expect("cargo runs");
        assert!(status.success(), "building the neurochip binary failed");
        let bin = profile_dir.join("neurochip");
        assert!(bin.exists(), "{} was not built", bin.display());
        bin
    })
}

/// Run the `neurochip` binary with `args`: (exit code, stdout, stderr).
pub fn run_neurochip<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> (i32, String, String) {
    let out = std::process::Command::new(neurochip_bin())
        .args(args)
        .env("RUST_BACKTRACE", "1")
        .output()
        .expect("the neurochip binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `neurochip export CONFIG -o IMAGE`: (exit code, stdout, stderr).
pub fn export_image(config: &Path, image: &Path) -> (i32, String, String) {
    run_neurochip(&[
        "export".as_ref(),
        config.as_os_str(),
        "-o".as_ref(),
        image.as_os_str(),
    ])
}

/// Run the firmware ELF `elf` under QEMU mps2-an386 (Cortex-M4, semihosting on) to
/// its exit.
pub fn run_qemu(elf: &Path) -> std::process::Output {
    std::process::Command::new("qemu-system-arm")
        .args([
            "-cpu",
            "cortex-m4",
            "-machine",
            "mps2-an386",
            "-nographic",
            "-semihosting-config",
            "enable=on,target=native",
            "-kernel",
        ])
        .arg(elf)
        .output()
        .expect("qemu-system-arm is installed (make test installs it)")
}

/// Build the firmware application `app` (its binary `src/bin/APP.rs`, which needs the
/// cargo feature of the same name; QEMU profile), run it under QEMU mps2-an386,
/// require exit code 0, diff its whole output against `tests/golden/firmware/APP.run`
/// and its size against `APP.size` (re-recorded with `UPDATE_GOLDEN=1`), and return the
/// line it printed that starts with `prefix`.
pub fn firmware_app_line(app: &str, prefix: &str) -> String {
    let elf = build_app(app, None);
    let out = run_qemu(&elf);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(0), "firmware failed:\n{stdout}");
    check_golden(&format!("firmware/{app}.run"), &stdout);
    check_size_golden(&format!("firmware/{app}.size"), &(elf_size(&elf) + "\n"));
    stdout
        .lines()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no `{prefix}` line in the firmware output:\n{stdout}"))
        .to_string()
}

/// Build the firmware application `app` around the application image `image` (its
/// `NEUROCHIP_APP_IMAGE`, QEMU profile) and run it under QEMU: (exit code, output).
/// Tests that also call [`firmware_app_line`] for the same `app` do both in one test
/// function, so the two builds do not race for the ELF.
pub fn firmware_app_with_image(app: &str, image: &Path) -> (Option<i32>, String) {
    let out = run_qemu(&build_app(app, Some(image)));
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// The firmware application `app` built around the image `bad` must refuse it: a
/// non-zero exit and the one line naming the image `field` that holds an invalid
/// value.
pub fn assert_firmware_refuses(app: &str, bad: &Path, field: &str) {
    let (code, stdout) = firmware_app_with_image(app, bad);
    assert_ne!(code, Some(0), "{stdout}");
    assert_eq!(
        stdout,
        format!("error: {app} image refused: image field {field} holds an invalid value\n")
    );
}

/// The host refuses each bad application image `(name, bytes, field)` of `cases` as
/// the firmware does: written as `dir/bad_NAME.img`, `run-image` and `inspect` exit
/// with code 2 naming the image `field` that holds an invalid value.
pub fn assert_host_refuses(dir: &Path, cases: &[(&str, Vec<u8>, &str)]) {
    for (name, bytes, field) in cases {
        let path = dir.join(format!("bad_{}.img", name.replace(' ', "_")));
        fs::write(&path, bytes).unwrap();
        let want = format!("image field {field} holds an invalid value");
        for cmd in ["run-image", "inspect"] {
            let (code, stdout, stderr) = run_neurochip(&[cmd.as_ref(), path.as_os_str()]);
            assert_eq!(code, 2, "{cmd} {name}: {stdout}{stderr}");
            assert!(stderr.contains(&want), "{cmd} {name}: {stderr}");
        }
    }
}

/// Build the firmware application `app` (QEMU profile) around `image`, or around
/// the committed `firmware/images/APP.img` (not one named in the environment); the
/// path of its ELF.
fn build_app(app: &str, image: Option<&Path>) -> PathBuf {
    let fw = root().join("firmware");
    let var = format!("NEUROCHIP_{}_IMAGE", app.to_uppercase());
    let mut cmd = std::process::Command::new("cargo");
    cmd.args([
        "build",
        "--release",
        "--quiet",
        "--features",
        app,
        "--bin",
        app,
    ])
    .current_dir(&fw)
    .env_remove("CARGO_TARGET_DIR");
    match image {
        Some(p) => cmd.env(&var, p),
        None => cmd.env_remove(&var),
    };
    let status = cmd.status().expect("cargo runs");
    assert!(status.success(), "firmware build of --bin {app} failed");
    fw.join("target/thumbv7em-none-eabihf/release").join(app)
}

/// The committed application image `firmware/images/NAME` with its application
/// block changed by `edit`, re-wrapped with a valid CRC (so that only the decoder's
/// field checks can refuse it).
pub fn patched_app_image(name: &str, edit: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    use neurochip_core::image;
    let bytes = fs::read(root().join("firmware/images").join(name)).expect("committed image");
    let mut block = image::decode_app(&bytes)
        .expect("an application image")
        .to_vec();
    edit(&mut block);
    let mut out = vec![0u8; block.len() + 64];
    let n = image::encode_app(&mut out, &block).expect("fits");
    out.truncate(n);
    out
}

/// A fresh folder for a test's files, `neurochip-NAME-XXXXXX` under the system's
/// temporary folder, of this call alone: it is removed when the guard is dropped, so
/// keep it in a `let` for the whole test and use `.path()`.
pub fn temp_dir(name: &str) -> TempDir {
    tempfile::Builder::new()
        .prefix(&format!("neurochip-{name}-"))
        .tempdir()
        .expect("temporary folder")
}

/// `path` written as `head` followed by zeros to `len` bytes, sparse: no disk space
/// and no time to make, however large.
pub fn sparse_file(path: &Path, head: &[u8], len: u64) {
    fs::write(path, head).expect("write the head");
    fs::OpenOptions::new()
        .write(true)
        .open(path)
        .and_then(|f| f.set_len(len))
        .expect("extend the file");
}

/// `text N rodata N bss N` of a firmware ELF, from llvm-size (the llvm-tools
/// component, which rust-toolchain.toml installs).
pub fn elf_size(elf: &Path) -> String {
    let sysroot = std::process::Command::new("rustc")
        .args(["--print", "sysroot"])
        .output()
        .expect("rustc runs");
    let sysroot = String::from_utf8_lossy(&sysroot.stdout).trim().to_string();
    let bin = fs::read_dir(Path::new(&sysroot).join("lib/rustlib"))
        .expect("the sysroot has lib/rustlib")
        .filter_map(|e| e.ok())
        .map(|e| e.path().join("bin/llvm-size"))
        .find(|p| p.exists())
        .expect("llvm-size from the llvm-tools component");
    let out = std::process::Command::new(bin)
        .arg("-A")
        .arg(elf)
        .output()
        .expect("llvm-size runs");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let get = |name: &str| {
        text.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .unwrap_or("0")
            .to_string()
    };
    format!(
        "text {} rodata {} bss {}",
        get(".text"),
        get(".rodata"),
        get(".bss")
    )
}

/// A quick run of an experiment: its run folder, markdown table and `result.json`.
pub struct QuickRun {
    /// The run folder, removed when this is dropped.
    pub out: TempDir,
    /// The markdown table the experiment returned.
    pub table: String,
    /// `result.json`, read back from the folder.
    pub json: serde_json::Value,
}

/// Run the experiment `name` with `--quick` into a fresh folder in the temporary
/// directory ([`temp_dir`]), require each of `files` in it, and read back its
/// `result.json`.
pub fn quick_experiment(name: &str, files: &[&str]) -> QuickRun {
    use neurochip_lab::experiment::{self, Ctx};
    let out = temp_dir(&format!("exp-{name}"));
    let exp = experiment::find(name).expect("registered");
    let ctx = Ctx {
        out: out.path().to_path_buf(),
        quick: true,
        quiet: true,
    };
    let outcome = experiment::run(exp, &ctx).expect("quick run");
    for f in files {
        assert!(
            out.path().join(f).is_file(),
            "{name}: {f} missing from the run folder"
        );
    }
    let json = fs::read_to_string(out.path().join("result.json")).expect("result.json");
    QuickRun {
        table: outcome.table,
        json: serde_json::from_str(&json).expect("valid json"),
        out,
    }
}

/// `tests/golden/NAME`.
pub fn golden_path(name: &str) -> PathBuf {
    root().join("tests").join("golden").join(name)
}

/// Bytes a firmware section may differ from its size golden: the same sources built in
/// another folder place code a few bytes differently (symbol hashes include the path).
pub const SIZE_SLACK: u64 = 64;

/// [`check_golden`] for a size golden (`text N rodata N bss N` lines): the words must
/// match and every number must be within [`SIZE_SLACK`] bytes of the golden's.
pub fn check_size_golden(name: &str, actual: &str) {
    let path = golden_path(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v == "1") {
        return check_golden(name, actual);
    }
    let expected = fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "golden file {} unreadable ({e}); record it with UPDATE_GOLDEN=1",
            path.display()
        )
    });
    let (e, a): (Vec<&str>, Vec<&str>) = (
        expected.split_whitespace().collect(),
        actual.split_whitespace().collect(),
    );
    let close = e.len() == a.len()
        && e.iter()
            .zip(&a)
            .all(|(x, y)| match (x.parse::<u64>(), y.parse::<u64>()) {
                (Ok(x), Ok(y)) => x.abs_diff(y) <= SIZE_SLACK,
                _ => x == y,
            });
    assert!(
        close,
        "sizes differ from {} by more than {SIZE_SLACK} bytes (re-record with UPDATE_GOLDEN=1 \
         if the change is intended):\n  golden: {expected}\n  built:  {actual}",
        path.display()
    );
}

/// Compare `actual` with the golden file `name`; with `UPDATE_GOLDEN=1` in the
/// environment, write it instead.
pub fn check_golden(name: &str, actual: &str) {
    let path = golden_path(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v == "1") {
        fs::create_dir_all(path.parent().expect("golden dir")).expect("create tests/golden");
        fs::write(&path, actual).expect("write golden file");
        eprintln!("updated {}", path.display());
        return;
    }
    let expected = fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "golden file {} unreadable ({e}); record it with UPDATE_GOLDEN=1",
            path.display()
        )
    });
    assert_eq!(
        expected,
        actual,
        "output differs from {} (re-record with UPDATE_GOLDEN=1 if the change is intended)",
        path.display()
    );
}

/// [`spoken_words`] `name` with `takes` clips, and a scratch folder `kws-NAME` beside
/// it for a test's configurations and images: (words, scratch), both removed when
/// dropped.
pub fn spoken_words_and_scratch(name: &str, takes: usize) -> (TempDir, TempDir) {
    (spoken_words(name, takes), temp_dir(&format!("kws-{name}")))
}

/// A small spoken-word folder in the Speech Commands layout, made of synthetic "words"
/// (tone glides, noise bursts and clicks, 16 kHz), for tests that need a keyword
/// spotter without `make data-kws`: keywords `yes` and `no`, other words `cat` and
/// `dog` (the unknown class), a 20 s noise file (silence), 8 speakers (each a pitch
/// and speed of its own; speaker 7 is the validation list's, speaker 8 the test
/// list's), `takes` clips per word and speaker, each at a place of its own in the 1 s
/// clip. Deterministic: the same bytes every time. Returns the folder ([`temp_dir`]),
/// removed when dropped.
pub fn spoken_words(name: &str, takes: usize) -> TempDir {
    use neurochip_emu::speech::{BACKGROUND, TESTING_LIST, VALIDATION_LIST};
    use neurochip_emu::wav::write_wav;
    let guard = temp_dir(&format!("words-{name}"));
    let dir = guard.path();
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut noise = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    };
    // (start Hz, end Hz, ms, noise instead of a tone) segments of a word.
    type Segment = (f64, f64, f64, bool);
    let words: [(&str, &[Segment]); 4] = [
        (
            "yes",
            &[(400.0, 900.0, 150.0, false), (0.0, 0.0, 110.0, true)],
        ),
        ("no", &[(900.0, 300.0, 260.0, false)]),
        (
            "cat",
            &[(0.0, 0.0, 20.0, true), (2000.0, 2100.0, 120.0, false)],
        ),
        (
            "dog",
            &[(300.0, 320.0, 220.0, false), (150.0, 140.0, 60.0, false)],
        ),
    ];
    let mut validation = String::new();
    let mut testing = String::new();
    for (w, segments) in words {
        fs::create_dir_all(dir.join(w)).expect("word folder");
        for speaker in 0..8usize {
            let pitch = 0.8 + 0.07 * speaker as f64;
            let speed = 1.2 - 0.05 * speaker as f64;
            for take in 0..takes {
                let mut clip = vec![0i16; 16_000];
                let mut n = 1000 + ((speaker * 7 + take * 13 + w.len() * 5) % 9) * 1000;
                let mut phase = 0.0f64;
                for &(f0, f1, ms, is_noise) in segments {
                    let len = (ms * speed * 16.0) as usize;
                    for i in 0..len {
                        let x = i as f64 / len as f64;
                        let v = if is_noise {
                            // A hiss: noise, differentiated (high frequencies).
                            noise() * 0.25
                        } else {
                            let f = (f0 + (f1 - f0) * x) * pitch;
                            phase += 2.0 * std::f64::consts::PI * f / 16_000.0;
                            phase.sin() * 0.3 + (2.0 * phase).sin() * 0.15
                        };
                        let env = (x * 20.0).min(1.0) * ((1.0 - x) * 20.0).min(1.0);
                        if let Some(s) = clip.get_mut(n + i) {
                            *s = (v * env * 20_000.0 + noise() * 60.0) as i16;
                        }
                    }
                    n += len;
                }
                let file = format!("{w}/spk{speaker:05}_nohash_{take}.wav");
                write_wav(&dir.join(&file), &clip).expect("a clip");
                match speaker {
                    6 => validation.push_str(&format!("{file}\n")),
                    7 => testing.push_str(&format!("{file}\n")),
                    _ => {}
                }
            }
        }
    }
    fs::create_dir_all(dir.join(BACKGROUND)).expect("noise folder");
    let hum: Vec<i16> = (0..20 * 16_000)
        .map(|i| {
            let t = i as f64 / 16_000.0;
            ((2.0 * std::f64::consts::PI * 50.0 * t).sin() * 300.0 + noise() * 400.0) as i16
        })
        .collect();
    write_wav(&dir.join(BACKGROUND).join("hum.wav"), &hum).expect("noise");
    fs::write(dir.join(VALIDATION_LIST), validation).expect("list");
    fs::write(dir.join(TESTING_LIST), testing).expect("list");
    guard
}
