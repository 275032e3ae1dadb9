//! Reward-based cue accumulation and navigation on the firmware: a `[reward]` configuration exported
//! as a chip image runs on the Cortex-M4 under QEMU exactly as on the host, through the
//! same run loop (`neurochip_tasks::runner::run_app`), bit for bit.

use neurochip_emu::{config, export, reward};
use neurochip_tests::{check_golden, root};

/// A reward configuration exported as an image (application kind 3, firmware feature
/// `reward`): `neurochip run`
/// (the host library), `run-image` and the Cortex-M4 under QEMU run the same plan
/// through the same loop and give the same digest and lines.
#[test]
fn reward_image_runs_the_same_on_host_and_firmware() {
    for name in ["reward_cue", "reward_nav"] {
        same_on_host_and_firmware(name);
    }
}

fn same_on_host_and_firmware(name: &str) {
    let cfg = config::load(&root().join(format!("tests/firmware/{name}.toml"))).unwrap();
    let (rep, _) = reward::train_chip(&cfg, None, &|| None, |_, _| {}).unwrap();
    let bytes = export::image_bytes(&cfg).unwrap();
    let host = export::run_image(&bytes).unwrap();
    assert_eq!(
        host.last().unwrap(),
        &format!("digest {}", rep.digest),
        "{name}"
    );
    assert_eq!(&host[1..host.len() - 1], rep.lines.as_slice(), "{name}");
    let dir = neurochip_tests::temp_dir("fw-reward");
    let img = dir.path().join(format!("{name}.img"));
    export::write_atomic(&img, &bytes).unwrap();
    let fw = root().join("firmware");
    let build = std::process::Command::new("cargo")
        .args(["build", "--release", "--quiet", "--features", "reward"])
        .current_dir(&fw)
        .env("NEUROCHIP_IMAGE", &img)
        .env_remove("CARGO_TARGET_DIR")
        .status()
        .expect("cargo runs");
    assert!(build.success(), "firmware build failed");
    let run = neurochip_tests::run_qemu(
        &fw.join("target/thumbv7em-none-eabihf/release/neurochip-firmware"),
    );
    assert_eq!(run.status.code(), Some(0), "{name}");
    let out = String::from_utf8_lossy(&run.stdout).into_owned();
    assert_eq!(
        out,
        host.join("\n") + "\n",
        "{name}: firmware differs from run-image"
    );
    check_golden(&format!("firmware/{name}.run"), &out);
}
