//! Learning rates (`neurochip_emu::rates`): one unit for both engines, and the
//! warning for rates that cannot move any weight, checked on real chips.

use std::path::Path;

use neurochip_emu::config::{self, Config, Engine};
use neurochip_emu::rates::{self, Layer};
use neurochip_emu::{build, effective_rates, learn, twin_rates};

fn example(name: &str) -> Config {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut cfg = config::load(&root.join("examples").join(format!("{name}.toml")))
        .unwrap_or_else(|e| panic!("{e}"));
    if cfg.task.kind == config::TaskKind::Digits {
        cfg.task.data = root.join(&cfg.task.data).display().to_string();
    }
    cfg
}

/// A small cue chip (40 inputs, 8 neurons) learning with `engine` at `eta` for every
/// layer; two short training samples.
fn tiny(engine: &str, eta: f64) -> Config {
    let text = format!(
        "name = \"tiny\"\n[network]\ninputs = 40\nneurons = 8\noutputs = 2\n\
         [task]\nkind = \"cue\"\nn_cues = 3\ndelay_ms = 100\n\
         [learning]\nengine = \"{engine}\"\napply = \"online\"\neta = {eta:e}\n\
         [train]\nepochs = 1\ntrain_samples = 3\ntest_samples = 1\n"
    );
    config::parse(&text, "tiny.toml").unwrap_or_else(|e| panic!("{e}"))
}

/// The rates of an example mean the same whichever engine runs it: the rate each
/// engine's shift realises is within a factor `sqrt 2` (the rounding of a shift) of
/// the file's, and the light engine's float twin multiplies its unfiltered
/// eligibility by the filter's gain.
#[test]
fn rates_mean_the_same_for_both_engines() {
    for name in ["cue", "cue_lif", "digits", "digits_light"] {
        let base = example(name);
        for engine in [Engine::Exact, Engine::Light] {
            let mut cfg = base.clone();
            cfg.set_engine(engine);
            let (_, chip) = build::chip(&cfg).unwrap();
            let c = *chip.config();
            let eff = effective_rates(&c);
            for layer in Layer::ALL {
                let (what, asked, got) = (
                    layer.rate_key(),
                    cfg.learning.rates.of(layer),
                    eff.of(layer),
                );
                let r = (got / asked).log2();
                assert!(
                    r.abs() <= 0.5 + 1e-9,
                    "{name} {engine:?} {what}: asked {asked:e}, realised {got:e}"
                );
            }
            let (twin, _) = twin_rates(&c);
            let gain = match engine {
                Engine::Light => rates::light_gain(&c),
                _ => 1.0,
            };
            assert!((twin.eta_in / (eff.eta_in * gain) - 1.0).abs() < 1e-12);
            assert!((twin.eta_rec / (eff.eta_rec * gain) - 1.0).abs() < 1e-12);
            assert_eq!((twin.eta_out, twin.eta_bias), (eff.eta_out, eff.eta_bias));
        }
    }
}

/// The filter's gain is `1 / (1 - kappa)`: about 20.5 for the examples' 20 ms readout
/// at 1 ms steps.
#[test]
fn light_gain_is_the_eligibility_filter_gain() {
    let (_, chip) = build::chip(&example("cue")).unwrap();
    let g = rates::light_gain(chip.config());
    let want = 1.0 / (1.0 - (-1.0f64 / 20.0).exp());
    assert!((g / want - 1.0).abs() < 1e-3, "gain {g}, want {want}");
}

/// No example learns at a rate that cannot move a weight.
#[test]
fn examples_warn_about_nothing() {
    for name in [
        "cue",
        "cue_lif",
        "digits",
        "digits_light",
        "pattern",
        "lif",
        "kws",
    ] {
        let cfg = example(name);
        assert_eq!(rates::warnings(&cfg), Vec::<String>::new(), "{name}");
        let (_, mut chip) = build::chip(&cfg).unwrap();
        assert!(rates::stuck_rates(&mut chip).is_empty(), "{name}");
    }
}

