"""Brian2 (cpp_standalone, one thread) on the network of examples/bench256.toml,
timed beside neurochip's host paths in the same run.

    make bench-peers            # sets up a throwaway venv and runs this

or by hand:

    python3 -m venv /tmp/brian-venv
    /tmp/brian-venv/bin/pip install "brian2==2.9.*" "numpy<2.4"
    cargo build --release -p neurochip
    /tmp/brian-venv/bin/python bench/peers/brian2_bench.py

The network is the chip's own, dequantised (`neurochip network`): 64 Poisson inputs at
20 Hz, 256 LIF neurons with the chip's per-neuron decays, thresholds, 2 refractory
steps and reset by subtraction, dense input and recurrent weights, 10 leaky readouts;
dt = 1 ms, 10,000 steps. Brian2 draws its own Poisson spikes (same rate), so spike
counts agree in statistics, not spike for spike. Brian2's time is the simulation loop
of the compiled binary (`device._last_run_time`: no code generation, compilation or
start-up); neurochip's is its step loop (`neurochip bench`: input generation
included). Three repetitions each, interleaved; the best of each is compared.

Brian2 is configured as its users would configure this network: bench256's time
constants are all equal, so `tau` is a constant of the equations (its decay is
computed once at code generation, not per neuron per step); a heterogeneous network
gets a precomputed per-neuron factor instead of `exp(-dt/tau)` per step.
"""

import json
import os
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
NEUROCHIP = os.path.join(ROOT, "target", "release", "neurochip")
CONFIG = os.path.join(ROOT, "examples", "bench256.toml")
REPEATS = 3


def neurochip(args):
    out = subprocess.run([NEUROCHIP] + args, check=True, capture_output=True, text=True)
    return out.stdout


def brian2_run(net, workdir):
    import brian2 as b2

    b2.set_device("cpp_standalone", directory=workdir, build_on_run=False)
    b2.prefs.devices.cpp_standalone.openmp_threads = 0
    b2.defaultclock.dt = net["dt_ms"] * b2.ms
    n_in, n, n_out = net["n_in"], net["n_rec"], net["n_out"]
    dt_s = net["dt_ms"] * 1e-3  # seconds (not `dt`: Brian2 would see it in the run namespace)
    # v <- alpha v + input: exact integration of dv/dt = -v / tau with tau = -dt / ln(alpha).
    alpha = np.array(net["alpha"])
    kappa = np.array(net["kappa"])
    inp = b2.PoissonGroup(n_in, rates=net["input_rate_hz"] * b2.Hz)
    # As a Brian2 user writes it: a time constant shared by every neuron is a constant
    # of the equations (code generation folds exp(-dt/tau) into one number); only
    # heterogeneous networks carry a per-neuron decay, applied as a precomputed factor
    # rather than exp(-dt/tau) per neuron per step.
    if np.all(alpha == alpha[0]):
        tau = -dt_s / np.log(alpha[0]) * b2.second
        lif = b2.NeuronGroup(
            n,
            "dv/dt = -v / tau : 1 (unless refractory)\nthr : 1 (constant)",
            threshold="v > thr",
            reset="v -= thr",
            refractory=net["refractory_steps"] * net["dt_ms"] * b2.ms,
            method="exact",
            namespace={"tau": tau},
        )
    else:
        lif = b2.NeuronGroup(
            n,
            "v : 1\nalpha : 1 (constant)\nthr : 1 (constant)",
            threshold="v > thr",
            reset="v -= thr",
            refractory=net["refractory_steps"] * net["dt_ms"] * b2.ms,
        )
        lif.alpha = alpha
        # Frozen while refractory, as `(unless refractory)` freezes it.
        lif.run_regularly("v = v * (1 + (alpha - 1) * int(not_refractory))", when="groups")
    lif.thr = np.array(net["thr"])
    if np.all(kappa == kappa[0]):
        out = b2.NeuronGroup(
            n_out,
            "dy/dt = -y / tau_o : 1",
            method="exact",
            namespace={"tau_o": -dt_s / np.log(kappa[0]) * b2.second},
        )
    else:
        out = b2.NeuronGroup(n_out, "y : 1\nkappa : 1 (constant)")
        out.kappa = kappa
        out.run_regularly("y = kappa * y", when="groups")
    s_in = b2.Synapses(inp, lif, "w : 1", on_pre="v += w")
    s_in.connect()  # i-major order: w[i * n + j], as the chip stores it
    s_in.w = np.array(net["w_in"])
    s_rec = b2.Synapses(lif, lif, "w : 1", on_pre="v += w")
    s_rec.connect()
    s_rec.w = np.array(net["w_rec"])
    s_out = b2.Synapses(lif, out, "w : 1", on_pre="y += w")
    s_out.connect()
    s_out.w = np.array(net["w_out"])
    mon = b2.SpikeMonitor(lif, record=False)
    b2.run(net["steps"] * net["dt_ms"] * b2.ms)
    b2.device.build(directory=workdir, compile=True, run=True)
    t = b2.device._last_run_time
    spikes = int(mon.num_spikes)
    b2.device.reinit()
    b2.device.activate()
    return t, spikes


def main():
    import brian2

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "net.json")
        neurochip(["network", CONFIG, "-o", path])
        with open(path) as f:
            net = json.load(f)
        steps = net["steps"]
        rows = {"brian2": [], "neurochip": [], "neurochip_cycle": []}
        spikes = {}
        for r in range(REPEATS):
            t, s = brian2_run(net, os.path.join(tmp, f"b2_{r}"))
            rows["brian2"].append(t)
            spikes["brian2"] = s
            for key, extra in (("neurochip", []), ("neurochip_cycle", ["--arch", "reckon"])):
                j = json.loads(neurochip(["bench", CONFIG, "--steps", str(steps), "--json"] + extra))
                rows[key].append(j["seconds"])
                spikes[key] = j["spikes"]
    best = {k: min(v) for k, v in rows.items()}
    print(f"Brian2 {brian2.__version__} (cpp_standalone, 1 thread) vs neurochip, "
          f"{net['name']}: {net['n_rec']} LIF, {net['n_in']} inputs, {steps} steps; best of {REPEATS}")
    print(f"{'simulator':<34}{'s / 10k steps':>14}{'us/step':>10}{'steps/s':>12}{'spikes':>9}")
    for k, label in (("brian2", "Brian2 cpp_standalone"),
                     ("neurochip", "neurochip functional (host)"),
                     ("neurochip_cycle", "neurochip cycle-level (reckon)")):
        t = best[k]
        print(f"{label:<34}{t:>14.4f}{t / steps * 1e6:>10.2f}{steps / t:>12.0f}{spikes[k]:>9}")
    print(f"speed-up of neurochip functional over Brian2: {best['brian2'] / best['neurochip']:.2f}x")
    print(f"speed-up of neurochip cycle-level over Brian2: {best['brian2'] / best['neurochip_cycle']:.2f}x")
    print("all runs (s):", json.dumps(rows))


if __name__ == "__main__":
    sys.exit(main())
