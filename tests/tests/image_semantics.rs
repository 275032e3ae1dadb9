//! Images and snapshots with a valid CRC and impossible contents, through the built
//! `neurochip` binary. Each case starts from a real file (`neurochip export`,
//! `neurochip run --save`), changes one field or memory word, and re-encodes it with
//! the core's encoder or recomputes its CRC, so only the semantic check
//! (`neurochip_core::semantic`, `neurochip_tasks::app::AppSpec::check`) can refuse
//! it. `inspect` and `run-image` must refuse each image alike: exit code 2, the same
//! one line on stderr naming the file, the field or memory word and what is allowed,
//! no panic, the file untouched. A snapshot with a wrapped epoch counter, a step
//! counter the plan would wrap, or a memory word outside its format is refused by
//! `inspect` (the counters; the memories too with `--config`, the configuration it
//! was saved from) and by `run --resume` (all three).

use std::fs;
use std::path::Path;

use neurochip_core::image::{self, crc32};
use neurochip_core::{ChipConfig, Memory};
use neurochip_tasks::app::{AppSpec, PlanSpec, TaskSpec, DIGIT_BYTES};
use neurochip_tests::{root, run_neurochip as run, temp_dir};
use tempfile::TempDir;

/// A training run of a few milliseconds (light engine, one short cue sample).
const TINY: &str = "name = \"tiny\"\nseed = 1\n[network]\ninputs = 40\nneurons = 8\noutputs = 2\n\
[task]\nkind = \"cue\"\nn_cues = 1\ncue_ms = 10\ngap_ms = 5\ndelay_ms = 10\nrecall_ms = 10\n\
[learning]\nengine = \"light\"\n[train]\nepochs = 1\ntrain_samples = 1\ntest_samples = 1\n";

/// An inference chip (no learning engine).
const OFF: &str = "name = \"off\"\nseed = 3\n[network]\ninputs = 40\nneurons = 8\noutputs = 2\n\
[task]\nkind = \"cue\"\nn_cues = 1\ncue_ms = 10\ngap_ms = 5\ndelay_ms = 10\nrecall_ms = 10\n";

/// Inference on three digits compiled into the image.
fn digits_toml() -> String {
    format!(
        "name = \"digits\"\nseed = 5\n[network]\ninputs = 64\nneurons = 8\noutputs = 10\n\
         [task]\nkind = \"digits\"\nsamples = 3\nsteps = 10\nwindow = 5\ndata = \"{}\"\n",
        root().join("data/uci-digits/digits.csv.gz").display()
    )
}

/// `neurochip export` of `toml` into `dir`: the image's bytes.
fn export(dir: &Path, name: &str, toml: &str) -> Vec<u8> {
    let cfg = dir.join(format!("{name}.toml"));
    fs::write(&cfg, toml).unwrap();
    let img = dir.join(format!("{name}.img"));
    let (code, _, err) = neurochip_tests::export_image(&cfg, &img);
    assert_eq!(code, 0, "export {name}: {err}");
    fs::read(&img).unwrap()
}

/// An image taken apart: its configuration, application block and memories.
struct Parts {
    cfg: ChipConfig,
    app: Vec<u8>,
    w16: Vec<i16>,
    w32: Vec<i32>,
    wu: Vec<u32>,
}

impl Parts {
    fn of(bytes: &[u8]) -> Self {
        let d = image::decode(bytes).expect("a good image");
        let (cfg, app) = (d.config, d.app.to_vec());
        let l = cfg.layout();
        let (mut w16, mut w32, mut wu) = (
            vec![0; l.words16()],
            vec![0; l.words32()],
            vec![0; l.wordsu()],
        );
        d.load(&mut w16, &mut w32, &mut wu)
            .expect("a good image loads");
        Self {
            cfg,
            app,
            w16,
            w32,
            wu,
        }
    }

