"""PyTorch (float32, CPU, one thread, batch 1) online exact e-prop on the network of
examples/bench256.toml: the peer of `neurochip bench CONFIG --mode exact`.

    make bench-peers                      # sets up the venv, runs this beside the rest
    $(PEER_VENV)/bin/python bench/peers/torch_eprop.py [CONFIG] [--steps N] [--eager]
                                          [--json]

Everything comes from the configuration through `tomllib`: sizes, tau_m, tau_out, dt,
threshold, refractory steps, weight scales (weights ~ N(0, scale / sqrt(fan-in)), drawn
here: the same statistics as the chip's, not its quantised values), the task's input
rate and sample length, and the learning rates and gamma (the chip's defaults where the
file is silent). The input is the neurochip bench's: independent Bernoulli draws with
p = rate_hz * dt / 1000 per channel and step, one sample of `task.steps` steps repeated
(drawn here from torch's generator, so the same statistics, not the same spikes).
Unlike `neurochip bench`, which generates its input inside the timed loop, the input
is drawn before timing: the timed loop only reads a row of it.

One step is online exact e-prop for LIF neurons (Bellec et al. 2020), the chip's
equations (docs/eprop.md, crates/ref/src/eprop.rs) without rounding:

    pbar  = alpha pbar + p             p = [x[t+1]; z[t]]: input and recurrent spikes
    v     = alpha v + W p - thr z[t]   reset by subtraction
    psi   = gamma / thr * max(0, 1 - |v - thr| / thr),  0 while refractory
    z     = v > thr, not refractory;   refractory for `refractory_steps` after a spike
    y     = kappa y + W_out z + b;     zk = kappa zk + z;  bk = kappa bk + 1
    ebar  = kappa ebar + psi (outer) pbar          e = psi zbar: the LIF eligibility
    err   = softmax(y) - onehot(t mod n_out)       a class target at every step
    L     = W_out^T err                            symmetric feedback
    W    -= eta L[:, None] * ebar;  W_out -= eta_out err (outer) zk;  b -= eta_bias err bk

as `neurochip bench --mode exact` runs it (a target at every step: the worst case,
inside the target window; readout weights and biases learn too).

Written as an expert would write it for speed:
- input and recurrent weights are one matrix `W = [W_in | W_rec]` (n x (n_in + n), the
  `nn.Linear` layout: row = postsynaptic neuron), with one presynaptic vector `p`, one
  trace `pbar` and one filtered eligibility `ebar` of the same shape; the forward input
  is one `mv`, the eligibility one `addr_(psi, pbar, beta=kappa)` (decay and outer
  product in one pass), the update one `addcmul_` (two when eta_in != eta_rec);
- every tensor preallocated, every op in place or with `out=`, under
  `torch.inference_mode()` (the stronger `no_grad`), `torch.set_num_threads(1)`;
- denormals flushed (`torch.set_flush_denormal(True)`): decaying traces otherwise
  reach subnormal floats, which are slow on x86.

The step is `torch.compile`d (inductor, fullgraph; on the CPU it generates C++ and
builds it with the local compiler, so it works offline: nothing is downloaded). An
expert tries both and keeps the faster: on the machine of docs/performance.md the
compiled step took about 0.6x the time of the eager one. Eager pays the dispatch of
about 25 small ops a step; inductor turns the whole step (the matrix-vector products,
the eligibility, softmax and weight updates) into one generated C++ function
(`TORCH_LOGS=output_code` shows it). `--eager`
runs the eager step; `make bench-peers` times both. If compilation fails (no C++
compiler), the run falls back to eager and says so. Compilation happens in the
warm-up, outside the timed loop.
"""

import argparse
import json
import math
import os
import sys
import time
import tomllib

import torch

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CONFIG = os.path.join(ROOT, "examples", "bench256.toml")
WARMUP = 500

