//! Decay classes in the configuration file (issue 17): `learning.tau_classes` and
//! `network.tau_out_spread` through the real binary (bad values are one line on
//! stderr naming the file and the key, exit code 2), and what the quantiser makes of
//! them: the classes in the exported image, every neuron's decay its class's.

use neurochip_core::image;
use neurochip_emu::{config, export};
use neurochip_tests::run_neurochip as run;

const BASE: &str = "[network]\ninputs = 40\nneurons = 30\noutputs = 10\ntau_m_spread = 0.6\n\
                    tau_out_spread = 0.6\n[task]\nkind = \"cue\"\n[learning]\nengine = \"exact\"\n";

/// `text` written to a file `name` in a fresh temporary folder: (the folder's guard,
/// which removes it when dropped, the file).
fn file(name: &str, text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = neurochip_tests::temp_dir("classes-config");
    let p = dir.path().join(name);
    std::fs::write(&p, text).unwrap();
    (dir, p)
}

fn refused(name: &str, text: &str, wants: &[&str]) {
    let (_dir, p) = file(name, text);
    for cmd in ["check", "run", "verify"] {
        let (code, stdout, stderr) = run(&[cmd, p.to_str().unwrap()]);
        assert_eq!(
            code, 2,
            "{name} ({cmd}): exit {code}, stdout {stdout}, stderr {stderr}"
        );
        assert_eq!(stderr.trim_end().lines().count(), 1, "{name}: {stderr}");
        assert!(stderr.contains(name), "{stderr}");
        for w in wants {
            assert!(
                stderr.contains(w),
                "{name} ({cmd}): expected `{w}` in {stderr}"
            );
        }
    }
}

#[test]
fn bad_class_settings_are_one_line_errors() {
    refused(
        "nine.toml",
        &format!("{BASE}tau_classes = 9\n"),
        &["learning.tau_classes", "allowed 1..=8"],
    );
    refused(
        "zero.toml",
        &format!("{BASE}tau_classes = 0\n"),
        &["learning.tau_classes", "allowed 1..=8"],
    );
    refused(
        "wide.toml",
        &BASE.replace(
            "tau_out_spread = 0.6",
            "tau_out_spread = 1.2\nspread_dist = \"uniform\"",
        ),
        &["network.tau_out_spread", "uniform"],
    );
    // Ten readouts with ten time constants do not fit eight classes.
    refused(
        "readouts.toml",
        BASE,
        &["10 distinct", "learning.tau_classes"],
    );
}

#[test]
fn tau_classes_put_every_unit_in_a_class() {
    let (_dir, p) = file("four.toml", &format!("{BASE}tau_classes = 4\n"));
    let (code, _, stderr) = run(&["check", p.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    let cfg = config::load(&p).unwrap();
    let bytes = export::image_bytes(&cfg).unwrap();
    assert_eq!(
        u16::from_le_bytes([bytes[4], bytes[5]]),
        image::VERSION_CLASSES
    );
    let d = image::decode(&bytes).unwrap();
    let c = d.config;
    let l = c.layout();
    assert_eq!((l.trace_classes, l.readout_classes), (4, 4));
    let mut w16 = vec![0; l.words16()];
    let mut w32 = vec![0; l.words32()];
    let mut wu = vec![0; l.wordsu()];
    d.load(&mut w16, &mut w32, &mut wu).unwrap();
    let mem = neurochip_core::Memory::carve(&l, &mut w16, &mut w32, &mut wu).unwrap();
    let (alpha, kappa) = (c.trace_decays(), c.readout_decays());
    for (j, (&a, &t)) in mem.alpha.iter().zip(mem.tclass.iter()).enumerate() {
        assert_eq!(u32::from(alpha[t as usize]), a, "neuron {j}");
    }
    for (k, (&a, &q)) in mem.kappa.iter().zip(mem.kclass.iter()).enumerate() {
        assert_eq!(u32::from(kappa[q as usize]), a, "readout {k}");
    }
    // The classes span the drawn time constants: the slowest and fastest differ.
    assert!(alpha[..4].iter().min() < alpha[..4].iter().max());
}
