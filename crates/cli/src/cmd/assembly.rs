//! `neurochip assembly`: the STDP assembly digest workload
//! ([`neurochip_tasks::assembly::AssemblySpec`]) run on the host, or written as an
//! application image for `neurochip run-image` and the firmware's `assembly` binary.

use std::path::PathBuf;
use std::process::ExitCode;

use neurochip_emu::apps;
use neurochip_tasks::assembly::{area_config, AssemblySpec};

use super::fail;

/// Arguments of `neurochip assembly`.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  neurochip assembly                    # the digest workload: 200 neurons, k = 20, 200 steps\n  neurochip assembly --export firmware/images/assembly.img && neurochip run-image firmware/images/assembly.img\n\nThe area and its stimuli: docs/experiments.md (Assemblies); the image: docs/formats.md (Application images)."
)]
pub struct Args {
    /// Neurons in the area (the standard area of `neurochip_tasks::assembly::area_config`).
    #[arg(long, default_value_t = AssemblySpec::WORKLOAD.area.n)]
    pub neurons: usize,
    /// Cap: at most this many neurons fire per step.
    #[arg(long, default_value_t = AssemblySpec::WORKLOAD.area.k)]
    pub cap: usize,
    /// Plastic steps.
    #[arg(long, default_value_t = AssemblySpec::WORKLOAD.steps)]
    pub steps: u32,
    /// PRNG seed of the area (wiring, rounding).
    #[arg(long, default_value_t = AssemblySpec::WORKLOAD.seed)]
    pub seed: u64,
    /// PRNG seed of the stimuli.
    #[arg(long, default_value_t = AssemblySpec::WORKLOAD.stim_seed)]
    pub stimulus_seed: u64,
    /// Write the workload as an application image (written atomically) instead of
    /// running it.
    #[arg(long, value_name = "FILE")]
    pub export: Option<PathBuf>,
}

/// Run `neurochip assembly`: print `assembly DIGEST steps=N spikes=N`, or write the
/// image.
pub fn run(a: Args) -> ExitCode {
    let spec = AssemblySpec {
        area: area_config(a.neurons, a.cap),
        steps: a.steps,
        seed: a.seed,
        stim_seed: a.stimulus_seed,
        ..AssemblySpec::WORKLOAD
    };
    let Some(out) = &a.export else {
        return match apps::run_assembly(&spec) {
            Ok(line) => {
                println!("{line}");
                ExitCode::SUCCESS
            }
            Err(e) => fail(e),
        };
    };
    let target = neurochip_emu::outputs::Output {
        flag: "--export",
        what: "assembly image",
        path: out,
    };
    if let Err(code) = super::check_outputs(&[target], &[]) {
        return code;
    }
    let bytes = match apps::assembly_image(&spec) {
        Ok(b) => b,
        Err(e) => return fail(format!("--export: {e}")),
    };
    match target.write(&bytes) {
        Ok(()) => {
            println!(
                "{}: {} bytes (assembly image: {} neurons, cap {}, {} steps)",
                out.display(),
                bytes.len(),
                a.neurons,
                a.cap,
                a.steps
            );
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}