def params(path):
    """The network and learning parameters of a configuration, the chip's defaults
    where the file is silent (crates/emu/src/config/check.rs)."""
    with open(path, "rb") as f:
        cfg = tomllib.load(f)
    net, task, learn = cfg.get("network", {}), cfg.get("task", {}), cfg.get("learning", {})
    if net.get("model", "lif") != "lif":
        raise SystemExit(f"{path}: network.model must be lif for this peer")
    dt = float(net.get("dt_ms", 1.0))
    eta = float(learn.get("eta", 1e-3))
    return {
        "name": cfg.get("name", os.path.splitext(os.path.basename(path))[0]),
        "seed": int(cfg.get("seed", 0)),
        "n_in": int(net["inputs"]),
        "n": int(net["neurons"]),
        "n_out": int(net["outputs"]),
        "dt_ms": dt,
        "alpha": math.exp(-dt / float(net.get("tau_m_ms", 20.0))),
        "kappa": math.exp(-dt / float(net.get("tau_out_ms", 20.0))),
        "thr": float(net.get("threshold", 1.0)),
        "refractory": int(net.get("refractory_steps", 2)),
        "w_in_scale": float(net.get("w_in_scale", 1.0)),
        "w_rec_scale": float(net.get("w_rec_scale", 1.0)),
        "w_out_scale": float(net.get("w_out_scale", 1.0)),
        "rate_hz": float(task.get("rate_hz", 20.0)),
        "sample_steps": int(task.get("steps", 1000)),
        "eta_in": float(learn.get("eta_in", eta)),
        "eta_rec": float(learn.get("eta_rec", eta)),
        "eta_out": float(learn.get("eta_out", eta)),
        "eta_bias": float(learn.get("eta_bias", eta)),
        "gamma": float(learn.get("gamma", 0.3)),
    }


class EProp:
    """The network, its e-prop state and its preallocated work tensors."""

    def __init__(self, p):
        g = torch.Generator().manual_seed(p["seed"])
        n_in, n, n_out = p["n_in"], p["n"], p["n_out"]
        self.p = p
        self.n_in = n_in
        w_in = torch.randn(n, n_in, generator=g) * (p["w_in_scale"] / math.sqrt(n_in))
        w_rec = torch.randn(n, n, generator=g) * (p["w_rec_scale"] / math.sqrt(max(n - 1, 1)))
        w_rec.fill_diagonal_(0.0)  # no autapses: fan-in n - 1, as the chip
        self.w = torch.cat([w_in, w_rec], dim=1).contiguous()
        self.w_out = torch.randn(n_out, n, generator=g) * (p["w_out_scale"] / math.sqrt(n))
        self.b = torch.zeros(n_out)
        self.pre = torch.zeros(n_in + n)  # [x[t+1]; z[t]]
        self.z = self.pre[n_in:]  # the recurrent spikes live inside `pre`
        self.pbar = torch.zeros(n_in + n)
        self.ebar = torch.zeros(n, n_in + n)
        self.v = torch.zeros(n)
        self.refr = torch.zeros(n)
        self.psi = torch.zeros(n)
        self.i = torch.zeros(n)
        self.active = torch.zeros(n)
        self.y = torch.zeros(n_out)
        self.zk = torch.zeros(n)
        self.bk = torch.zeros(())
        self.err = torch.zeros(n_out)
        self.l = torch.zeros(n)
        self.onehot = torch.eye(n_out)
        # The input of one sample, Bernoulli(p) per channel and step.
        prob = p["rate_hz"] * p["dt_ms"] / 1000.0
        self.x = (torch.rand(p["sample_steps"], n_in, generator=g) < prob).float()
        self.spikes = torch.zeros(())

    def step(self, x, onehot):
        """One forward step and one online exact e-prop update (class target `onehot`)."""
        p = self.p
        alpha, kappa, thr = p["alpha"], p["kappa"], p["thr"]
        # Reset by subtraction uses z[t], still in `pre`, before it is overwritten.
        self.v.mul_(alpha).add_(self.z, alpha=-thr)
        self.pre[: self.n_in].copy_(x)
        self.pbar.mul_(alpha).add_(self.pre)
        torch.mv(self.w, self.pre, out=self.i)
        self.v.add_(self.i)
        # psi = gamma / thr * max(0, 1 - |v - thr| / thr), zero while refractory.
        torch.eq(self.refr, 0.0, out=self.active)
        torch.sub(self.v, thr, out=self.psi)
        self.psi.abs_().mul_(-1.0 / thr).add_(1.0).clamp_(min=0.0).mul_(self.active)
        self.psi.mul_(p["gamma"] / thr)
        torch.gt(self.v, thr, out=self.z)
        self.z.mul_(self.active)
        self.refr.sub_(1.0).clamp_(min=0.0).add_(self.z, alpha=float(p["refractory"]))
        self.spikes.add_(self.z.sum())
        self.y.mul_(kappa).addmv_(self.w_out, self.z).add_(self.b)
        self.zk.mul_(kappa).add_(self.z)
        self.bk.mul_(kappa).add_(1.0)
        # Filtered eligibility: ebar = kappa ebar + psi (outer) pbar, one pass.
        self.ebar.addr_(self.psi, self.pbar, beta=kappa)
        # Output error and learning signal (symmetric feedback).
        torch.softmax(self.y, 0, out=self.err)
        self.err.sub_(onehot)
        torch.mv(self.w_out.t(), self.err, out=self.l)
        if p["eta_in"] == p["eta_rec"]:
            self.w.addcmul_(self.l.unsqueeze(1), self.ebar, value=-p["eta_in"])
        else:
            ni = self.n_in
            l = self.l.unsqueeze(1)
            self.w[:, :ni].addcmul_(l, self.ebar[:, :ni], value=-p["eta_in"])
            self.w[:, ni:].addcmul_(l, self.ebar[:, ni:], value=-p["eta_rec"])
        self.w_out.addr_(self.err, self.zk, alpha=-p["eta_out"])
        self.b.addcmul_(self.err, self.bk, value=-p["eta_bias"])


