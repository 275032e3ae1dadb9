"""NIR graphs in and out of the chip: ``from_nir`` and ``to_nir`` (docs/nir.md).

NIR (the Neuromorphic Intermediate Representation, Pedersen et al. 2024) describes
a network in continuous time. The chip steps in discrete time with fixed-point
decays, so an import fixes a time step ``dt`` and maps each node's parameters onto
the chip's, by forward Euler (the discretisation NIR's reference simulators and
snnTorch's export use):

* ``LIF`` / ``CubaLIF``: ``alpha = 1 - dt / tau_mem`` (the chip's membrane decay),
  input gain ``dt * r * w_in / tau_mem`` folded into the weights, ``v_threshold``
  the chip's threshold. The chip resets by subtracting the threshold at the next
  step (``v[t+1] = alpha v[t] + I - z[t] v_th``), as snnTorch's ``Leaky(reset_mechanism
  = "subtract")`` does; NIR's text resets to ``v_reset``. ``v_reset`` must be 0 and
  ``v_leak`` 0 (the chip's neurons have no leak reversal and no bias).
* ``CubaLIF``'s synaptic current: the chip's neurons have no current state, so
  only ``tau_syn == dt`` (the current decays in one step: ``I[t] = w_in S[t]``) is
  represented; any other ``tau_syn`` is refused.
* ``LI`` / ``CubaLI`` readout: ``kappa = 1 - dt / tau``, gain ``dt * r * w_in /
  tau``, and ``dt / tau * (v_leak + r * w_in * b)`` the chip's readout bias.
* ``Affine`` / ``Linear``: NIR's weight is ``[out, in]``; the chip's rows are the
  presynaptic units (``w_in[i, j]`` from input ``i`` to neuron ``j``).

Everything the chip cannot hold is refused with ``NeurochipError`` naming the node
and why.
"""

from __future__ import annotations

import os
import tempfile
import tomllib
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ._neurochip import Chip, Config, NeurochipError, to_toml

__all__ = ["Import", "from_nir", "to_nir", "write_nir", "read_nir"]

#: Relative tolerance for "all neurons share one value" and "tau_syn equals dt".
TOL = 1e-9

SPIKING = ("LIF", "CubaLIF")
READOUT = ("LI", "CubaLI")
LINEAR = ("Affine", "Linear")


def _nir():
    try:
        import nir  # noqa: PLC0415
    except ImportError as e:  # pragma: no cover - the Makefile installs it
        raise NeurochipError(
            "the `nir` package is not installed; `make python` installs it into .venv "
            "(or: pip install nir)"
        ) from e
    return nir


def read_nir(path: str | os.PathLike) -> Any:
    """Read a NIR graph from an HDF5 file (``nir.read``), with a one-line error."""
    nir = _nir()
    p = Path(path)
    if not p.is_file():
        raise NeurochipError(f"{p}: cannot read the NIR file: no such file")
    try:
        return nir.read(str(p))
    except Exception as e:  # noqa: BLE001 - h5py and nir raise many kinds
        raise NeurochipError(f"{p}: not a NIR graph: {e}") from e


def write_nir(path: str | os.PathLike, graph: Any) -> None:
    """Write a NIR graph to ``path`` (``nir.write``), atomically: a temporary file in
    the same folder, renamed over ``path``."""
    nir = _nir()
    p = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent or ".")
    os.close(fd)
    try:
        nir.write(tmp, graph)
        os.replace(tmp, p)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _refuse(node: str, kind: str, why: str) -> NeurochipError:
    return NeurochipError(f"NIR node '{node}' ({kind}): {why}")


def _vec(node: str, kind: str, name: str, v: Any, n: int | None = None) -> np.ndarray:
    a = np.asarray(v, dtype=np.float64).reshape(-1)
    if n is not None and a.size == 1 and n > 1:
        a = np.full(n, a[0])
    if n is not None and a.size != n:
        raise _refuse(node, kind, f"{name} has {a.size} values for {n} neurons")
    if not np.all(np.isfinite(a)):
        raise _refuse(node, kind, f"{name} holds a value that is not finite")
    return a