    /// Change memory words through the chip's own view of them.
    fn mem(mut self, edit: impl FnOnce(&mut Memory<'_>)) -> Self {
        let l = self.cfg.layout();
        let mut mem = Memory::carve(&l, &mut self.w16, &mut self.w32, &mut self.wu).unwrap();
        edit(&mut mem);
        self
    }

    /// Change the task or plan.
    fn app(mut self, edit: impl FnOnce(&mut AppSpec<'_>)) -> Self {
        let bytes = self.app.clone();
        let mut spec = AppSpec::decode(&bytes).expect("a good block");
        edit(&mut spec);
        let mut buf = vec![0u8; bytes.len() + 256];
        let n = spec.encode(&mut buf).unwrap();
        self.app = buf[..n].to_vec();
        self
    }

    /// Change the cue task (nothing when the task is another).
    fn cue(self, edit: impl FnOnce(&mut neurochip_tasks::CueConfig)) -> Self {
        self.app(|a| {
            if let TaskSpec::Cue(c) = &mut a.task {
                edit(c);
            }
        })
    }

    /// The image again, with a CRC that checks.
    fn encode(&self) -> Vec<u8> {
        let mut out = vec![
            0u8;
            64 + self.app.len()
                + 2 * self.w16.len()
                + 4 * (self.w32.len() + self.wu.len())
                + 256
        ];
        let n = image::encode(
            &mut out, &self.cfg, &self.app, &self.w16, &self.w32, &self.wu,
        )
        .unwrap();
        out.truncate(n);
        out
    }
}

/// Recompute the CRC at the end of an image (`NCHP`: over bytes `0 .. len - 4`; a
/// snapshot's is the same).
fn recrc(mut v: Vec<u8>) -> Vec<u8> {
    let n = v.len() - 4;
    let crc = crc32(&v[..n]);
    v[n..].copy_from_slice(&crc.to_le_bytes());
    v
}

/// `args` exits with code 2 and exactly one line on stderr, no panic, leaving
/// `file` as it was; returns that line.
fn refused(args: &[&std::ffi::OsStr], file: &Path) -> String {
    let before = fs::read(file).unwrap();
    let (code, _, err) = run(args);
    let what = args
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ");
    assert_eq!(code, 2, "`{what}`: exit code {code}: {err}");
    assert!(!err.contains("panicked"), "`{what}` panicked: {err}");
    assert_eq!(err.lines().count(), 1, "`{what}`: one line: {err}");
    assert_eq!(fs::read(file).unwrap(), before, "`{what}` changed the file");
    err.trim_end().to_string()
}

/// A change to an image's memories.
type Edit = fn(&mut Memory<'_>);

/// Write `bytes` as `dir/name`; `inspect` and `run-image` must both refuse it with
/// the line `error: FILE: image MESSAGE`.
fn case(dir: &Path, name: &str, bytes: &[u8], message: &str) {
    let p = dir.join(name);
    fs::write(&p, bytes).unwrap();
    let want = format!("error: {}: image {message}", p.display());
    let inspect = refused(&["inspect".as_ref(), p.as_os_str()], &p);
    let run_image = refused(&["run-image".as_ref(), p.as_os_str()], &p);
    assert_eq!(inspect, want, "{name}: inspect");
    assert_eq!(
        run_image, inspect,
        "{name}: run-image refuses as inspect does"
    );
    eprintln!("{name}\n    {inspect}");
}

/// The folder of the files written by the cases, removed when the guard is dropped
/// at the end of the test.
fn dir(name: &str) -> TempDir {
    temp_dir(&format!("image-semantics-{name}"))
}

#[test]
fn memories_outside_their_formats_are_refused() {
    let tmp = dir("memories");
    let d = tmp.path();
    let good = export(d, "tiny", TINY);
    // The exported image passes both.
    let p = d.join("tiny.img");
    for cmd in ["inspect", "run-image"] {
        let (code, _, err) = run(&[cmd.as_ref(), p.as_os_str()]);
        assert_eq!(code, 0, "{cmd}: {err}");
    }
    let parts = || Parts::of(&good);
    let edits: [(&str, Edit, &str); 10] = [
        (
            "weight.img",
            |m| m.w_in[5] = 200,
            "arena w_in[5] = 200: outside the weight format; allowed -128..=127",
        ),
        // The recurrent self-connection 0 -> 0 is never connected.
        (
            "masked.img",
            |m| m.w_rec[0] = 3,
            "arena w_rec[0] = 3: the synapse's mask bit is clear (no connection), so its weight \
             is 0; allowed 0..=0",
        ),
        (
            "membrane.img",
            |m| m.v[1] = 1 << 20,
            "arena v[1] = 1048576: outside the membrane format; allowed -32768..=32767",
        ),
        (
            "threshold.img",
            |m| m.thr[7] = -40_000,
            "arena thr[7] = -40000: outside the membrane format; allowed -32768..=32767",
        ),
        (
            "refractory.img",
            |m| m.refr[2] = 5,
            "arena refr[2] = 5: a refractory counter counts down from \
             network.refractory_steps; allowed 0..=2",
        ),
        (
            "decay.img",
            |m| m.alpha[3] = 40_000,
            "arena alpha[3] = 40000: a decay factor exp(-dt/tau) is in [0, 1] (Q1.15 raw); \
             allowed 0..=32768",
        ),
        (
            "trace.img",
            |m| m.zbar[4] = 4096,
            "arena zbar[4] = 4096: outside the trace format (unsigned); allowed 0..=4095",
        ),
        (
            "psi.img",
            |m| m.psi[0] = 70_000,
            "arena psi[0] = 70000: a pseudo-derivative is U4F12 (16 bits); allowed 0..=65535",
        ),
        (
            "readout.img",
            |m| m.bias[1] = i32::MIN,
            "arena bias[1] = -2147483648: outside the readout format; allowed -32768..=32767",
        ),
        (
            "accumulator.img",
            |m| m.acc_in[0] = 40 * 127 + 1,
            "arena acc_in[0] = 5081: a synaptic sum of at most fan-in weights; allowed \
             -5120..=5080",
        ),
    ];
    for (name, edit, message) in edits {
        case(d, name, &parts().mem(edit).encode(), message);
    }
    // The exact engine's eligibility, 24 bits by default.
    let exact = export(d, "exact", &TINY.replace("\"light\"", "\"exact\""));
    case(
        d,
        "eligibility.img",
        &Parts::of(&exact)
            .mem(|m| m.ebar_rec[9] = -(1 << 23) - 1)
            .encode(),
        "arena ebar_rec[9] = -8388609: outside the eligibility format \
         (learning.elig_bits); allowed -8388608..=8388607",
    );
    // A bit past the last of the 8 spike bits, in their word.
    let l = parts().cfg.layout();
    let (z, _) = l.bit_vectors();
    let mut padded = parts();
    padded.wu[z] |= 1 << 9;
    case(
        d,
        "padding.img",
        &padded.encode(),
        "arena z[9] = 1: past the last bit of the vector, in its last word, bits are 0; \
         allowed 0..=0",
    );
    // A configuration field the builder refuses: the trace decay (body offset 42).
    let mut decay = good.clone();
    decay[12 + 42..12 + 44].copy_from_slice(&40_000u16.to_le_bytes());
    case(
        d,
        "config-decay.img",
        &recrc(decay),
        "configuration refused: learning.trace_decay = 40000 is out of range (allowed \
         0..=32768)",
    );
}

#[test]
fn dale_signs_are_kept() {
    let tmp = dir("dale");
    let d = tmp.path();
    let toml = TINY.replace("outputs = 2\n", "outputs = 2\nexcitatory_fraction = 0.75\n");
    let good = export(d, "dale", &toml);
    let parts = Parts::of(&good);
    assert!(parts.cfg.learning().dale);
    // Neuron 0 is excitatory: its row 0 of w_rec holds no negative weight; neuron 7 is
    // inhibitory.
    let exc = parts.cfg.n_rec();
    let k = (1..exc)
        .find(|&j| parts.w_rec(j) > 0)
        .expect("a positive weight");
    let bad = Parts::of(&good).mem(|m| m.w_rec[k] = -1).encode();
    case(
        d,
        "excitatory.img",
        &bad,
        &format!(
            "arena w_rec[{k}] = -1: Dale's law (learning.dale): the neuron of this row is \
             excitatory (exc bit set), its weights are >= 0; allowed 0..=127"
        ),
    );
    let j = 7 * exc + (0..7).find(|&j| parts.w_rec(7 * exc + j) < 0).unwrap();
    let bad = Parts::of(&good).mem(|m| m.w_rec[j] = 1).encode();
    case(
        d,
        "inhibitory.img",
        &bad,
        &format!(
            "arena w_rec[{j}] = 1: Dale's law (learning.dale): the neuron of this row is \
             inhibitory (exc bit clear), its weights are <= 0; allowed -128..=0"
        ),
    );
}

impl Parts {
    /// Recurrent weight `k`.
    fn w_rec(&self, k: usize) -> i16 {
        let (a, _, _) = self.cfg.layout().synapses();
        self.w16[a + k]
    }
}

#[test]
fn plans_against_their_data_and_limits() {
    let tmp = dir("plans");
    let d = tmp.path();
    let tiny = export(d, "tiny", TINY);
    // The plan's counts, each against the limit of its configuration key.
    type PlanCase = (&'static str, fn(&mut PlanSpec), &'static str);
    let plans: [PlanCase; 4] = [
        (
            "epochs.img",
            |p| p.epochs = u32::MAX,
            "app.plan.epochs = 4294967295: beyond the limit of train.epochs; allowed 0..=100000",
        ),
        (
            "test-samples.img",
            |p| p.test_samples = 200_000_000,
            "app.plan.test_samples = 200000000: beyond the limit of train.test_samples; \
             allowed 0..=100000000",
        ),
        (
            "halve-every.img",
            |p| p.halve_every = 100_001,
            "app.plan.halve_every = 100001: beyond the limit of train.halve_rates_every; \
             allowed 0..=100000",
        ),
        (
            "batch.img",
            |p| p.batch = 0,
            "app.plan.batch = 0: beyond the limit of learning.batch; allowed 1..=1000000",
        ),
    ];
    for (file, edit, message) in plans {
        let bytes = Parts::of(&tiny).app(|a| edit(&mut a.plan)).encode();
        case(d, file, &bytes, message);
    }
    case(
        d,
        "inputs.img",
        &Parts::of(&tiny).cue(|c| c.channels_per_pop = 5).encode(),
        "app.cue.inputs = 20: the task drives exactly the chip's input channels \
         (config.n_in); allowed 40..=40",
    );
    case(
        d,
        "cue-dt.img",
        &Parts::of(&tiny).cue(|c| c.dt_ms = 0.0).encode(),
        "app.cue.dt_ms = 0: out of range; allowed finite, 0 < dt_ms <= 1000",
    );
    // A plan whose steps would wrap the step counter: 2e8 samples an epoch of a cue
    // trial of about 4e9 steps.
    let long = Parts::of(&tiny).app(|a| {
        a.plan.train_per_epoch = 100_000_000;
        a.plan.test_samples = 100_000_000;
        a.plan.epochs = 100;
        if let TaskSpec::Cue(c) = &mut a.task {
            c.delay_ms = 4_000_000_000;
        }
    });
    let steps = match AppSpec::decode(&long.app).unwrap().task {
        TaskSpec::Cue(c) => u64::from(c.sample(0).steps()),
        _ => unreachable!(),
    };
    case(
        d,
        "steps.img",
        &long.encode(),
        &format!(
            "app.plan.epochs = 100: epochs * (train_per_epoch + test_samples) * steps per \
             sample would wrap the 64-bit step counter; allowed 0..={}",
            u64::MAX / (200_000_000 * steps)
        ),
    );
    // A plan that learns on a chip without a learning engine.
    let off = export(d, "off", OFF);
    case(
        d,
        "learn.img",
        &Parts::of(&off).app(|a| a.plan.learn = true).encode(),
        "app.plan.learn = 1: the chip has no learning engine (learning.engine = off); \
         allowed 0..=0",
    );
    // Digits: three compiled in.
    let digits = export(d, "digits", &digits_toml());
    let parts = Parts::of(&digits);
    let spec = AppSpec::decode(&parts.app).unwrap();
    let TaskSpec::Digits { data, .. } = spec.task else {
        panic!("a digits image")
    };
    assert_eq!(data.len(), 3 * DIGIT_BYTES);
    assert_eq!((spec.plan.samples, spec.plan.test_samples), (3, 0));
    case(
        d,
        "digits-tests.img",
        &Parts::of(&digits).app(|a| a.plan.test_samples = 8).encode(),
        "app.plan.test_samples = 8: more digits than the image carries \
         (app.digits.count); allowed 0..=3",
    );
    case(
        d,
        "digits-samples.img",
        &Parts::of(&digits).app(|a| a.plan.samples = 4).encode(),
        "app.plan.samples = 4: more digits than the image carries (app.digits.count); \
         allowed 0..=3",
    );
    // The label of the second digit, byte 64 + 65 of the data.
    let label = Parts::of(&digits).app(|a| {
        if let TaskSpec::Digits { data, .. } = &mut a.task {
            let mut v = data.to_vec();
            v[DIGIT_BYTES + 64] = 12;
            *data = Box::leak(v.into_boxed_slice());
        }
    });
    case(
        d,
        "digits-label.img",
        &label.encode(),
        "app.digits.data[129] = 12: a label is a digit class; allowed 0..=9",
    );
}

/// The payload of a snapshot starts after its 16-byte header: configuration hash (4),
/// PRNG (4), steps (8), digest (8), epochs done (4), word counts (12), then `w_in`.
const STEPS: usize = 16 + 8;
const EPOCHS_DONE: usize = 16 + 24;
const W_IN: usize = 16 + 40;

#[test]
fn snapshot_counters_and_memories() {
    let tmp = dir("snapshots");
    let d = tmp.path();
    let cfg = d.join("tiny.toml");
    fs::write(&cfg, TINY).unwrap();
    let good = d.join("good.snap");
    let (code, _, err) = run(&[
        "run".as_ref(),
        cfg.as_os_str(),
        "-q".as_ref(),
        "--no-out".as_ref(),
        "--save".as_ref(),
        good.as_os_str(),
    ]);
    assert_eq!(code, 0, "{err}");
    let snap = fs::read(&good).unwrap();
    let steps = u64::from_le_bytes(snap[STEPS..STEPS + 8].try_into().unwrap());
    assert_eq!(
        u32::from_le_bytes(snap[EPOCHS_DONE..EPOCHS_DONE + 4].try_into().unwrap()),
        1
    );
    let patched = |name: &str, at: usize, bytes: &[u8]| {
        let mut v = snap.clone();
        v[at..at + bytes.len()].copy_from_slice(bytes);
        let p = d.join(name);
        fs::write(&p, recrc(v)).unwrap();
        p
    };
    let resume = |p: &Path| {
        refused(
            &[
                "run".as_ref(),
                cfg.as_os_str(),
                "-q".as_ref(),
                "--no-out".as_ref(),
                "--resume".as_ref(),
                p.as_os_str(),
            ],
            p,
        )
    };
    // `p` refused by inspect and by --resume, with the line `msg`.
    let refused_both = |p: &Path, msg: &str| {
        assert_eq!(
            refused(&["inspect".as_ref(), p.as_os_str()], p),
            format!("error: {}: {msg}", p.display())
        );
        assert_eq!(
            resume(p),
            format!("error: {}: --resume: {msg}", p.display())
        );
    };
    // A wrapped epoch counter.
    let p = patched("wrapped.snap", EPOCHS_DONE, &u32::MAX.to_le_bytes());
    refused_both(
        &p,
        "snapshot epochs_done = 4294967295: the epoch counter leaves room for a resumed run \
         of train.epochs more (it would wrap); allowed 0..=4294867295",
    );
    // More epochs done than steps taken.
    let p = patched(
        "epochs.snap",
        EPOCHS_DONE,
        &(u32::try_from(steps).unwrap() + 1).to_le_bytes(),
    );
    refused_both(
        &p,
        &format!(
            "snapshot epochs_done = {}: more epochs than the chip took steps (each epoch \
             takes at least one step); allowed 0..={steps}",
            steps + 1
        ),
    );
    // A step counter the plan's steps would wrap: inspect shows it (it does not know
    // the plan), --resume refuses it.
    let p = patched("steps.snap", STEPS, &(u64::MAX - 10).to_le_bytes());
    let (code, _, err) = run(&["inspect".as_ref(), p.as_os_str()]);
    assert_eq!(code, 0, "{err}");
    let line = resume(&p);
    assert!(
        line.starts_with(&format!(
            "error: {}: --resume: snapshot steps = 18446744073709551605: the plan's steps \
             would wrap the 64-bit step counter; allowed 0..=",
            p.display()
        )),
        "{line}"
    );
    // A weight outside the weight format: refused by --resume, and by inspect given
    // the configuration (the snapshot holds only its hash).
    let p = patched("weight.snap", W_IN, &300i16.to_le_bytes());
    assert_eq!(
        resume(&p),
        format!(
            "error: {}: --resume: snapshot arena w_in[0] = 300: outside the weight format; \
             allowed -128..=127",
            p.display()
        )
    );
    let with_config = |p: &Path| {
        refused(
            &[
                "inspect".as_ref(),
                p.as_os_str(),
                "--config".as_ref(),
                cfg.as_os_str(),
            ],
            p,
        )
    };
    assert_eq!(
        with_config(&p),
        format!(
            "error: {}: snapshot arena w_in[0] = 300: outside the weight format; allowed \
             -128..=127",
            p.display()
        )
    );
    let (code, out, err) = run(&[
        "inspect".as_ref(),
        good.as_os_str(),
        "--config".as_ref(),
        cfg.as_os_str(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("memories   in their formats, for the chip of"),
        "{out}"
    );
    // Another configuration's chip: the hash differs.
    let other = d.join("other.toml");
    fs::write(&other, TINY.replace("seed = 1", "seed = 2")).unwrap();
    let line = refused(
        &[
            "inspect".as_ref(),
            good.as_os_str(),
            "--config".as_ref(),
            other.as_os_str(),
        ],
        &good,
    );
    assert!(
        line.ends_with("another configuration (its hash differs)"),
        "{line}"
    );
}