def run(path, steps, compile_step=True, warmup=WARMUP):
    """Time `steps` training steps after `warmup` (compilation, when asked, happens in
    the warm-up); returns the timing as a dict."""
    torch.set_num_threads(1)
    torch.set_flush_denormal(True)
    p = params(path)
    net = EProp(p)
    n_out, len_s = p["n_out"], p["sample_steps"]
    x, onehot = net.x, net.onehot
    step, compiled_ok, fallback = net.step, False, None
    with torch.inference_mode():
        if compile_step:
            compiled = torch.compile(net.step, fullgraph=True)
            try:
                compiled(x[0], onehot[0])
                step, compiled_ok = compiled, True
            except Exception as e:  # no C++ compiler, or inductor cannot build here
                fallback = f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
                net = EProp(p)
                x, onehot, step = net.x, net.onehot, net.step
        for t in range(warmup):
            step(x[t % len_s], onehot[t % n_out])
        net.spikes.zero_()
        t0 = time.perf_counter()
        for t in range(steps):
            step(x[t % len_s], onehot[t % n_out])
        seconds = time.perf_counter() - t0
    if not all(bool(torch.isfinite(a).all()) for a in (net.w, net.w_out, net.v)):
        raise SystemExit("torch_eprop: non-finite state: the run is not a valid measurement")
    return {
        "name": p["name"],
        "peer": "pytorch",
        "torch": torch.__version__,
        "mode": "exact",
        "compiled": compiled_ok,
        "compile_failed": fallback,
        "threads": torch.get_num_threads(),
        "steps": steps,
        "seconds": seconds,
        "us_per_step": seconds * 1e6 / max(steps, 1),
        "steps_per_second": steps / max(seconds, 1e-300),
        "spikes": int(net.spikes.item()),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("config", nargs="?", default=CONFIG)
    ap.add_argument("--steps", type=int, default=None, help="steps timed (default task.steps)")
    ap.add_argument("--eager", action="store_true", help="run the step eagerly (no torch.compile)")
    ap.add_argument("--json", action="store_true", help="print the timing as JSON")
    a = ap.parse_args()
    steps = a.steps if a.steps is not None else params(a.config)["sample_steps"]
    r = run(a.config, steps, compile_step=not a.eager)
    if r["compile_failed"]:
        print(f"torch.compile failed, ran eager: {r['compile_failed']}", file=sys.stderr)
    if a.json:
        print(json.dumps(r, indent=2))
        return 0
    how = "torch.compile" if r["compiled"] else "eager"
    print(f"PyTorch {r['torch']} ({how}, {r['threads']} thread, float32, batch 1) "
          f"online exact e-prop, {r['name']}: {r['steps']} steps after {WARMUP} of warm-up")
    print(f"{'simulator':<34}{'s':>10}{'us/step':>10}{'steps/s':>12}{'spikes':>9}")
    print(f"{'PyTorch exact e-prop':<34}{r['seconds']:>10.4f}{r['us_per_step']:>10.2f}"
          f"{r['steps_per_second']:>12.0f}{r['spikes']:>9}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