def _one(node: str, kind: str, name: str, a: np.ndarray, why: str) -> float:
    lo, hi = float(a.min()), float(a.max())
    if hi - lo > TOL * max(abs(lo), abs(hi), 1e-300):
        raise _refuse(
            node,
            kind,
            f"{name} differs across neurons ({lo:g}..{hi:g}); {why}",
        )
    return float(a.mean())


def _current_weight(
    node: str, cuba: Any, n: int, dt: float, outlasts: Callable[[np.ndarray], str]
) -> np.ndarray:
    """The input weights ``w_in`` of the current-based node ``cuba`` (CubaLIF, CubaLI) of
    ``n`` units, whose synaptic current must last one step (``tau_syn = dt``): the chip
    holds no current state. ``outlasts(tau_syn)`` says why another ``tau_syn`` is refused."""
    kind = type(cuba).__name__
    tau_syn = _vec(node, kind, "tau_syn", cuba.tau_syn, n)
    if np.any(np.abs(tau_syn - dt) > TOL * dt):
        raise _refuse(node, kind, outlasts(tau_syn))
    return _vec(node, kind, "w_in", cuba.w_in, n)


@dataclass
class Import:
    """What ``from_nir`` made: the chip configuration, the chip holding the
    quantised weights, the real weights it was quantised from, and the quantisation
    error per parameter.

    ``errors`` maps each parameter to a dict: for the weight layers ``lsb`` (one unit
    of the chip's memory, real units), ``max_abs``, ``rms`` (real units) and
    ``max_rel`` (the largest error over the layer's largest weight); for the decays
    and the threshold ``nir`` (the value the graph asks for), ``chip`` (the value the
    chip holds) and ``abs``. ``notes`` say what was mapped how. ``save(path)`` writes
    the configuration and its weights (``path`` with ``.npz``).
    """

    config: Config
    chip: Chip
    weights: dict[str, np.ndarray]
    errors: dict[str, dict[str, float]]
    notes: list[str] = field(default_factory=list)
    config_dict: dict[str, Any] = field(default_factory=dict)

    def save(self, path: str | os.PathLike) -> tuple[Path, Path]:
        """Write the configuration (TOML) to ``path`` and the chip's weights to
        ``path`` with ``.npz`` (exact: integers and shifts), both atomically; the
        configuration names the weights file (``network.weights``), so ``neurochip
        run PATH`` runs this chip. Returns both paths."""
        p = Path(path)
        w = p.with_suffix(".npz")
        d = {**self.config_dict}
        d["network"] = {**d["network"], "weights": w.name}
        text = "# Imported from a NIR graph by neurochip.from_nir (docs/nir.md).\n" + to_toml(d)
        self.chip.save_weights(str(w))
        fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent or ".")
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, p)
        return p, w

    def table(self) -> str:
        """The quantisation errors as a text table."""
        lines = [f"{'parameter':<12} {'error':>12}  detail"]
        for k, e in self.errors.items():
            if "lsb" in e:
                lines.append(
                    f"{k:<12} {e['max_abs']:>12.3e}  max |error| (rms {e['rms']:.3e}, "
                    f"{100 * e['max_rel']:.2f}% of the largest weight; lsb {e['lsb']:.3e})"
                )
            else:
                lines.append(
                    f"{k:<12} {e['abs']:>12.3e}  NIR {e['nir']:.6g}, chip {e['chip']:.6g}"
                )
        return "\n".join(lines)

    def __repr__(self) -> str:
        worst = max(
            (e["max_rel"] for e in self.errors.values() if "max_rel" in e), default=0.0
        )
        return (
            f"Import(config={self.config!r}, largest weight error "
            f"{100 * worst:.2f}% of a layer's largest weight)"
        )


def _edges(graph: Any) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    succ: dict[str, list[str]] = {k: [] for k in graph.nodes}
    pred: dict[str, list[str]] = {k: [] for k in graph.nodes}
    for a, b in graph.edges:
        # Edges may name a node's port ("lif.output"): the node is before the dot.
        a = a if a in graph.nodes else a.split(".")[0]
        b = b if b in graph.nodes else b.split(".")[0]
        if a not in graph.nodes or b not in graph.nodes:
            raise NeurochipError(f"NIR edge {a} -> {b}: names a node the graph does not hold")
        succ[a].append(b)
        pred[b].append(a)
    return succ, pred