/// A tiny rate gets one line per layer naming the key, the effective rate and the
/// smallest rate that can move a weight; a rate of 0 (learning off for that layer) is
/// not warned about.
#[test]
fn tiny_rates_are_warned_about_by_key() {
    for engine in ["exact", "light"] {
        let mut cfg = tiny(engine, 1e-30);
        cfg.learning.rates.eta_bias = 0.0;
        let w = rates::warnings(&cfg);
        assert_eq!(w.len(), 3, "{engine}: {w:?}");
        for (line, key) in w.iter().zip(["eta_in", "eta_rec", "eta_out"]) {
            assert!(line.starts_with("tiny.toml: "), "{line}");
            assert!(
                line.contains(&format!("learning.{key} = 1e-30 (effective ")),
                "{line}"
            );
            assert!(line.contains("cannot move any"), "{line}");
            assert!(line.contains("the smallest rate that can is "), "{line}");
        }
    }
}

/// A file that gives an engine rates of its own is checked at each engine's rates:
/// a light-engine table whose readout rate cannot move a weight is warned about under
/// its key even when the file names the exact engine, and the exact engine's good
/// rates are not.
#[test]
fn an_engines_own_rates_are_warned_about_in_its_table() {
    let cfg = config::parse(
        "name = \"tiny\"\n[network]\ninputs = 40\nneurons = 8\noutputs = 2\n\
         [task]\nkind = \"cue\"\nn_cues = 3\ndelay_ms = 100\n\
         [learning]\nengine = \"exact\"\napply = \"online\"\neta = 1e-3\n\
         [learning.light]\neta_out = 1e-30\n\
         [train]\nepochs = 1\ntrain_samples = 3\ntest_samples = 1\n",
        "tiny.toml",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let w = rates::warnings(&cfg);
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(
        w[0].starts_with("tiny.toml: learning.light.eta_out = 1e-30 (effective "),
        "{}",
        w[0]
    );
}

/// The bound is safe: with every shift one past the largest that the bound allows,
/// training changes no weight and no bias, for both engines. (Just below the bound a
/// weight may or may not move: the bound takes the largest signal and eligibility
/// the formats allow, which a short run need not reach.)
#[test]
fn one_shift_past_the_bound_moves_nothing() {
    for engine in ["exact", "light"] {
        let probe = tiny(engine, 1e-30);
        let (_, mut chip) = build::chip(&probe).unwrap();
        let stuck = rates::stuck_rates(&mut chip);
        assert_eq!(stuck.len(), 4, "{engine}: {stuck:?}");
        let mut cfg = probe.clone();
        for s in &stuck {
            // Half the smallest rate: its shift is the largest usable one plus 1.
            let eta = s.smallest / 2.0;
            *cfg.learning.rates.of_mut(s.layer) = eta;
        }
        let (_, mut before) = build::chip(&cfg).unwrap();
        let again = rates::stuck_rates(&mut before);
        for (s, a) in stuck.iter().zip(&again) {
            assert_eq!(a.shift, s.largest_shift + 1, "{engine} {:?}", s.layer);
        }
        let (_, mut after) = learn::train_chip(&cfg, true, |_| {}).unwrap();
        let (b, a) = (before.mem(), after.mem());
        assert_eq!(b.w_in, a.w_in, "{engine}: input weights moved");
        assert_eq!(b.w_rec, a.w_rec, "{engine}: recurrent weights moved");
        assert_eq!(b.w_out, a.w_out, "{engine}: readout weights moved");
        assert_eq!(b.bias, a.bias, "{engine}: biases moved");
        // Control: the same run at a working rate moves the layers (the recurrent
        // weights of the tiny light chip, whose neurons barely spike, need not). The
        // exact engine's control takes a larger rate: its tiny recurrent eligibility
        // moves no recurrent weight at 1e-2 under the counter-based draws.
        let working = tiny(engine, if engine == "exact" { 1e-1 } else { 1e-2 });
        let (_, mut before) = build::chip(&working).unwrap();
        let (_, mut after) = learn::train_chip(&working, true, |_| {}).unwrap();
        let (b, a) = (before.mem(), after.mem());
        assert_ne!(b.w_in, a.w_in, "{engine}: control, input weights");
        if engine == "exact" {
            assert_ne!(b.w_rec, a.w_rec, "{engine}: control, recurrent weights");
        }
        assert_ne!(b.w_out, a.w_out, "{engine}: control, readout weights");
        assert_ne!(b.bias, a.bias, "{engine}: control, biases");
    }
}
