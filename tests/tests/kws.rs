//! `[task] kind = "audio"` through the built `neurochip` binary and the host library,
//! on a synthetic Speech Commands folder (`neurochip_tests::spoken_words`): a run that
//! learns, its cycle-model energy, its image (`inspect`, `run-image`), and the
//! refusals a user meets: a folder that is not one, a WAV of another format, a network
//! that does not fit the front end or the classes, image fields no spotter has.

use std::fs;
use std::path::{Path, PathBuf};

use neurochip_core::image;
use neurochip_emu::{build, config, export, learn, HostChip};
use neurochip_tasks::app::{AppSpec, TaskSpec};
use neurochip_tasks::kws::Form;
use neurochip_tests::{run_neurochip as run, spoken_words, spoken_words_and_scratch, temp_dir};

/// A keyword spotter on `folder`: 16 bands at 2 ms (32 inputs), 16 LIF neurons, the
/// exact engine, two epochs; `extra` goes under `[task]`.
fn config_text(folder: &Path, extra: &str) -> String {
    format!(
        "name = \"kws_small\"\nseed = 2\n\
         [network]\ninputs = 32\nneurons = 16\noutputs = 4\ndt_ms = 2.0\ntau_out_ms = 100.0\n\
         w_in_scale = 3.0\n\
         [task]\nkind = \"audio\"\nfolder = {:?}\nkeywords = [\"yes\", \"no\"]\n{extra}\n\
         [audio]\nbands = 16\nsamples_per_step = 32\n\
         [learning]\nengine = \"exact\"\neta = 1e-4\neta_out = 1e-5\neta_bias = 1e-8\n\
         [train]\nepochs = 2\ntrain_samples = 44\ntest_samples = 8\n",
        folder.display().to_string()
    )
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    fs::write(&p, text).unwrap();
    p
}

