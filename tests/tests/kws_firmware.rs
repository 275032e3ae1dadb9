//! A keyword spotter on the firmware. A small chip learns spoken words on the host
//! (a synthetic Speech Commands folder, `neurochip_tests::spoken_words`), and its
//! image runs inference under QEMU on 5 test clips compiled in, (a) as the front
//! end's spikes and (b) as raw PCM that the Cortex-M4 runs through the front end
//! (`neurochip_core::audio`) step by step. Both print the lines of `neurochip
//! run-image` and the digest of the host's own test of the trained chip on the same
//! clips from its cached spike trains: the M4's front end hears what the host's does.
//! The PCM run is diffed against `tests/golden/firmware/kws.run`.

use std::path::{Path, PathBuf};
use std::process::Command;

use neurochip_emu::config::{self, Config};
use neurochip_emu::confusion::confusion_on;
use neurochip_emu::{build, export, learn, HostChip};
use neurochip_tests::{check_golden, root, spoken_words_and_scratch};

/// 16 bands at 2 ms steps (32 inputs, 500 steps a clip), 24 LIF neurons, the light
/// engine; 5 test clips in an image.
fn kws_config(folder: &Path, image_input: &str) -> Config {
    let text = format!(
        "name = \"kws_fw\"\nseed = 3\n\
         [network]\ninputs = 32\nneurons = 24\noutputs = 4\ndt_ms = 2.0\ntau_m_ms = 20.0\n\
         tau_out_ms = 100.0\nw_in_scale = 3.0\nw_rec_scale = 0.3\n\
         [task]\nkind = \"audio\"\nfolder = {:?}\nkeywords = [\"yes\", \"no\"]\n\
         image_input = \"{image_input}\"\nimage_clips = 5\n\
         [audio]\nbands = 16\nsamples_per_step = 32\ntheta_on_db = 2.0\ntheta_off_db = 2.0\n\
         [learning]\nengine = \"light\"\napply = \"sample\"\neta = 2e-5\neta_bias = 1e-7\n\
         [train]\nepochs = 3\ntrain_samples = 44\ntest_samples = 8\n",
        folder.display().to_string()
    );
    config::parse(&text, "kws_fw.toml").unwrap_or_else(|e| panic!("{e}"))
}

/// Build the firmware with the `audio` feature around `image` and run it under QEMU:
/// (exit code, stdout).
fn firmware(image: &Path) -> (i32, String) {
    let dir = root().join("firmware");
    let ok = Command::new("cargo")
        .args(["build", "--release", "--quiet", "--features", "audio"])
        .current_dir(&dir)
        .env("NEUROCHIP_IMAGE", image)
        .env_remove("CARGO_TARGET_DIR")
        .status()
        .expect("cargo runs")
        .success();
    assert!(ok, "firmware build failed for {}", image.display());
    let out = neurochip_tests::run_qemu(
        &dir.join("target/thumbv7em-none-eabihf/release/neurochip-firmware"),
    );
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// The chip of an image, tested on the first `n` test clips on the host from the
/// cached spike trains of `cfg`'s task, through the run loop: (correct, digest).
fn host_test(cfg: &Config, image: &[u8], n: u32) -> (usize, u64) {
    let task = build::task(cfg).unwrap();
    let (mut chip, _) = HostChip::open_image(image).unwrap();
    let c = confusion_on(&mut chip, &task, n as usize).unwrap();
    assert_eq!(c.total(), n, "every clip ran");
    (c.correct() as usize, chip.digest())
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    export::write_atomic(&p, bytes).unwrap();
    p
}

#[test]
fn a_trained_keyword_spotter_hears_on_the_firmware_from_pcm_and_from_spikes() {
    let (words_dir, tmp) = spoken_words_and_scratch("fw", 3);
    let (words, dir) = (words_dir.path(), tmp.path());
    let cfg = kws_config(words, "pcm");
    let (rep, chip) = learn::train_chip(&cfg, true, |_| {}).unwrap();
    eprintln!(
        "kws_fw: host test accuracy {:.3} on {} clips",
        rep.test_accuracy, cfg.train.test_samples
    );
    let pcm = export::encode_chip(&cfg, &chip, true).unwrap();
    let (correct, digest) = host_test(&cfg, &pcm, 5);
    let spikes = export::encode_chip(&kws_config(words, "spikes"), &chip, true).unwrap();
    // A clip is 32,000 bytes of PCM, or 500 steps of 32 spike bits.
    assert_eq!(pcm.len() - spikes.len(), 5 * (32_000 - 500 * 4));
    let host = export::run_image(&pcm).unwrap();
    assert_eq!(host, export::run_image(&spikes).unwrap(), "forms differ");
    let want_digest = format!("digest {digest:016x}");
    let want_test = format!("test {correct}/5");
    assert!(host.contains(&want_digest), "{host:?} {want_digest}");
    assert!(host.iter().any(|l| l.ends_with(&want_test)), "{host:?}");
    for (name, bytes) in [("pcm", &pcm), ("spikes", &spikes)] {
        let img = write(dir, &format!("kws_{name}.img"), bytes);
        let (code, out) = firmware(&img);
        assert_eq!(code, 0, "{name}: {out}");
        assert_eq!(
            out,
            host.join("\n") + "\n",
            "{name}: firmware and host differ"
        );
        if name == "pcm" {
            check_golden("firmware/kws.run", &out);
        }
    }
    eprintln!("kws_fw: firmware from PCM and from spikes: {want_test}, {want_digest}");
    assert!(
        correct >= 3,
        "the trained spotter hears most clips: {correct}/5"
    );
}