def _structure(graph: Any) -> dict[str, str | None]:
    """The names of the nodes the chip maps: input, w_in, neurons, w_rec, w_out,
    readout, output."""
    nir = _nir()
    kinds = {k: type(v).__name__ for k, v in graph.nodes.items()}
    allowed = ("Input", "Output", *LINEAR, *SPIKING, *READOUT)
    for k, t in kinds.items():
        if isinstance(graph.nodes[k], nir.NIRGraph):
            raise _refuse(
                k,
                t,
                "a nested subgraph; the chip maps one flat graph (flatten it, or put "
                "its nodes in the top graph)",
            )
        if t not in allowed:
            raise _refuse(
                k,
                t,
                "the chip has no such node; it maps Input -> Affine/Linear -> LIF or "
                "CubaLIF (with a recurrent Affine/Linear) -> Affine/Linear -> LI or "
                "CubaLI -> Output",
            )
    by = lambda ts: [k for k, t in kinds.items() if t in ts]  # noqa: E731
    spiking, readout = by(SPIKING), by(READOUT)
    inputs, outputs = by(("Input",)), by(("Output",))
    for what, found, allowed_text in [
        ("spiking population", spiking, "one LIF or CubaLIF node (the chip's recurrent neurons)"),
        ("readout", readout, "one LI or CubaLI node (the chip's leaky readouts)"),
        ("input", inputs, "one Input node"),
        ("output", outputs, "one Output node"),
    ]:
        if len(found) != 1:
            names = ", ".join(found) or "none"
            raise NeurochipError(
                f"NIR graph: {len(found)} {what} nodes ({names}); the chip maps {allowed_text}"
            )
    succ, pred = _edges(graph)
    n, r, i, o = spiking[0], readout[0], inputs[0], outputs[0]

    def linear_between(a: str, b: str) -> list[str]:
        return [m for m in succ[a] if kinds[m] in LINEAR and b in succ[m]]

    w_in = linear_between(i, n)
    if len(w_in) != 1:
        raise _refuse(
            n,
            kinds[n],
            f"needs one Affine/Linear node from the input '{i}' into it, found "
            f"{len(w_in)}",
        )
    w_rec = linear_between(n, n)
    if len(w_rec) > 1:
        raise _refuse(n, kinds[n], f"{len(w_rec)} recurrent loops; the chip has one")
    w_out = linear_between(n, r)
    if len(w_out) != 1:
        raise _refuse(
            r,
            kinds[r],
            f"needs one Affine/Linear node from '{n}' into it, found {len(w_out)}",
        )
    if o not in succ[r]:
        raise _refuse(r, kinds[r], f"does not feed the output '{o}'")
    mapped = {i, n, r, o, w_in[0], w_out[0], *w_rec}
    for k in graph.nodes:
        if k not in mapped:
            raise _refuse(k, kinds[k], "is not on the chip's path (input, neurons, readout)")
    # Every edge must be one of the path's.
    want = {
        (i, w_in[0]), (w_in[0], n), (n, w_out[0]), (w_out[0], r), (r, o),
        *((n, w) for w in w_rec), *((w, n) for w in w_rec),
    }
    for a in succ:
        for b in succ[a]:
            if (a, b) not in want:
                raise NeurochipError(
                    f"NIR edge {a} -> {b}: the chip has no such connection "
                    f"({kinds[a]} to {kinds[b]})"
                )
    return {
        "input": i,
        "w_in": w_in[0],
        "neurons": n,
        "w_rec": w_rec[0] if w_rec else None,
        "w_out": w_out[0],
        "readout": r,
        "output": o,
    }


