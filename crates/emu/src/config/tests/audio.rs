//! `[task] kind = "audio"` and `[audio]`: defaults, ranges in real units, the time
//! step the front end fixes, the keyword list, and the keys refused across kinds.

use super::super::*;
use super::refused;

/// A keyword spotter with `task` keys and `rest` after its `[task]`.
fn kws(task: &str, rest: &str) -> String {
    format!(
        "[network]\ninputs = 64\nneurons = 20\noutputs = 12\n[task]\nkind = \"audio\"\n{task}\n{rest}"
    )
}

#[test]
fn defaults_are_the_recipe_and_the_front_ends() {
    let c = parse(&kws("", ""), "x.toml").unwrap();
    assert_eq!(c.task.kind, TaskKind::Audio);
    let a = c.task.audio.expect("audio keys");
    assert_eq!(a.folder, "data/kws");
    assert_eq!(a.keywords, crate::speech::KEYWORDS);
    assert_eq!((a.silence_percent, a.unknown_percent), (10.0, 10.0));
    assert_eq!((a.train_clips, a.test_clips), (1_000_000, 1_000_000));
    assert_eq!((a.window_ms, a.image_clips), (1000, 10));
    assert_eq!(a.image_input, ImageInput::Pcm);
    assert_eq!(a.test_split, TestSplit::Test);
    assert_eq!(
        a.front_end.settings(),
        neurochip_ref::audio::Settings::default()
    );
    // Other kinds have none.
    let cue = parse(super::OK, "x.toml").unwrap();
    assert!(cue.task.audio.is_none());
    // Every key given.
    let c = parse(
        &kws(
            "folder = \"f\"\nkeywords = [\"yes\", \"no\"]\nsilence_percent = 5.0\n\
             unknown_percent = 0.0\ntrain_clips = 100\ntest_clips = 50\nwindow_ms = 300\n\
             image_input = \"spikes\"\nimage_clips = 5\ntest_split = \"validation\"",
            "[audio]\nbands = 16\nf_lo = 60.0\nf_hi = 7900.0\nsamples_per_step = 32\n\
             pre_emphasis = 0.0\nenv_tau_ms = 8.0\nfloor_dbfs = -70.0\ntheta_on_db = 1.5\n\
             theta_off_db = 4.0\n",
        )
        .replace("[task]", "dt_ms = 2.0\n[task]"),
        "x.toml",
    )
    .unwrap();
    let a = c.task.audio.unwrap();
    assert_eq!(a.keywords, ["yes", "no"]);
    assert_eq!((a.train_clips, a.test_clips, a.window_ms), (100, 50, 300));
    assert_eq!((a.image_input, a.image_clips), (ImageInput::Spikes, 5));
    assert_eq!(a.test_split, TestSplit::Validation);
    let s = a.front_end.settings();
    assert_eq!((s.bands, s.samples_per_step), (16, 32));
    assert_eq!((s.f_lo, s.f_hi, s.pre_emphasis), (60.0, 7900.0, 0.0));
    assert_eq!((s.env_tau_ms, s.floor_dbfs), (8.0, -70.0));
    assert_eq!((s.theta_on_db, s.theta_off_db), (1.5, 4.0));
}

#[test]
fn audio_keys_are_refused_for_other_kinds_and_theirs_for_audio() {
    refused(
        &format!("{}folder = \"data/kws\"\n", super::OK),
        "task.folder",
        "task.kind = \"cue\" does not read this key (only kind = \"audio\" reads it)",
    );
    refused(
        &format!("{}[audio]\nbands = 16\n", super::OK),
        "audio",
        "[audio] is the front end of task.kind = \"audio\", not of \"cue\"",
    );
    refused(
        &kws("window = 10", ""),
        "task.window",
        "allowed with \"audio\": kind, samples, folder, keywords, silence_percent, \
         unknown_percent, train_clips, test_clips, test_split, window_ms, image_input, \
         image_clips",
    );
    refused(
        &kws("", "[audio]\nbandz = 16\n"),
        "audio.bandz",
        "did you mean `bands`?",
    );
}

#[test]
fn front_end_settings_are_checked_in_real_units() {
    let a = |kv: &str| kws("", &format!("[audio]\n{kv}\n"));
    for (kv, field, want) in [
        (
            "samples_per_step = 12",
            "audio.samples_per_step",
            "12 is out of range; allowed a power of two, 1..=64 (16 = 1 ms at 16 kHz)",
        ),
        (
            "f_lo = 5000.0\nf_hi = 4000.0",
            "audio.f_lo",
            "5000.0 is out of range; allowed 0 < f_lo < f_hi (4000)",
        ),
        ("f_hi = 8000.0", "audio.f_hi", "8000.0 is out of range"),
        ("bands = 65", "audio.bands", "allowed 1..=64"),
        ("pre_emphasis = 1.0", "audio.pre_emphasis", "out of range"),
        ("floor_dbfs = 3.0", "audio.floor_dbfs", "out of range"),
        ("theta_on_db = 0.0", "audio.theta_on_db", "out of range"),
        (
            "bands = \"many\"",
            "audio.bands",
            "wrong type: expected an integer",
        ),
    ] {
        refused(&a(kv), field, want);
    }
    // The network steps with the front end.
    refused(
        &a("samples_per_step = 32"),
        "network.dt_ms",
        "1 (the default) but the front end's step is 2 ms (audio.samples_per_step = 32 at \
         16 kHz); allowed: network.dt_ms = 2",
    );
    let two = a("samples_per_step = 32").replace("[task]", "dt_ms = 2.0\n[task]");
    parse(&two, "x.toml").unwrap();
    // A window shorter than a step means no target.
    refused(
        &a("samples_per_step = 64")
            .replace("[task]", "dt_ms = 4.0\n[task]")
            .replace("kind = \"audio\"", "kind = \"audio\"\nwindow_ms = 2"),
        "task.window_ms",
        "2 is out of range; allowed 4..=1000 (at least one step of 4 ms)",
    );
}

#[test]
fn keywords_are_distinct_word_folders() {
    for (list, want) in [
        ("[]", "0 keywords"),
        ("[\"yes\", \"yes\"]", "\"yes\" is named twice"),
        (
            "[\"_silence_\"]",
            "\"_silence_\" is not a word folder's name",
        ),
        ("[\"a/b\"]", "\"a/b\" is not a word folder's name"),
    ] {
        refused(
            &kws(&format!("keywords = {list}"), ""),
            "task.keywords",
            want,
        );
    }
    refused(
        &kws("keywords = \"yes\"", ""),
        "task.keywords",
        "wrong type: expected a list of strings",
    );
}
