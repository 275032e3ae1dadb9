//! `neurochip solve`: a Sudoku or graph-colouring file solved by the stochastic
//! spiking network ([`neurochip_emu::csp`]).

use neurochip_core::solver::Params;
use neurochip_emu::csp::{self, load, random_restart, SolveReport};

/// Arguments of `neurochip solve`.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  neurochip solve problems/sudoku/pe96_01.txt\n  neurochip solve problems/graphs/planted50_1.col --colors 3 --json\n  neurochip solve problems/sudoku/pe96_01.txt --seed 1 --export solver.img && neurochip run-image solver.img\n\nFormats: docs/formats.md (Constraint problems, Application images). Exit code 0 solved, 1 not solved within --steps, 2 bad input."
)]
pub struct Args {
    /// Problem file: a Sudoku (rows of digits, `.` or `0` blank) or a graph
    /// (`p edge N M`, `e U V`); see docs/formats.md.
    pub file: std::path::PathBuf,
    /// Step budget.
    #[arg(long, default_value_t = 1_000_000)]
    pub steps: u64,
    /// PRNG seed of the network.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Colours for a graph (overrides its `colors` line; default 3).
    #[arg(long, value_name = "K")]
    pub colors: Option<usize>,
    /// Potential lost per active conflicting neighbour (4 units halve a rate).
    #[arg(long, default_value_t = Params::DEFAULT.inhibition)]
    pub inhibition: u8,
    /// Steps a winning value stays active before its WTA draws again.
    #[arg(long, default_value_t = Params::DEFAULT.refractory)]
    pub refractory: u8,
    /// Potential of the quiet option (no neuron of a WTA fires). (`--quiet` is a
    /// switch everywhere else; this number is `--quiet-potential`.)
    #[arg(long, default_value_t = Params::DEFAULT.quiet, allow_hyphen_values = true)]
    pub quiet_potential: i8,
    /// Lower saturation bound of the membrane potential.
    #[arg(long, default_value_t = Params::DEFAULT.floor, allow_hyphen_values = true)]
    pub floor: i8,
    /// Potential bias of a clue's value (and against its other values).
    #[arg(long, default_value_t = Params::DEFAULT.clue_bias)]
    pub clue_bias: u8,
    /// Also run the uniform random-restart baseline for the same number of steps.
    #[arg(long)]
    pub baseline: bool,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
    /// Write the problem, the constants, --seed and --steps as an application image
    /// (written atomically) instead of solving: `neurochip run-image FILE` and the
    /// firmware's `solver` binary run it.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["baseline", "json"])]
    pub export: Option<std::path::PathBuf>,
}

/// Run `neurochip solve`: exit code 0 solved, 1 not solved within the budget, 2 bad
/// input.
pub fn run(a: Args) -> std::process::ExitCode {
    std::process::ExitCode::from(command(&a))
}

fn command(a: &Args) -> u8 {
    let fail = |m: String| {
        eprintln!("error: {m}");
        2
    };
    let csp = match load(&a.file, a.colors) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let params = Params {
        inhibition: a.inhibition,
        refractory: a.refractory,
        quiet: a.quiet_potential,
        clue_bias: a.clue_bias,
        floor: a.floor,
    };
    if a.steps == 0 {
        return fail("--steps 0: the budget must be at least 1 step".into());
    }
    if let Some(out) = &a.export {
        return export(a, &csp, params, out);
    }
    let r = match csp::run(&csp, params, a.steps, a.seed, 0, |_, _, _| {}) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let base = a
        .baseline
        .then(|| random_restart(&csp, a.steps, a.seed).solved_at);
    let file = a.file.display().to_string();
    let rep = SolveReport::new(&file, &csp, (params, a.seed, a.steps), &r, base);
    if a.json {
        println!("{}", super::json(&rep));
    } else {
        print!("{}", rep.text(&csp, &r.assignment));
    }
    if r.solved_at.is_some() {
        0
    } else {
        1
    }
}

/// `--export FILE`: write the solver image, print its size; exit code 0, or 2.
fn export(a: &Args, csp: &csp::Csp, params: Params, out: &std::path::Path) -> u8 {
    let target = neurochip_emu::outputs::Output {
        flag: "--export",
        what: "solver image",
        path: out,
    };
    if super::check_outputs(&[target], &[&a.file]).is_err() {
        return 2;
    }
    let written = neurochip_emu::apps::solver_image(csp, params, a.seed, a.steps).and_then(|b| {
        target
            .write(&b)
            .map(|()| b.len())
            .map_err(|e| e.to_string())
    });
    match written {
        Ok(n) => {
            println!(
                "{}: {n} bytes (solver image: seed {}, budget {} steps)",
                out.display(),
                a.seed,
                a.steps
            );
            0
        }
        Err(e) => {
            eprintln!("error: {e}");
            2
        }
    }
}
