//! Host against firmware: each configuration in `tests/firmware/` is exported to a
//! chip image, embedded in the firmware, run under QEMU mps2-an386, and must print
//! exactly the digest, spike counts and accuracies the host computes. The firmware's
//! output is also diffed byte for byte against `tests/golden/firmware/NAME.run`
//! (re-record with UPDATE_GOLDEN=1). Bad images (truncated, a flipped bit, a wrong
//! version) are refused by the firmware (non-zero exit) and by the host.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, MutexGuard, PoisonError};

use neurochip_emu::config::{self, Engine};
use neurochip_emu::{export, learn, sim};
use neurochip_tests::{check_golden, root, temp_dir};

fn firmware_dir() -> PathBuf {
    root().join("firmware")
}

/// The tests of this file run in parallel, and all of them rebuild the one firmware
/// ELF around their own image: a test holds this from its build until it has run or
/// measured what it built.
static FIRMWARE: Mutex<()> = Mutex::new(());

/// Build the firmware for a board profile around `image`; the ELF stays as built
/// while the guard is held.
fn build_firmware(image: &Path, features: &[&str]) -> MutexGuard<'static, ()> {
    let built = FIRMWARE.lock().unwrap_or_else(PoisonError::into_inner);
    let build = Command::new("cargo")
        .args(["build", "--release", "--quiet"])
        .args(features)
        .current_dir(firmware_dir())
        .env("NEUROCHIP_IMAGE", image)
        .env_remove("CARGO_TARGET_DIR")
        .status()
        .expect("cargo runs");
    assert!(
        build.success(),
        "firmware build failed for {}",
        image.display()
    );
    built
}

/// `text`, `rodata` and `bss` of the built image firmware.
fn sizes() -> String {
    neurochip_tests::elf_size(
        &firmware_dir().join("target/thumbv7em-none-eabihf/release/neurochip-firmware"),
    )
}

/// Build the firmware around `image` and run it under QEMU: (exit code, stdout).
fn run_firmware(image: &Path) -> (i32, String) {
    run_firmware_with(image, &[])
}