/// `neurochip ARGS` exits 2 with one line on stderr holding every `want`.
fn refused(args: &[&std::ffi::OsStr], wants: &[&str]) {
    let (code, _, err) = run(args);
    assert_eq!(code, 2, "{args:?}: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(!err.contains("panicked"), "{err}");
    for w in wants {
        assert!(err.contains(w), "expected `{w}` in: {err}");
    }
}

#[test]
fn a_spotter_learns_costs_energy_and_exports_through_the_command_line() {
    let (words_dir, tmp) = spoken_words_and_scratch("cli", 3);
    let (words, dir) = (words_dir.path(), tmp.path());
    let cfg = write(dir, "kws.toml", &config_text(words, "image_clips = 4"));
    let (code, out, err) = run(&["run".as_ref(), cfg.as_os_str(), "--no-out".as_ref()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("on Audio"), "{out}");
    let epochs: Vec<&str> = out.lines().filter(|l| l.contains(" epoch ")).collect();
    assert_eq!(epochs.len(), 2, "{out}");
    // The cycle model costs the same training: energy per inference and per sample.
    let (code, out, err) = run(&[
        "run".as_ref(),
        cfg.as_os_str(),
        "--arch".as_ref(),
        "reckon".as_ref(),
        "--no-out".as_ref(),
    ]);
    assert_eq!(code, 0, "{err}");
    for want in ["energy per inference", "energy per training sample"] {
        assert!(out.contains(want), "{want}: {out}");
    }
    // The image of the untrained chip carries its whole plan: too many clips.
    let img = dir.join("kws.img");
    refused(
        &[
            "export".as_ref(),
            cfg.as_os_str(),
            "-o".as_ref(),
            img.as_os_str(),
        ],
        &[
            "train.train_samples",
            "the plan trains on 88 clips",
            "at most task.image_clips = 4 clips",
        ],
    );
    // The trained chip's image: 4 test clips, as PCM; inspect names them.
    let (code, _, err) = run(&[
        "run".as_ref(),
        cfg.as_os_str(),
        "--export".as_ref(),
        img.as_os_str(),
        "--no-out".as_ref(),
    ]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = run(&["inspect".as_ref(), img.as_os_str()]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains(
            "keyword spotting: 4 clips compiled in (0 training, 4 test) as PCM through the \
             front end; 16 bands, 32 samples a step at 16000 Hz, 500 steps a clip; 4 classes, \
             target over the last 500 steps"
        ),
        "{out}"
    );
    let (code, out, err) = run(&["run-image".as_ref(), img.as_os_str()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("epoch 0 train 0/0 test "), "{out}");
    assert!(out
        .trim_end()
        .ends_with(&out.lines().last().unwrap().to_string()));
}

#[test]
fn bad_folders_files_and_networks_are_refused_in_one_line() {
    let (words_dir, tmp) = spoken_words_and_scratch("bad", 1);
    let (words, dir) = (words_dir.path(), tmp.path());
    let check = |text: &str, wants: &[&str]| {
        let cfg = write(dir, "bad.toml", text);
        refused(&["check".as_ref(), cfg.as_os_str()], wants);
    };
    let good = config_text(words, "");
    let folder = words.display().to_string();
    // No such folder.
    let missing = good.replace(&folder, "/nonexistent/kws");
    check(
        &missing,
        &[
            "task.folder",
            "/nonexistent/kws: cannot read the Speech Commands folder",
        ],
    );
    // A keyword without its folder.
    check(
        &good.replace("[\"yes\", \"no\"]", "[\"yes\", \"up\"]"),
        &["task.folder", "no folder for the keyword \"up\""],
    );
    // The network against the front end and the classes.
    check(
        &good.replace("inputs = 32", "inputs = 64"),
        &["network.inputs", "set network.inputs = 32"],
    );
    check(
        &good.replace("outputs = 4", "outputs = 3"),
        &["network.outputs", "has 4 classes; set network.outputs = 4"],
    );
    // A WAV file of another format, named.
    let bad_wav = words.join("no/spk00000_nohash_0.wav");
    let mut bytes = fs::read(&bad_wav).unwrap();
    bytes[24..28].copy_from_slice(&44_100u32.to_le_bytes());
    bytes[28..32].copy_from_slice(&88_200u32.to_le_bytes());
    fs::write(&bad_wav, &bytes).unwrap();
    check(
        &good,
        &[
            "spk00000_nohash_0.wav: a WAV of 44100 Hz, 1 channel, 16-bit integer; allowed \
             16000 Hz mono 16-bit integer PCM",
        ],
    );
}

/// An image whose application block is `edit`ed from a trained spotter's, re-encoded
/// with a valid CRC.
fn patched(bytes: &[u8], edit: impl FnOnce(&mut AppSpec<'_>)) -> Vec<u8> {
    let d = image::decode(bytes).unwrap();
    let mut app = AppSpec::decode(d.app).unwrap();
    edit(&mut app);
    reencoded(bytes, &app)
}

/// The image `bytes` with the application block `app`, re-encoded with a valid CRC.
fn reencoded(bytes: &[u8], app: &AppSpec<'_>) -> Vec<u8> {
    let (chip, _) = HostChip::open_image(bytes).unwrap();
    let mut block = vec![0u8; image::decode(bytes).unwrap().app.len() + 64];
    let n = app.encode(&mut block).unwrap();
    let (w16, w32, wu) = chip.arenas();
    let mut out = vec![0u8; bytes.len() + 64];
    let len = image::encode(&mut out, chip.config(), &block[..n], w16, w32, wu).unwrap();
    out.truncate(len);
    out
}

#[test]
fn images_of_spotters_are_checked_field_by_field() {
    let words_dir = spoken_words("img", 1);
    let words = words_dir.path();
    let text = config_text(words, "image_clips = 3\nimage_input = \"spikes\"")
        .replace("epochs = 2", "epochs = 1");
    let cfg = config::parse(&text, "kws_img.toml").unwrap();
    let (_, chip) = learn::train_chip(&cfg, true, |_| {}).unwrap();
    let good = export::encode_chip(&cfg, &chip, true).unwrap();
    assert!(export::run_image(&good).is_ok());
    let refusal = |bytes: Vec<u8>| match HostChip::open_image(&bytes) {
        Ok(_) => panic!("accepted"),
        Err(e) => e.to_string(),
    };
    let audio = |app: &mut AppSpec<'_>,
                 f: &mut dyn FnMut(&mut neurochip_tasks::kws::AudioSpec<'_>)| {
        if let TaskSpec::Audio(a) = &mut app.task {
            f(a)
        }
    };
    let e = refusal(patched(&good, |app| audio(app, &mut |a| a.window = 0)));
    assert!(
        e.contains("app.audio.window = 0: the target window lies inside the clip"),
        "{e}"
    );
    let e = refusal(patched(&good, |app| audio(app, &mut |a| a.classes = 5)));
    assert!(
        e.contains("config.n_out = 4: the task's classes each need a readout; allowed 5..="),
        "{e}"
    );
    let e = refusal(patched(&good, |app| app.plan.test_samples = 4));
    assert!(
        e.contains("app.plan.test_samples = 4: more clips than the image carries"),
        "{e}"
    );
    // A label past the classes, in the clip bytes.
    let bad = {
        let d = image::decode(&good).unwrap();
        let mut app = AppSpec::decode(d.app).unwrap();
        let TaskSpec::Audio(a) = &mut app.task else {
            panic!("an audio image")
        };
        assert_eq!(a.form, Form::Spikes);
        let mut bytes = a.data.to_vec();
        bytes[0] = 9;
        let a2 = neurochip_tasks::kws::AudioSpec { data: &bytes, ..*a };
        let app2 = AppSpec {
            task: TaskSpec::Audio(a2),
            plan: app.plan,
        };
        reencoded(&good, &app2)
    };
    let e = refusal(bad);
    assert!(
        e.contains("app.audio.label[0] = 9: a label is one of the task's classes"),
        "{e}"
    );
    // The same bytes through the command line: one line, exit 2.
    let tmp = temp_dir("kws-img");
    let p = tmp.path().join("bad.img");
    fs::write(&p, patched(&good, |app| audio(app, &mut |a| a.window = 0))).unwrap();
    for cmd in ["inspect", "run-image"] {
        refused(&[cmd.as_ref(), p.as_os_str()], &["app.audio.window = 0"]);
    }
    // The task of the configuration is what the image was made from.
    assert!(build::task(&cfg).is_ok());
}

#[test]
fn test_split_validation_tests_on_the_validation_voices() {
    let words_dir = spoken_words("split", 2);
    let words = words_dir.path();
    let listed = |name: &str| fs::read_to_string(words.join(name)).unwrap();
    let (testing, validation) = (listed("testing_list.txt"), listed("validation_list.txt"));
    let corpus_of = |extra: &str| {
        let cfg = config::parse(&config_text(words, extra), "kws.toml").unwrap();
        match build::task(&cfg).unwrap() {
            neurochip_emu::task::Task::Audio { corpus, .. } => corpus,
            _ => unreachable!("an audio task"),
        }
    };
    // Keyword clips of a held-out split are in its list (silence windows and unknown
    // words are drawn from the same split, by position and by hash).
    let in_list = |corpus: &neurochip_emu::kws::Corpus, list: &str| {
        corpus
            .test_clips
            .iter()
            .filter(|c| c.class >= 2)
            .all(|c| list.contains(&*c.path.strip_prefix(words).unwrap().to_string_lossy()))
    };
    let test = corpus_of("");
    let val = corpus_of("test_split = \"validation\"");
    assert!(in_list(&test, &testing) && in_list(&val, &validation));
    assert!(val.test_clips.iter().any(|c| c.class >= 2));
    assert_eq!(test.train_clips, val.train_clips, "the training clips stay");
}
