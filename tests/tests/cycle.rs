//! The cycle-level model computes the functional core's bits: every example
//! configuration gives the same trace digest stepped through the cycle model as
//! without it (training configurations on a shortened plan), on every shipped
//! architecture it fits, and the default architecture (`reckon`, with its external
//! bank) fits them all; the default architecture fits the default job on the die; and
//! a network that does not fit is refused with the bank and the excess named.

use neurochip_emu::config::{self, Config, Engine};
use neurochip_emu::Arch;
use neurochip_emu::{arch_run, learn, sim};
use neurochip_tests::root;

fn load(name: &str) -> Config {
    // Data paths in the examples are relative to the repository root.
    std::env::set_current_dir(root()).unwrap();
    let mut cfg = config::load(&root().join("examples").join(format!("{name}.toml")))
        .unwrap_or_else(|e| panic!("{e}"));
    // Short plans: the point is the bits, not the accuracy.
    cfg.train.epochs = 1;
    cfg.train.train_samples = 3;
    cfg.train.test_samples = 2;
    cfg.task.samples = cfg.task.samples.min(2);
    if cfg.train.halve_rates_every > 0 {
        // Two epochs at two rate steps: the cycle model forwards the register.
        (cfg.train.epochs, cfg.train.halve_rates_every) = (2, 1);
    }
    cfg
}

const STEPS: u64 = 600;

fn functional_digest(cfg: &Config) -> String {
    if cfg.reward.is_some() {
        neurochip_emu::reward::train_chip(cfg, None, &|| None, |_, _| {})
            .unwrap()
            .0
            .digest
    } else if cfg.learning.engine == Engine::Off {
        sim::run(cfg, Some(STEPS)).unwrap().digest
    } else {
        learn::train_chip(cfg, true, |_| {}).unwrap().0.digest
    }
}

#[test]
fn every_example_gives_the_functional_digest() {
    let names = [
        "lif",
        "alif",
        "sparse_ei",
        "bench256",
        "cue",
        "cue_lif",
        "cue_light",
        "digits",
        "digits_light",
        "digits256",
        "hetero",
        "pattern",
        "store_recall",
        "cue_lsnn",
        "reward_cue",
        "reward_nav",
    ];
    let mut runs = 0;
    for name in names {
        let cfg = load(name);
        let want = functional_digest(&cfg);
        let mut fitted = Vec::new();
        for arch in ["reckon", "xylo", "multicore"] {
            let a = Arch::builtin(arch).unwrap();
            match arch_run::run_arch(&cfg, &a, Some(STEPS), true) {
                Ok(r) => {
                    assert_eq!(r.digest, want, "{name} on {arch}");
                    assert!(r.cycles.steps > 0 && r.cycles.cycles_per_step > 0.0);
                    fitted.push(arch);
                    runs += 1;
                }
                Err(e) => {
                    let m = e.to_string();
                    assert!(
                        m.contains("over by") || m.contains("no bank"),
                        "{name} on {arch}: {m}"
                    );
                }
            }
        }
        assert!(!fitted.is_empty(), "{name} fits no architecture");
        assert!(
            fitted.contains(&"multicore") && fitted.contains(&"reckon"),
            "{name} must fit reckon and the multicore what-if"
        );
    }
    assert!(runs >= 20);
}

#[test]
fn the_default_job_fits_the_default_architecture() {
    let cfg = load("cue");
    let r = arch_run::run_arch(&cfg, &Arch::builtin("reckon").unwrap(), None, true).unwrap();
    let c = &r.cycles;
    assert!(c.realtime_at_nominal);
    assert!(c.sram_used_bytes <= c.sram_capacity_bytes);
    assert!(c.energy_per_inference_nj.is_some() && c.energy_per_training_sample_nj.is_some());
    assert!(c.cycles_per_step_by_stage.learning > 0.0);
}