def _weight(graph: Any, name: str, rows: int, cols: int, bias_ok: bool) -> tuple[np.ndarray, np.ndarray]:
    node = graph.nodes[name]
    kind = type(node).__name__
    w = np.asarray(node.weight, dtype=np.float64)
    if w.ndim != 2 or w.shape != (rows, cols):
        raise _refuse(name, kind, f"weight of shape {w.shape}; the chip needs ({rows}, {cols}) [out, in]")
    if not np.all(np.isfinite(w)):
        raise _refuse(name, kind, "a weight that is not finite")
    b = np.zeros(rows)
    if kind == "Affine" and node.bias is not None:
        b = _vec(name, kind, "bias", node.bias, rows)
        if not bias_ok and np.any(b != 0):
            raise _refuse(
                name,
                kind,
                "a non-zero bias into the spiking neurons; the chip's neurons have no "
                "bias (allowed: zero bias, or Linear)",
            )
    return w, b


def _base_config(graph: Any) -> dict[str, Any] | None:
    meta = getattr(graph, "metadata", None) or {}
    text = meta.get("neurochip_config")
    if isinstance(text, bytes):
        text = text.decode()
    if not isinstance(text, str):
        return None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return None


def from_nir(
    graph_or_path: Any,
    *,
    dt: float | None = None,
    name: str | None = None,
    seed: int | None = None,
    task: dict[str, Any] | None = None,
    learning: dict[str, Any] | None = None,
    train: dict[str, Any] | None = None,
    formats: dict[str, Any] | None = None,
    chip: dict[str, Any] | None = None,
) -> Import:
    """Import a NIR graph (a ``nir.NIRGraph`` or the path of a NIR file) onto the
    chip: a checked configuration, the chip with the quantised weights, and the
    quantisation error per parameter (``Import``).

    The graph is Input -> Affine/Linear -> LIF or CubaLIF (optionally with a
    recurrent Affine/Linear from the neurons to themselves) -> Affine/Linear -> LI or
    CubaLI -> Output. ``dt`` is the time step in the unit of the graph's time
    constants (seconds for the usual exporters; default 1e-3, 1 ms, or the step a
    graph from ``Chip.to_nir`` was written with). The other arguments
    are sections of the configuration to use: ``task`` (default: Poisson input at 20
    Hz, 1000 steps, for inference), ``learning``, ``train``, ``formats``, ``chip``,
    ``name`` and ``seed``. A graph written by ``Chip.to_nir`` carries its chip's
    configuration and layer shifts in its metadata, and imports as that chip again
    (same digest).

    Raises ``NeurochipError`` naming the node and why when the chip cannot represent
    the graph (docs/nir.md lists every rule).
    """
    graph = graph_or_path
    if isinstance(graph_or_path, (str, os.PathLike)):
        graph = read_nir(graph_or_path)
    if dt is None:
        meta_dt = (getattr(graph, "metadata", None) or {}).get("neurochip_dt")
        dt = float(np.asarray(meta_dt)) if meta_dt is not None else 1e-3
    dt = _step(dt)
    s = _structure(graph)
    nodes = graph.nodes
    neurons, readout = nodes[s["neurons"]], nodes[s["readout"]]
    nk, rk = type(neurons).__name__, type(readout).__name__
    notes: list[str] = []

    # The spiking population.
    if nk == "LIF":
        tau_raw = neurons.tau
    else:
        tau_raw = neurons.tau_mem
    n = int(np.asarray(neurons.v_threshold).size)
    tau = _vec(s["neurons"], nk, "tau" if nk == "LIF" else "tau_mem", tau_raw, n)
    r = _vec(s["neurons"], nk, "r", neurons.r, n)
    v_leak = _vec(s["neurons"], nk, "v_leak", neurons.v_leak, n)
    v_th = _vec(s["neurons"], nk, "v_threshold", neurons.v_threshold, n)
    v_reset = _vec(s["neurons"], nk, "v_reset", getattr(neurons, "v_reset", None) if getattr(neurons, "v_reset", None) is not None else 0.0, n)
    w_syn = np.ones(n)
    if np.any(v_leak != 0):
        raise _refuse(s["neurons"], nk, "v_leak is not 0; the chip's membranes decay to 0 (allowed: v_leak = 0)")
    if np.any(v_reset != 0):
        raise _refuse(
            s["neurons"],
            nk,
            "v_reset is not 0; the chip resets by subtracting the threshold (allowed: v_reset = 0)",
        )
    t = _one(s["neurons"], nk, "tau", tau, "the configuration holds one membrane time constant")
    if not t > dt:
        raise _refuse(
            s["neurons"],
            nk,
            f"tau = {t:g} is not longer than dt = {dt:g}: the Euler decay 1 - dt/tau = "
            f"{1 - dt / t:g} is not in (0, 1) (allowed: tau > dt, or a smaller dt)",
        )
    th = _one(s["neurons"], nk, "v_threshold", v_th, "the configuration holds one threshold")
    if not th > 0:
        raise _refuse(s["neurons"], nk, f"v_threshold = {th:g}; allowed: > 0")
    if nk == "CubaLIF":
        w_syn = _current_weight(
            s["neurons"],
            neurons,
            n,
            dt,
            lambda tau_syn: (
                f"tau_syn = {tau_syn.min():g}..{tau_syn.max():g} gives a synaptic current "
                f"that outlasts a step (Euler decay {1 - dt / tau_syn.max():g} per step); "
                f"the chip's neurons have no current state (allowed: tau_syn = dt = {dt:g}: "
                "the current is the step's input)"
            ),
        )
        notes.append(f"{s['neurons']}: CubaLIF with tau_syn = dt, the current is the step's input times w_in")
    alpha = 1.0 - dt / t
    gain = dt * r * w_syn / t

    # The readout.
    o = int(np.asarray(readout.v_leak).size)
    rtau = _vec(s["readout"], rk, "tau" if rk == "LI" else "tau_mem", readout.tau if rk == "LI" else readout.tau_mem, o)
    rr = _vec(s["readout"], rk, "r", readout.r, o)
    rleak = _vec(s["readout"], rk, "v_leak", readout.v_leak, o)
    r_syn = np.ones(o)
    if rk == "CubaLI":
        r_syn = _current_weight(
            s["readout"],
            readout,
            o,
            dt,
            lambda tau_syn: (
                f"tau_syn = {tau_syn.max():g} gives a synaptic current that outlasts a step; "
                f"the chip's readouts integrate their input directly (allowed: tau_syn = dt = {dt:g})"
            ),
        )
    rt = _one(s["readout"], rk, "tau", rtau, "the configuration holds one readout time constant")
    if not rt > dt:
        raise _refuse(s["readout"], rk, f"tau = {rt:g} is not longer than dt = {dt:g} (allowed: tau > dt)")
    kappa = 1.0 - dt / rt
    rgain = dt * rr * r_syn / rt

    # Sizes and weights.
    n_in_node = nodes[s["w_in"]]
    n_in = int(np.asarray(n_in_node.weight).shape[-1]) if np.asarray(n_in_node.weight).ndim == 2 else -1
    w_in, _ = _weight(graph, s["w_in"], n, n_in, bias_ok=False)
    w_rec = np.zeros((n, n))
    if s["w_rec"] is not None:
        w_rec, _ = _weight(graph, s["w_rec"], n, n, bias_ok=False)
        d = np.flatnonzero(np.diag(w_rec))
        if d.size:
            raise _refuse(
                s["w_rec"],
                type(nodes[s["w_rec"]]).__name__,
                f"weight[{d[0]}, {d[0]}] = {w_rec[d[0], d[0]]:g} connects a neuron to itself; "
                "the chip has no such synapse (allowed: a zero diagonal)",
            )
    w_out, b_out = _weight(graph, s["w_out"], o, n, bias_ok=True)

    # Thresholds the membrane format holds well stay as they are; others are
    # normalised to 1 (membranes in units of the threshold).
    scale = 1.0
    if not (2.0**-6 <= th <= 16.0):
        scale = 1.0 / th
        notes.append(f"{s['neurons']}: v_threshold = {th:g} normalised to 1 (membranes in units of it)")
    chip_w_in = (w_in * gain[:, None]).T * scale
    chip_w_rec = (w_rec * gain[:, None]).T * scale
    chip_w_out = (w_out * rgain[:, None]).T
    chip_bias = dt / rt * (rleak + rr * r_syn * b_out)

    # The configuration: the graph's own (from Chip.to_nir) or a fresh one.
    base = _base_config(graph)
    d: dict[str, Any] = base or {"name": "nir", "seed": 1}
    net = {**d.get("network", {})}
    for k in ("weights", "tau_m_spread", "threshold_spread", "alif_fraction", "beta", "tau_a_ms"):
        net.pop(k, None)
    dt_ms = dt * 1000.0
    net.update(
        inputs=n_in,
        neurons=n,
        outputs=o,
        model="lif",
        dt_ms=dt_ms,
        tau_m_ms=-dt_ms / np.log(alpha),
        tau_out_ms=-dt_ms / np.log(kappa),
        threshold=th * scale,
    )
    if base is None:
        net["refractory_steps"] = 0
        net["connectivity"] = 1.0
        net["input_connectivity"] = 1.0
    d["network"] = {k: (float(v) if isinstance(v, np.floating) else v) for k, v in net.items()}
    if base is None:
        d["task"] = {"kind": "poisson", "steps": 1000, "rate_hz": 20.0}
    for key, val in (("task", task), ("learning", learning), ("train", train), ("formats", formats), ("chip", chip)):
        if val is not None:
            d[key] = val
    if name is not None:
        d["name"] = name
    if seed is not None:
        d["seed"] = seed
    if "learning" not in d or d["learning"].get("engine", "off") == "off":
        d.pop("train", None)
    cfg = Config.from_dict(d, f"{d.get('name', 'nir')}.toml")

    real = {"w_in": chip_w_in, "w_rec": chip_w_rec, "w_out": chip_w_out, "bias": chip_bias}
    weights: dict[str, Any] = dict(real)
    meta = getattr(graph, "metadata", None) or {}
    shifts = meta.get("neurochip_shifts")
    if base is not None and shifts is not None:
        # The chip this graph was exported from: its integers at its shifts.
        f = cfg.to_dict()["formats"]
        sh = [int(x) for x in np.asarray(shifts).reshape(-1)]
        lsb = [2.0 ** (sh[0] - f["membrane_frac"]), 2.0 ** (sh[1] - f["membrane_frac"]),
               2.0 ** (sh[2] - f["readout_frac"]), 2.0 ** (-f["readout_frac"])]
        ints = {k: np.rint(v / q).astype(np.int64) for (k, v), q in zip(real.items(), lsb)}
        wmax = 2 ** (f["weight_bits"] - 1) - 1
        if all(-wmax - 1 <= ints[k].min(initial=0) and ints[k].max(initial=0) <= wmax
               for k in ("w_in", "w_rec", "w_out")):
            weights = {**ints, "shifts": np.asarray(sh, dtype=np.int8)}
        masks = [meta.get(f"neurochip_mask_{m}") for m in ("in", "rec", "out")]
        if all(m is not None for m in masks):
            for m, k in zip(masks, ("mask_in", "mask_rec", "mask_out")):
                weights[k] = np.asarray(m).astype(bool)
    the_chip = Chip(cfg, weights=weights)

    # The quantisation error.
    errors: dict[str, dict[str, float]] = {}
    for k, v in real.items():
        got = the_chip.get_weights(k, dequantize=True)
        e = np.abs(got - v)
        big = float(np.abs(v).max(initial=0.0))
        errors[k] = {
            "lsb": the_chip.lsb(k),
            "max_abs": float(e.max(initial=0.0)),
            "rms": float(np.sqrt(np.mean(e**2))) if e.size else 0.0,
            "max_rel": float(e.max(initial=0.0) / big) if big > 0 else 0.0,
        }
    p = the_chip.parameters()
    for k, want, got in (
        ("alpha", alpha, float(p["alpha"][0])),
        ("kappa", kappa, float(p["kappa"][0])),
        ("threshold", th * scale, float(p["threshold"][0])),
    ):
        errors[k] = {"nir": float(want), "chip": got, "abs": abs(got - float(want))}
    return Import(cfg, the_chip, weights={k: np.asarray(v) for k, v in real.items()},
                  errors=errors, notes=notes, config_dict=d)


