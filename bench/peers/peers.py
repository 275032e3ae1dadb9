"""neurochip beside its peers on examples/bench256.toml, in one run: `make bench-peers`.

    make bench-peers            # builds neurochip, sets up the venv, runs this

What is timed, 10,000 steps (one sample of bench256) each, three repetitions
interleaved, the best of each compared (docs/performance.md):

- neurochip's host path (`neurochip bench CONFIG --mode forward|exact|light --json`):
  a forward step; a training step of the exact e-prop engine and of the light one
  (online, a class target at every step); and the forward step through the cycle
  model (`--arch reckon`);
- Brian2 2.9, cpp_standalone, one thread: the forward network, fairly configured
  (brian2_bench.py: a constant tau, exact integration; its compiled loop only);
- PyTorch, float32, one thread, batch 1: online exact e-prop (torch_eprop.py), the
  compiled step and the eager one, each in its own process.

Pairs compared: neurochip forward with Brian2 (the same network, no learning) and
neurochip exact with PyTorch (the same learning rule in float32); and neurochip's
own exact / forward and light / forward.
"""

import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import brian2_bench  # noqa: E402  (the same folder)

CONFIG = brian2_bench.CONFIG
REPEATS = 3


def neurochip(mode, steps, arch=None):
    args = ["bench", CONFIG, "--steps", str(steps), "--json", "--mode", mode]
    if arch:
        args += ["--arch", arch]
    return json.loads(brian2_bench.neurochip(args))


def torch_eprop(steps, eager):
    cmd = [sys.executable, os.path.join(HERE, "torch_eprop.py"), CONFIG,
           "--steps", str(steps), "--json"] + (["--eager"] if eager else [])
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    if out.stderr.strip():
        sys.stderr.write(out.stderr)
    return json.loads(out.stdout)


def cpu():
    """The processor's name as Linux gives it (family and model where the name is
    generic), or the platform's."""
    try:
        with open("/proc/cpuinfo") as f:
            info = dict(line.split(":", 1) for line in f.read().split("\n\n")[0].splitlines()
                        if ":" in line)
        info = {k.strip(): v.strip() for k, v in info.items()}
        return f"{info['model name']} (family {info['cpu family']}, model {info['model']})"
    except (OSError, KeyError, ValueError):
        import platform
        return platform.processor() or platform.machine()


def main():
    import brian2

    rows = {k: [] for k in ("nc_forward", "nc_cycle", "brian2", "nc_light", "nc_exact",
                            "torch", "torch_eager")}
    spikes, torch_info = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "net.json")
        brian2_bench.neurochip(["network", CONFIG, "-o", path])
        with open(path) as f:
            net = json.load(f)
        steps = net["steps"]
        for r in range(REPEATS):
            t, s = brian2_bench.brian2_run(net, os.path.join(tmp, f"b2_{r}"))
            rows["brian2"].append(t)
            spikes["brian2"] = s
            for key, mode, arch in (("nc_forward", "forward", None),
                                    ("nc_cycle", "forward", "reckon"),
                                    ("nc_light", "light", None),
                                    ("nc_exact", "exact", None)):
                j = neurochip(mode, steps, arch)
                rows[key].append(j["seconds"])
                spikes[key] = j["spikes"]
                isa = j.get("isa", "?")
            for key, eager in (("torch", False), ("torch_eager", True)):
                j = torch_eprop(steps, eager)
                rows[key].append(j["seconds"])
                spikes[key] = j["spikes"]
                torch_info[key] = j
    best = {k: min(v) for k, v in rows.items()}
    us = {k: t / steps * 1e6 for k, t in best.items()}
    tv = torch_info["torch"]["torch"]
    compiled = "torch.compile" if torch_info["torch"]["compiled"] else "eager: compile failed"
    labels = {
        "nc_forward": "neurochip forward (host)",
        "nc_cycle": "neurochip forward, cycle model (reckon)",
        "brian2": f"Brian2 {brian2.__version__} forward (cpp_standalone)",
        "nc_light": "neurochip light e-prop step",
        "nc_exact": "neurochip exact e-prop step",
        "torch": f"PyTorch {tv} exact e-prop ({compiled})",
        "torch_eager": f"PyTorch {tv} exact e-prop (eager)",
    }
    print(f"neurochip and peers on {net['name']}: {net['n_rec']} LIF, {net['n_in']} inputs, "
          f"{net['n_out']} readouts, {steps} steps each, 1 thread; best of {REPEATS}, interleaved")
    print(f"on {cpu()}; neurochip's host SIMD path: {isa}")
    print(f"{'what':<50}{'us/step':>10}{'steps/s':>11}{'spikes':>9}")
    for k, label in labels.items():
        print(f"{label:<50}{us[k]:>10.2f}{steps / best[k]:>11.0f}{spikes[k]:>9}")
    ratios = (
        ("Brian2 / neurochip forward", "brian2", "nc_forward"),
        ("PyTorch (compiled) / neurochip exact", "torch", "nc_exact"),
        ("PyTorch (eager) / neurochip exact", "torch_eager", "nc_exact"),
        ("neurochip exact / forward", "nc_exact", "nc_forward"),
        ("neurochip light / forward", "nc_light", "nc_forward"),
        ("neurochip exact / light", "nc_exact", "nc_light"),
    )
    print("time ratios (> 1: the first takes longer)")
    for label, a, b in ratios:
        print(f"  {label:<48}{best[a] / best[b]:>10.2f}x")
    print("all runs (s):", json.dumps({k: [round(x, 6) for x in v] for k, v in rows.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