#[test]
fn exact_engine_on_reckon_keeps_its_eligibility_off_the_die() {
    let cfg = load("cue_lif");
    let reckon = Arch::builtin("reckon").unwrap();
    let r = arch_run::run_arch(&cfg, &reckon, None, true).unwrap();
    let c = &r.cycles;
    let ext = c
        .sram
        .iter()
        .find(|b| b.external)
        .expect("an external bank");
    assert!(ext.structures.iter().any(|s| s.name == "eligibility"));
    assert!(c.external_bytes >= ext.used_bytes && c.external_bytes > 0);
    assert!(c.external_words_per_step > 0.0);
    assert!(c.sram_used_bytes <= c.sram_capacity_bytes);
    // `accumulators` is listed by the learning bank and the external one: the exact
    // engine's per-synapse ones do not fit the die and go out; the light engine's
    // readout-only ones (the file's `apply = "readout"`) stay on the die beside the
    // traces, and nothing moves off it. With per-step updates there are none.
    let on = |r: &arch_run::ArchRun, bank: &str| -> Vec<&'static str> {
        let b = r.cycles.sram.iter().find(|b| b.bank == bank).unwrap();
        b.structures.iter().map(|s| s.name).collect()
    };
    assert_eq!(on(&r, "external"), ["eligibility", "accumulators"]);
    let held = arch_run::run_arch(&load("cue"), &reckon, None, true).unwrap();
    assert_eq!(on(&held, "learning"), ["traces", "accumulators"]);
    assert!(on(&held, "external").is_empty());
    assert_eq!(held.cycles.external_words_per_step, 0.0);
    let mut online = load("cue");
    online.learning.apply = neurochip_core::Apply::Online;
    let light = arch_run::run_arch(&online, &reckon, None, true).unwrap();
    assert_eq!(on(&light, "learning"), ["traces"]);
    assert_eq!(light.cycles.external_words_per_step, 0.0);
    // Without the external bank the exact engine is refused, with the reason.
    let mut die_only = reckon.clone();
    die_only.banks.retain(|b| !b.external);
    let e = arch_run::run_arch(&cfg, &die_only, None, true)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("`eligibility`") && e.contains("no bank that holds it"),
        "{e}"
    );
}

/// The applications (`[solver]`, `[assembly]`) stepped through the cycle model keep
/// their digest on every shipped architecture, and are priced: neuron updates every
/// step, synaptic events, and for the plastic area, STDP in the learning engine.
#[test]
fn applications_give_their_digest_and_a_price() {
    std::env::set_current_dir(root()).unwrap();
    for name in ["solver", "assemblies"] {
        let path = root().join("examples").join(format!("{name}.toml"));
        let config::Workload::App(app) = config::load_workload(&path).unwrap() else {
            panic!("{name} is an application file");
        };
        let want = neurochip_emu::apps::run_config(&app).unwrap();
        let want = match want.result {
            neurochip_emu::apps::AppResult::Solver { digest, .. }
            | neurochip_emu::apps::AppResult::Assembly { digest, .. } => digest,
        };
        for arch in ["reckon", "multicore", "xylo"] {
            let a = Arch::resolve(arch).unwrap();
            let r = neurochip_emu::app_cost::run_arch(&app, &a)
                .unwrap_or_else(|e| panic!("{name} on {arch}: {e}"));
            assert_eq!(r.digest, want, "{name} on {arch}");
            let c = &r.cycles;
            let s = &c.cycles_per_step_by_stage;
            assert!(
                c.steps > 0 && s.neuron > 0.0 && s.recurrent > 0.0,
                "{name} on {arch}: {s:?}"
            );
            assert!(
                c.synaptic_operations.effective_acs > 0.0,
                "{name} on {arch}"
            );
            assert!(c.energy_per_step_pj > 0.0, "{name} on {arch}");
            assert_eq!(
                s.learning > 0.0,
                name == "assemblies",
                "{name} on {arch}: STDP only"
            );
            assert!(c.sram_used_bytes > 0, "{name} on {arch}");
        }
    }
}
