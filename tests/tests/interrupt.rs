//! Interrupts keep the work (issue 15), through the binary: SIGINT at random moments
//! of a training run ends it with exit 130, a snapshot at the last finished epoch and
//! a run folder marked interrupted; `--resume` with the remaining epochs reaches the
//! digest of the uninterrupted run. SIGTERM ends it with 143. `--checkpoint-every N`
//! leaves a resumable snapshot every N epochs, even when the run is killed outright.
//! Reward-learning and inference runs stop between two episodes (samples) and keep
//! the report of those that ran.
//!
//! The random moments come from the clock and are printed, so a failure names the
//! delay that made it.

use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use neurochip_tests::{neurochip_bin, root, run_neurochip, temp_dir};
use tempfile::TempDir;

/// Epochs of the plan: 8 epochs of 30 training and 5 test samples of the light-engine
/// cue task, about two seconds in a release build.
const EPOCHS: u32 = 8;

/// A fresh folder for one case: (its guard, which removes it when dropped, its path).
fn tmp(case: &str) -> (TempDir, PathBuf) {
    let guard = temp_dir(&format!("interrupt-{case}"));
    let d = guard.path().to_path_buf();
    (guard, d)
}

/// The firmware light-engine configuration with `epochs` epochs, written into `dir`.
fn config(dir: &Path, epochs: u32) -> PathBuf {
    let text = fs::read_to_string(root().join("tests/firmware/light.toml")).unwrap();
    let text = text
        .replace("epochs = 2", &format!("epochs = {epochs}"))
        .replace("train_samples = 3", "train_samples = 30")
        .replace("test_samples = 3", "test_samples = 5");
    assert!(text.contains(&format!("epochs = {epochs}")));
    let p = dir.join(format!("light{epochs}.toml"));
    fs::write(&p, text).unwrap();
    p
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

/// The digest of `run CFG --json` with `extra` arguments (no run folder).
fn digest(cfg: &Path, extra: &[&str]) -> String {
    let mut args = vec!["run", cfg.to_str().unwrap(), "--json", "-q", "--no-out"];
    args.extend_from_slice(extra);
    let (code, out, err) = run_neurochip(&args);
    assert_eq!(code, 0, "{err}");
    json(&out)["digest"].as_str().unwrap().to_string()
}

/// A number from the clock in `0..n`.
fn random_below(n: u64) -> u64 {
    let t = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    let mut x = t.as_nanos() as u64 ^ u64::from(std::process::id()).rotate_left(32);
    // splitmix64
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    (x ^ (x >> 31)) % n.max(1)
}

/// Start `neurochip ARGS` with stdout and stderr piped.
fn spawn(args: &[&str]) -> Child {
    Command::new(neurochip_bin())
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// The arguments `run CFG -q FLAG PATH EXTRA..`.
fn run_args<'a>(cfg: &'a Path, flag: &'a str, path: &'a Path, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "run",
        cfg.to_str().unwrap(),
        "-q",
        flag,
        path.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    args
}

/// `neurochip run CFG -q --save SNAP EXTRA..` started as [`start`] does.
fn start_run(
    cfg: &Path,
    snap: &Path,
    extra: &[&str],
) -> (Child, BufReader<std::process::ChildStdout>) {
    start(&run_args(cfg, "--save", snap, extra))
}

/// Wait for `child` after its stdout was read: (exit code, stderr).
fn wait_code(mut child: Child) -> (i32, String) {
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let status = child.wait().unwrap();
    (status.code().unwrap_or(-1), err)
}

/// Start `neurochip ARGS` and wait until it prints its first line (the training has
/// begun and the signals are caught).
fn start(args: &[&str]) -> (Child, BufReader<std::process::ChildStdout>) {
    let mut child = spawn(args);
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    assert!(first.contains("training"), "first line: {first}");
    (child, out)
}

fn kill(child: &Child, signal: &str) {
    let ok = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    // The run may have ended already; then there is nobody to signal.
    let _ = ok;
}

/// Wait for `child`: (exit code, the rest of stdout, stderr).
fn finish(child: Child, mut out: BufReader<std::process::ChildStdout>) -> (i32, String, String) {
    let mut rest = String::new();
    out.read_to_string(&mut rest).unwrap();
    let (code, err) = wait_code(child);
    (code, rest, err)
}

/// Epochs done that the snapshot `snap` holds, as `neurochip inspect` prints them.
fn snapshot_epochs(snap: &Path) -> u32 {
    let (code, out, err) = run_neurochip(&["inspect", snap.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    out.lines()
        .find_map(|l| l.trim().strip_prefix("epochs"))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no epochs line:\n{out}"))
}

/// Resume `snap` (holding `done` epochs) for the remaining ones and compare with the
/// uninterrupted digest `whole`. With every epoch done there is nothing to resume: the
/// run's own digest (`own`) must be the uninterrupted one.
fn check_resume(dir: &Path, snap: &Path, done: u32, own: &str, whole: &str, what: &str) {
    assert!(done <= EPOCHS, "{what}: {done} epochs done");
    if done == EPOCHS {
        assert_eq!(own, whole, "{what}: a run that finished is the whole run");
        return;
    }
    let rest = config(dir, EPOCHS - done);
    let resumed = digest(&rest, &["--resume", snap.to_str().unwrap()]);
    assert_eq!(
        resumed,
        whole,
        "{what}: resuming {done} epochs with {} more must give the uninterrupted digest",
        EPOCHS - done
    );
}

/// Send `signal` to a training run with `--save` after a random delay within
/// `window`; check the exit code, the snapshot, the run folder and the resume.
/// Returns whether the training was interrupted (rather than whole when the signal
/// came).
fn interrupt_once(
    dir: &Path,
    case: &str,
    signal: &str,
    code: i32,
    window: Duration,
    whole: &str,
) -> bool {
    let cfg = config(dir, EPOCHS);
    let snap = dir.join(format!("{case}.snap"));
    let out = dir.join(format!("{case}-run"));
    let delay = Duration::from_millis(random_below(window.as_millis() as u64));
    let (child, stdout) = start_run(&cfg, &snap, &["--out", out.to_str().unwrap()]);
    std::thread::sleep(delay);
    kill(&child, signal);
    let (got, _, err) = finish(child, stdout);
    let what = format!("{case}: {signal} after {delay:?}");
    eprintln!("{what}: exit {got}");
    // A slow machine can be later than the measured run: a run that ended before the
    // signal came exits 0, whole.
    assert!(
        got == code || got == 0,
        "{what}: exit code {got}; stderr:\n{err}"
    );
    assert!(snap.is_file(), "{what}: no snapshot");
    assert!(!err.contains("panicked"), "{what}: {err}");
    let rep = json(&fs::read_to_string(out.join("report.json")).unwrap());
    assert_eq!(
        fs::read(out.join("config.toml")).unwrap(),
        fs::read(&cfg).unwrap(),
        "{what}: config.toml is the configuration as given"
    );
    let done = snapshot_epochs(&snap);
    assert_eq!(
        rep["epochs_done"], done,
        "{what}: report and snapshot agree"
    );
    let md = fs::read_to_string(out.join("summary.md")).unwrap();
    if rep["interrupted"] == true {
        assert_eq!(
            got, code,
            "{what}: an interrupted run exits with the signal's code"
        );
        assert_eq!(rep["signal"], signal.replace('-', "SIG"), "{what}");
        assert!(md.contains("**Interrupted**"), "{what}: summary.md");
        assert!(
            err.contains("interrupted by") && err.contains("--resume"),
            "{what}: stderr says what was kept:\n{err}"
        );
        assert_eq!(rep["epochs"].as_array().unwrap().len() as u32, done);
        if done > 0 {
            assert!(out.join("accuracy.png").is_file(), "{what}: curves");
        }
    } else {
        // The signal came after the last sample (or after the run): the run is whole.
        assert_eq!(done, EPOCHS, "{what}");
    }
    check_resume(
        dir,
        &snap,
        done,
        rep["digest"].as_str().unwrap(),
        whole,
        &what,
    );
    rep["interrupted"] == true
}

/// One test at a time: the timing of one must not be the load of the other.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// The start of a timed test: its turn (held until it ends), a fresh folder ([`tmp`]:
/// its guard and path), the configuration of [`EPOCHS`] epochs in it and the digest
/// of its uninterrupted run.
fn timed_case(
    case: &str,
) -> (
    std::sync::MutexGuard<'static, ()>,
    TempDir,
    PathBuf,
    PathBuf,
    String,
) {
    let one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let (guard, dir) = tmp(case);
    let cfg = config(&dir, EPOCHS);
    let whole = digest(&cfg, &[]);
    (one, guard, dir, cfg, whole)
}

#[test]
fn sigint_and_sigterm_keep_a_resumable_snapshot() {
    let (_one, _tmp, dir, cfg, whole) = timed_case("signals");
    // How long a run takes from its first line to its exit, plots included: the
    // signals land anywhere in the first 80% of that (a signal after the training,
    // while the plots are drawn, still ends the run with the signal's code).
    let out = dir.join("whole-run");
    let (child, stdout) = start_run(
        &cfg,
        &dir.join("whole.snap"),
        &["--out", out.to_str().unwrap()],
    );
    let t0 = Instant::now();
    let (code, _, err) = finish(child, stdout);
    let window = t0.elapsed().mul_f64(0.8);
    assert_eq!(code, 0, "{err}");
    eprintln!("a whole run: {window:?} x 1/0.8");
    let mut stopped = 0;
    for k in 0..3 {
        stopped += u32::from(interrupt_once(
            &dir,
            &format!("int{k}"),
            "-INT",
            130,
            window,
            &whole,
        ));
    }
    stopped += u32::from(interrupt_once(&dir, "term", "-TERM", 143, window, &whole));
    assert!(stopped > 0, "no signal came during the training");
}

#[test]
fn checkpoints_survive_a_kill() {
    let (_one, _tmp, dir, cfg, whole) = timed_case("checkpoint");
    let snap = dir.join("ck.snap");
    let (child, mut stdout) = start_run(&cfg, &snap, &["--no-out", "--checkpoint-every", "3"]);
    // The checkpoint of epoch 3 is written before its line is printed.
    let mut line = String::new();
    while !line.contains("epoch   3") {
        line.clear();
        assert!(stdout.read_line(&mut line).unwrap() > 0, "the run ended");
    }
    kill(&child, "-KILL");
    let (code, _, _) = finish(child, stdout);
    assert_ne!(code, 0, "killed");
    let done = snapshot_epochs(&snap);
    assert!(
        done == 3 || done == 6,
        "a checkpoint every 3 epochs, got {done}"
    );
    check_resume(&dir, &snap, done, "", &whole, "checkpoint");

    // Without --save there is nowhere to write them: refused before any work, no
    // folder left.
    let out = dir.join("refused");
    let (code, _, err) = run_neurochip(&[
        "run",
        cfg.to_str().unwrap(),
        "--checkpoint-every",
        "2",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(
        err.starts_with("error: ") && err.trim().lines().count() == 1,
        "{err}"
    );
    assert!(
        err.contains("--checkpoint-every") && err.contains("--save"),
        "{err}"
    );
    assert!(!out.exists(), "the refused run left a folder");
}

/// `neurochip run CFG -q --out OUT EXTRA..`, sent SIGINT a random moment (`base` ms
/// plus up to `spread` more) after its run folder is claimed: it must exit 130 and
/// release the folder's lock. Returns its stderr and its `report.json`, which must be
/// marked interrupted by SIGINT.
fn sigint_run(
    cfg: &Path,
    out: &Path,
    extra: &[&str],
    base: u64,
    spread: u64,
) -> (String, serde_json::Value) {
    let child = spawn(&run_args(cfg, "--out", out, extra));
    // The folder (with its lock) is claimed before the first sample.
    let t0 = Instant::now();
    while !out.join(".neurochip.lock").exists() && t0.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(out.exists(), "the run folder was claimed");
    let delay = base + random_below(spread);
    std::thread::sleep(Duration::from_millis(delay));
    kill(&child, "-INT");
    let (code, err) = wait_code(child);
    assert_eq!(code, 130, "after {delay} ms: {err}");
    assert!(
        !out.join(".neurochip.lock").exists(),
        "the lock is released"
    );
    let report = json(&fs::read_to_string(out.join("report.json")).unwrap());
    assert_eq!(report["interrupted"], true, "{report}");
    assert_eq!(report["signal"], "SIGINT", "{report}");
    (err, report)
}

/// `text` with `from` replaced by `to` written as `dir/name`: the plan cut where the
/// interrupted run of `report` stopped, whose chip must be that run's (`what` ran).
fn assert_planned(
    dir: &Path,
    name: &str,
    text: &str,
    (from, to): (&str, &str),
    report: &serde_json::Value,
    what: &str,
) {
    let short = text.replacen(from, to, 1);
    assert_ne!(short, text, "{from}");
    let p = dir.join(name);
    fs::write(&p, short).unwrap();
    assert_eq!(
        digest(&p, &[]),
        report["digest"].as_str().unwrap(),
        "{what}, interrupted or planned, give one chip"
    );
}

/// A reward-learning run stops between two episodes: on SIGINT it finishes the episode
/// under way, saves the chip (`--save`), writes its run folder with a report marked
/// interrupted, says how many episodes ran, and exits 130. The chip it kept is the chip
/// of a run planned with exactly that many episodes (same digest).
#[test]
fn a_reward_run_keeps_its_episodes_on_sigint() {
    let (_tmp, d) = tmp("reward");
    let snap = d.join("reward.snap");
    let cfg = root().join("examples/reward_cue.toml");
    let (err, report) = sigint_run(
        &cfg,
        &d.join("run"),
        &["--save", snap.to_str().unwrap()],
        300,
        700,
    );
    let episodes = report["episodes"].as_u64().unwrap();
    assert!(episodes < 3000, "stopped early: {episodes} episodes");
    let line = format!(
        "interrupted by SIGINT: {episodes} of 3000 learning episodes finished; {} holds",
        snap.display()
    );
    assert!(err.contains(&line), "{err}");
    assert!(snap.exists(), "the snapshot was saved");
    let text = fs::read_to_string(&cfg).unwrap();
    let to = format!("train_samples = {episodes}");
    let what = format!("{episodes} episodes");
    let cut = ("train_samples = 3000", to.as_str());
    assert_planned(&d, "reward_short.toml", &text, cut, &report, &what);
}

/// An inference run stops between two samples as well: on SIGINT it writes the report
/// of the samples that ran, marked interrupted, and exits 130; its chip is the chip of
/// a run planned with that many samples.
#[test]
fn an_inference_run_keeps_its_samples_on_sigint() {
    let (_tmp, d) = tmp("inference");
    let text = fs::read_to_string(root().join("examples/lif.toml")).unwrap();
    let cfg = d.join("lif_long.toml");
    fs::write(&cfg, text.replacen("samples = 1 ", "samples = 100000 ", 1)).unwrap();
    let (err, report) = sigint_run(&cfg, &d.join("run"), &[], 200, 500);
    let samples = report["samples"].as_u64().unwrap();
    assert!(samples < 100_000, "stopped early: {samples} samples");
    let line = format!("interrupted by SIGINT: {samples} of 100000 samples ran");
    assert!(err.contains(&line), "{err}");
    if samples > 0 {
        let to = format!("samples = {samples} ");
        let what = format!("{samples} samples");
        assert_planned(
            &d,
            "lif_short.toml",
            &text,
            ("samples = 1 ", &to),
            &report,
            &what,
        );
    }
}