/// The same with extra cargo arguments (features). The ELF is copied out, into a
/// temporary folder of this call's own, while the build's guard is held, and QEMU runs
/// the copy after it is released, beside the next test's build.
fn run_firmware_with(image: &Path, features: &[&str]) -> (i32, String) {
    let copy = temp_dir("firmware-elf");
    let elf = copy.path().join("firmware.elf");
    {
        let _built = build_firmware(image, features);
        let built = firmware_dir().join("target/thumbv7em-none-eabihf/release/neurochip-firmware");
        std::fs::copy(built, &elf).expect("copy the firmware ELF");
    }
    let out = neurochip_tests::run_qemu(&elf);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// What the host computes for a configuration, in the firmware's words.
fn host_expected(name: &str) -> (String, Vec<String>) {
    let cfg = config::load(&root().join("tests/firmware").join(format!("{name}.toml"))).unwrap();
    if cfg.learning.engine == Engine::Off {
        let r = sim::run(&cfg, None).unwrap();
        (r.digest, vec![format!("spikes {}", r.spikes)])
    } else {
        let (r, _) = learn::train_chip(&cfg, true, |_| {}).unwrap();
        let lines = r
            .epochs
            .iter()
            .map(|e| {
                let n = e.test.samples;
                format!(
                    "test {}/{}",
                    (e.test.accuracy * n as f64).round() as usize,
                    n
                )
            })
            .collect();
        (r.digest, lines)
    }
}

/// Run the firmware on `img`, the image of `tests/firmware/<name>.toml`: it must exit
/// with 0 and print the host's digest. (output, digest, the host's other facts).
fn firmware_matches_host_digest(name: &str, img: &Path) -> (String, String, Vec<String>) {
    let (code, out) = run_firmware(img);
    assert_eq!(code, 0, "{name}: firmware exit code {code}, output:\n{out}");
    let (digest, facts) = host_expected(name);
    assert!(
        out.contains(&format!("digest {digest}")),
        "{name}: host digest {digest}, firmware said:\n{out}"
    );
    (out, digest, facts)
}

fn export_image(name: &str, dir: &Path) -> PathBuf {
    let cfg = config::load(&root().join("tests/firmware").join(format!("{name}.toml"))).unwrap();
    let bytes = export::image_bytes(&cfg).unwrap();
    let p = dir.join(format!("{name}.img"));
    export::write_atomic(&p, &bytes).unwrap();
    p
}

/// Stochastic synaptic release and rewiring (issue 8): their settings travel in the
/// image (format version 3), and the firmware computes the host's bits: the same
/// digest, test scores and lines as `run-image` on the host.
#[test]
fn firmware_is_bit_identical_with_release_and_rewiring() {
    let dir = temp_dir("fw-syn");
    for name in ["release", "rewire"] {
        let (bytes, digest) = firmware_runs_like_run_image(name, dir.path());
        assert_eq!(
            u16::from_le_bytes([bytes[4], bytes[5]]),
            3,
            "{name}: version"
        );
        eprintln!("{name}: firmware digest {digest} = host");
    }
}

/// Build the firmware around the image of `tests/firmware/<name>.toml` and check it
/// against the host: exit 0, the host's digest and test lines, and every line of
/// `run-image` on the same bytes. (image bytes, digest).
fn firmware_runs_like_run_image(name: &str, dir: &Path) -> (Vec<u8>, String) {
    let img = export_image(name, dir);
    let bytes = std::fs::read(&img).unwrap();
    let (out, digest, facts) = firmware_matches_host_digest(name, &img);
    for f in &facts {
        assert!(
            out.contains(f.as_str()),
            "{name}: host {f}, firmware said:\n{out}"
        );
    }
    let host = export::run_image(&bytes).unwrap();
    assert_eq!(
        out,
        host.join("\n") + "\n",
        "{name}: host run-image differs"
    );
    (bytes, digest)
}

/// `name`'s image on the firmware, as `run-image` runs it (`firmware_runs_like_run_image`);
/// and its configuration with `change` made learns something else (another digest),
/// so that `what` took effect. Returns the image's bytes.
fn runs_and_matters(name: &str, what: &str, change: impl FnOnce(&mut config::Config)) -> Vec<u8> {
    let dir = temp_dir(&format!("fw-{name}"));
    let (bytes, digest) = firmware_runs_like_run_image(name, dir.path());
    let mut cfg = config::load(&root().join(format!("tests/firmware/{name}.toml"))).unwrap();
    change(&mut cfg);
    let (other, _) = learn::train_chip(&cfg, true, |_| {}).unwrap();
    assert_ne!(other.digest, digest, "{what} changed nothing");
    eprintln!("{name}: firmware digest {digest} = host");
    bytes
}

/// `apply = "readout"` (the default job's mode): the hidden weights learn online while
/// the readout's updates wait in their accumulators for the end of the sample. The
/// image carries the mode, the firmware computes the host's bits, and holding the
/// readout changes what is learned (the digest differs from the online plan).
#[test]
fn firmware_holds_the_readout_updates_like_the_host() {
    let bytes = runs_and_matters("readout", "the mode", |c| {
        c.learning.apply = neurochip_core::Apply::Online;
    });
    let d = neurochip_core::image::decode(&bytes).unwrap();
    assert_eq!(d.config.learning().apply, neurochip_core::Apply::Readout);
}

/// A learning-rate schedule travels in the image's plan: the firmware halves the rates
/// at the epochs the host does (the same digest and lines as `run-image`), and the
/// schedule changes what is learned (the digest differs from the same plan without
/// it). The chip, an exact LIF chip on cue trials, also runs its eligibility only from
/// its horizon (`ChipConfig::eligibility_horizon`) before the recall window, on both
/// sides: 319 steps before step 2,100.
#[test]
fn firmware_follows_the_learning_rate_schedule() {
    let bytes = runs_and_matters("schedule", "the schedule", |c| {
        c.train.halve_rates_every = 0
    });
    let d = neurochip_core::image::decode(&bytes).unwrap();
    assert_eq!(d.config.eligibility_horizon(), Some(319));
}

/// Decay classes (issue 17, `neurochip_core::classes`): a chip with 3 membrane and 2
/// readout classes travels in an image of format version 4, and the firmware computes
/// the host's bits (digest, test scores, every line of `run-image`).
#[test]
fn firmware_is_bit_identical_with_decay_classes() {
    let dir = temp_dir("fw-cls");
    let (bytes, digest) = firmware_runs_like_run_image("classes", dir.path());
    assert_eq!(u16::from_le_bytes([bytes[4], bytes[5]]), 4, "version");
    let d = neurochip_core::image::decode(&bytes).unwrap();
    let l = d.config.layout();
    assert_eq!((l.trace_classes, l.readout_classes), (3, 2));
    eprintln!("classes: firmware digest {digest} = host");
}

#[test]
fn firmware_is_bit_identical_to_the_host_and_refuses_bad_images() {
    let tmp = temp_dir("fw");
    let dir = tmp.path();
    for name in ["lif", "alif_exact", "light", "sparse_ei"] {
        let img = export_image(name, dir);
        let (out, _, facts) = firmware_matches_host_digest(name, &img);
        for f in &facts {
            if let Some(spikes) = f.strip_prefix("spikes ") {
                let total: u64 = out
                    .lines()
                    .filter_map(|l| l.split("spikes ").nth(1))
                    .map(|s| s.trim().parse::<u64>().unwrap())
                    .sum();
                assert_eq!(total.to_string(), spikes, "{name}: spike counts");
            } else {
                assert!(
                    out.contains(f.as_str()),
                    "{name}: host {f}, firmware said:\n{out}"
                );
            }
        }
        // The host runs the same image through the same loop: the same bytes.
        let host = export::run_image(&std::fs::read(&img).unwrap()).unwrap();
        assert_eq!(
            out,
            host.join("\n") + "\n",
            "{name}: host run-image differs"
        );
        check_golden(&format!("firmware/{name}.run"), &out);
    }
    // Digits: trained on the host, exported with 50 test digits compiled in, inference
    // on the firmware.
    let cfg = config::load(&root().join("tests/firmware/digits.toml")).unwrap();
    let (rep, chip) = learn::train_chip(&cfg, true, |_| {}).unwrap();
    let img = dir.join("digits.img");
    export::write_atomic(&img, &export::encode_chip(&cfg, &chip, true).unwrap()).unwrap();
    let (code, out) = run_firmware(&img);
    assert_eq!(code, 0, "digits: {out}");
    let host = export::run_image(&std::fs::read(&img).unwrap()).unwrap();
    assert_eq!(
        out,
        host.join("\n") + "\n",
        "digits: host run-image differs"
    );
    let correct: usize = out
        .lines()
        .find_map(|l| l.split("test ").nth(1))
        .and_then(|t| t.split('/').next())
        .and_then(|c| c.parse().ok())
        .unwrap();
    eprintln!(
        "digits on the firmware: {correct}/50, host test accuracy {:.3}",
        rep.test_accuracy
    );
    assert!(
        correct >= 35,
        "the trained chip must classify most digits: {correct}/50"
    );
    check_golden("firmware/digits.run", &out);
    // Bad images: the firmware refuses them with a message and a failure exit code.
    let good = std::fs::read(export_image("lif", dir)).unwrap();
    let mut flipped = good.clone();
    flipped[100] ^= 0x04;
    let mut version = good.clone();
    version[4] = 9;
    let cases: [(&str, Vec<u8>, &str); 3] = [
        ("truncated", good[..good.len() - 10].to_vec(), "truncated"),
        ("flipped", flipped, "CRC mismatch"),
        ("version", version, "version 9 is not supported"),
    ];
    for (what, bytes, msg) in cases {
        let p = dir.join(format!("bad-{what}.img"));
        std::fs::write(&p, &bytes).unwrap();
        let (code, out) = run_firmware(&p);
        assert_ne!(code, 0, "{what}: the firmware must fail");
        assert!(
            out.contains("error: chip image refused") && out.contains(msg),
            "{what}: {out}"
        );
        let err = match neurochip_core::image::decode(&bytes) {
            Ok(_) => panic!("{what}: the host accepted a bad image"),
            Err(e) => e.to_string(),
        };
        assert!(err.contains(msg), "{what}: host says {err}");
    }
    // Learned state across a reset: the firmware saves its state to the A/B slots,
    // resets the core, and at boot restores the newest valid slot.
    let default = firmware_dir().join("images/default.img");
    let (code, out) = run_firmware_with(&default, &["--features", "persist"]);
    assert_eq!(code, 0, "persist: {out}");
    let saved = out
        .lines()
        .find_map(|l| l.strip_prefix("saved snapshot "))
        .expect("saved");
    let restored = out
        .lines()
        .find_map(|l| l.strip_prefix("restored snapshot "))
        .expect("restored");
    assert_eq!(
        saved, restored,
        "the restored registers equal the saved ones"
    );
    // Footprint of the default image in both board profiles, tracked in a golden file.
    let qemu = {
        let _built = build_firmware(&default, &[]);
        sizes()
    };
    let board = {
        let _built = build_firmware(
            &default,
            &["--no-default-features", "--features", "stm32f411"],
        );
        sizes()
    };
    neurochip_tests::check_size_golden(
        "firmware/default.size",
        &format!("qemu {qemu}\nstm32f411 {board}\n"),
    );
}