def _step(dt: Any) -> float:
    """``dt`` as a float, refused unless a finite number > 0 (a Python or numpy
    number): the step in the graph's time unit, for ``from_nir`` and ``to_nir`` alike."""
    real = isinstance(dt, (int, float, np.integer, np.floating)) and not isinstance(dt, bool)
    if not (real and np.isfinite(dt) and dt > 0):
        raise NeurochipError(f"dt: {dt!r}; allowed: a finite number > 0 (seconds)")
    return float(dt)


def to_nir(chip: Chip, *, dt: float | None = None) -> Any:
    """The chip as a NIR graph: Input -> Linear (``w_in``) -> LIF (with the
    recurrent Linear ``w_rec``) -> Affine (``w_out``, the readout bias) -> LI ->
    Output. ``dt`` (default: the configuration's ``dt_ms`` in seconds) is the step in
    the graph's time unit: ``tau = dt / (1 - alpha)``, ``r = tau / dt`` (unit input
    gain), ``v_threshold`` the chip's, ``v_leak = v_reset = 0``. The graph's metadata
    holds the chip's configuration, layer shifts and masks, so ``from_nir`` makes this
    chip again.

    Refused: adaptive (ALIF) neurons, which NIR has no node for. A refractory period
    is not in NIR's LIF: a warning says so (the metadata keeps it).
    """
    nir = _nir()
    p = chip.parameters()
    dt = float(p["dt_ms"]) / 1000.0 if dt is None else _step(dt)
    if np.any(np.asarray(p["beta"]) != 0):
        raise NeurochipError(
            f"{chip.config.origin}: to_nir: the chip has adaptive (ALIF) neurons "
            "(network.beta > 0 on some); NIR has no adaptive LIF node (allowed: model = \"lif\")"
        )
    if int(p["refractory"]) > 0:
        warnings.warn(
            f"{chip.config.origin}: to_nir: refractory_steps = {p['refractory']} has no "
            "place in NIR's LIF; other tools will simulate the neurons without it "
            "(the graph's metadata keeps it for neurochip)",
            UserWarning,
            stacklevel=2,
        )
    w = chip.weights(dequantize=True)
    alpha = np.asarray(p["alpha"], dtype=np.float64)
    kappa = np.asarray(p["kappa"], dtype=np.float64)
    tau = dt / (1.0 - alpha)
    rtau = dt / (1.0 - kappa)
    n, o, i = chip.neurons, chip.outputs, chip.inputs
    nodes = {
        "input": nir.Input(input_type={"input": np.array([i])}),
        "w_in": nir.Linear(weight=np.ascontiguousarray(w["w_in"].T)),
        "lif": nir.LIF(
            tau=tau,
            r=tau / dt,
            v_leak=np.zeros(n),
            v_threshold=np.asarray(p["threshold"], dtype=np.float64),
            v_reset=np.zeros(n),
        ),
        "w_rec": nir.Linear(weight=np.ascontiguousarray(w["w_rec"].T)),
        "w_out": nir.Affine(weight=np.ascontiguousarray(w["w_out"].T), bias=np.asarray(w["bias"], dtype=np.float64)),
        "li": nir.LI(tau=rtau, r=rtau / dt, v_leak=np.zeros(o)),
        "output": nir.Output(output_type={"output": np.array([o])}),
    }
    edges = [
        ("input", "w_in"), ("w_in", "lif"), ("lif", "w_rec"), ("w_rec", "lif"),
        ("lif", "w_out"), ("w_out", "li"), ("li", "output"),
    ]
    sh = chip.shifts
    metadata = {
        "neurochip_config": chip.config.text,
        "neurochip_shifts": np.array([sh["input"], sh["recurrent"], sh["output"]], dtype=np.int64),
        "neurochip_mask_in": chip.mask("w_in").astype(np.uint8),
        "neurochip_mask_rec": chip.mask("w_rec").astype(np.uint8),
        "neurochip_mask_out": chip.mask("w_out").astype(np.uint8),
        "neurochip_dt": float(dt),
    }
    return nir.NIRGraph(nodes=nodes, edges=edges, metadata=metadata)
