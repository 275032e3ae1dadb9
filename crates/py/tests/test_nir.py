"""NIR in and out: graphs built with the ``nir`` package import onto the chip and
agree with a float simulation of the NIR graph written here in numpy; ``to_nir``
then ``from_nir`` is the same chip (digest); refusals name the node; the command
line's ``import-nir`` and ``export-nir``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nir
import numpy as np
import pytest

import neurochip as nc

DT = 1e-3


def graph(kind: str = "LIF", recurrent: bool = True, seed: int = 0, n_in: int = 20, n: int = 30,
          n_out: int = 3, tau: float = 20e-3) -> nir.NIRGraph:
    """A NIR graph as a framework would export it: Input -> Affine -> LIF/CubaLIF
    (recurrent Linear) -> Affine -> LI/CubaLI -> Output, in seconds, with a
    per-neuron resistance (folded into the weights by the import)."""
    rng = np.random.default_rng(seed)
    r = (tau / DT) * rng.uniform(0.8, 1.2, n)
    w_in = rng.normal(0.0, 1.0, (n, n_in)) * 0.55
    nodes: dict[str, Any] = {
        "input": nir.Input(input_type={"input": np.array([n_in])}),
        "fc_in": nir.Affine(weight=w_in, bias=np.zeros(n)),
        "fc_out": nir.Affine(weight=rng.normal(0.0, 0.5, (n_out, n)), bias=rng.normal(0.0, 0.1, n_out)),
        "output": nir.Output(output_type={"output": np.array([n_out])}),
    }
    if kind == "LIF":
        nodes["neurons"] = nir.LIF(tau=np.full(n, tau), r=r, v_leak=np.zeros(n),
                                   v_threshold=np.ones(n), v_reset=np.zeros(n))
        nodes["readout"] = nir.LI(tau=np.full(n_out, 10e-3), r=np.full(n_out, 10.0), v_leak=np.zeros(n_out))
    else:
        nodes["neurons"] = nir.CubaLIF(tau_syn=np.full(n, DT), tau_mem=np.full(n, tau), r=r,
                                       v_leak=np.zeros(n), v_threshold=np.ones(n),
                                       w_in=rng.uniform(0.7, 1.3, n))
        nodes["readout"] = nir.CubaLI(tau_syn=np.full(n_out, DT), tau_mem=np.full(n_out, 10e-3),
                                      r=np.full(n_out, 10.0), v_leak=np.full(n_out, 0.05),
                                      w_in=np.full(n_out, 0.5))
    edges = [("input", "fc_in"), ("fc_in", "neurons"), ("neurons", "fc_out"),
             ("fc_out", "readout"), ("readout", "output")]
    if recurrent:
        w = rng.normal(0.0, 1.0, (n, n)) * 0.25 / np.sqrt(n)
        np.fill_diagonal(w, 0.0)
        nodes["rec"] = nir.Linear(weight=w)
        edges += [("neurons", "rec"), ("rec", "neurons")]
    return nir.NIRGraph(nodes=nodes, edges=edges)


def simulate(g: nir.NIRGraph, x: np.ndarray, dt: float = DT, reset: str = "subtract") -> dict[str, np.ndarray]:
    """The NIR graph in float64, forward Euler at ``dt``: for a LIF
    ``v += dt/tau (v_leak - v + r I)``, a CubaLIF's current ``I += dt/tau_syn (-I +
    w_in S)`` first; spikes ``z = v > v_threshold``. ``reset="subtract"``:
    ``v -= z (v_threshold - v_reset)`` at the next step (snnTorch's Leaky; the
    chip's convention); ``"zero"``: ``v = v_reset`` at once (NIR's text). The
    recurrent loop carries the previous step's spikes. Membranes are recorded before
    any reset."""
    nd = g.nodes
    lif = nd["neurons"]
    cuba = isinstance(lif, nir.CubaLIF)
    tau = lif.tau_mem if cuba else lif.tau
    n = tau.size
    ro = nd["readout"]
    ro_cuba = isinstance(ro, nir.CubaLI)
    rtau = ro.tau_mem if ro_cuba else ro.tau
    rec = nd["rec"].weight if "rec" in nd else np.zeros((n, n))
    v, z, i_syn = np.zeros(n), np.zeros(n), np.zeros(n)
    y, o_syn = np.zeros(rtau.size), np.zeros(rtau.size)
    vs, zs, ys = [], [], []
    for t in range(x.shape[0]):
        s_in = nd["fc_in"].weight @ x[t] + nd["fc_in"].bias + rec @ z
        if cuba:
            i_syn = i_syn + dt / lif.tau_syn * (-i_syn + lif.w_in * s_in)
            cur = i_syn
        else:
            cur = s_in
        v = v + dt / tau * (lif.v_leak - v + lif.r * cur)
        if reset == "subtract":
            v = v - z * (lif.v_threshold - lif.v_reset)
        z_new = (v > lif.v_threshold).astype(np.float64)
        vs.append(v.copy())
        if reset == "zero":
            v = np.where(z_new > 0, lif.v_reset, v)
        z = z_new
        s_out = nd["fc_out"].weight @ z + nd["fc_out"].bias
        if ro_cuba:
            o_syn = o_syn + dt / ro.tau_syn * (-o_syn + ro.w_in * s_out)
            s_out = o_syn
        y = y + dt / rtau * (ro.v_leak - y + ro.r * s_out)
        zs.append(z.copy())
        ys.append(y.copy())
    return {"v": np.array(vs), "z": np.array(zs), "y": np.array(ys)}


def poisson(steps: int, n_in: int, rate: float, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).random((steps, n_in)) < rate * DT


def agreement(g: nir.NIRGraph, formats: dict[str, Any] | None = None, steps: int = 1000,
              reset: str = "subtract") -> dict[str, float]:
    """Import ``g``, run it on the chip and in float on the same Poisson input, and
    measure them as ``neurochip verify`` does: the membrane RMS error (over the
    threshold) on the steps before the first spike that differs (after it the two
    trajectories are different spike trains, and one spike at the threshold's edge
    moves a membrane by a whole threshold), the step of that spike, the rate
    correlation over the whole run, and (for the record) the RMS over the whole run."""
    imp = nc.from_nir(g, dt=DT, formats=formats)
    x = poisson(steps, imp.chip.inputs, 40.0, 7)
    tr = imp.chip.run(x)
    ref = simulate(g, x.astype(np.float64), reset=reset)
    th = float(g.nodes["neurons"].v_threshold[0])
    differ = np.flatnonzero((tr.spikes != (ref["z"] > 0)).any(axis=1))
    first = int(differ[0]) if differ.size else steps
    e = (tr.membranes - ref["v"]) / th
    a, b = tr.spikes.sum(axis=0), ref["z"].sum(axis=0)
    return {
        "rms": float(np.sqrt(np.mean(e[: first + 1] ** 2))),
        "first_mismatch": first,
        "rms_all": float(np.sqrt(np.mean(e**2))),
        "corr": float(np.corrcoef(a, b)[0, 1]),
        "rate_hz": float(b.mean() / (steps * DT)),
    }


WIDE = {"membrane_bits": 24, "membrane_frac": 16, "weight_bits": 16}


@pytest.mark.parametrize("kind", ["LIF", "CubaLIF"])
@pytest.mark.parametrize("recurrent", [False, True])
def test_a_nir_graph_on_the_chip_agrees_with_its_float_simulation(kind: str, recurrent: bool) -> None:
    """At 10-bit weights (the rest of the formats the default): membrane RMS below
    2% of the threshold and rate correlation at least 0.95. At the default 8 bits
    the rates still agree (the membrane error, 1.4-2.6% here, is what the import's
    weight error predicts); at 16-bit weights and a 24-bit membrane the error is a
    few hundredths of a percent. docs/nir.md has the table."""
    g = graph(kind, recurrent, seed=3)
    a = agreement(g, {"weight_bits": 10})
    assert 5.0 < a["rate_hz"] < 100.0, a  # the neurons work in a normal regime
    assert a["first_mismatch"] >= 20, a  # a comparison of some length
    assert a["rms"] < 0.02, (kind, recurrent, a)
    assert a["corr"] >= 0.95, (kind, recurrent, a)
    d = agreement(g)
    assert d["corr"] >= 0.95 and d["rms"] < 0.05, d
    w = agreement(g, WIDE)
    assert w["rms"] < 0.001 and w["corr"] >= 0.99, w
    # NIR's own reset (to v_reset at once) is another model: the chip subtracts.
    z = agreement(g, {"weight_bits": 10}, reset="zero")
    assert z["rms"] > 0.1, z


def test_the_default_formats_report_their_error() -> None:
    """8-bit weights: the import says how far each layer moved, within half an LSB."""
    imp = nc.from_nir(graph("LIF", True, seed=3), dt=DT)
    for k in ("w_in", "w_rec", "w_out", "bias"):
        e = imp.errors[k]
        assert e["max_abs"] <= e["lsb"] / 2 + 1e-12, (k, e)
    assert imp.errors["alpha"]["abs"] < 2**-15
    assert abs(imp.errors["alpha"]["nir"] - 0.95) < 1e-12
    assert "w_in" in imp.table()


def test_to_nir_then_from_nir_is_the_same_chip(tmp_path: Path) -> None:
    for name in ("lif", "cue_lif"):
        chip = nc.Chip(f"examples/{name}.toml")
        with pytest.warns(UserWarning, match="refractory"):
            g = chip.to_nir()
        path = tmp_path / f"{name}.nir"
        nc.write_nir(path, g)
        imp = nc.from_nir(path)
        assert imp.chip.digest == chip.digest, name
        for layer in ("w_in", "w_rec", "w_out", "bias"):
            assert np.array_equal(imp.chip.get_weights(layer), chip.get_weights(layer)), layer
        x = chip.task_input(0)[:300]
        assert imp.chip.run(x).steps == 300
        chip.run(x)
        assert imp.chip.digest == chip.digest, name


def test_an_imported_graph_saves_runs_and_exports(tmp_path: Path, cli: Any) -> None:
    g = graph("LIF", True, seed=1)
    path = tmp_path / "g.nir"
    nc.write_nir(path, g)
    out = tmp_path / "model.toml"
    r = cli("import-nir", path, "-o", out)
    assert out.exists() and out.with_suffix(".npz").exists(), r.stdout
    assert "w_in" in r.stdout
    # The file runs as the imported chip runs.
    imp = nc.from_nir(g, name="model")
    rep = cli.json("run", out)
    assert rep["digest"] == nc.run(nc.Config.load(out)).digest
    again = nc.Chip(nc.Config.load(out))
    assert again.digest == imp.chip.digest
    # And goes back out to NIR.
    back = tmp_path / "back.nir"
    cli("export-nir", out, "-o", back)
    g2 = nc.read_nir(back)
    assert set(g2.nodes) == {"input", "w_in", "lif", "w_rec", "w_out", "li", "output"}
    assert nc.from_nir(g2).chip.digest == again.digest


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda g: setattr(g.nodes["neurons"], "v_leak", np.full(30, 0.1)), "NIR node 'neurons' (LIF): v_leak is not 0"),
        (lambda g: setattr(g.nodes["neurons"], "v_reset", np.full(30, -0.5)), "NIR node 'neurons' (LIF): v_reset is not 0"),
        (lambda g: setattr(g.nodes["neurons"], "tau", np.linspace(0.01, 0.03, 30)), "NIR node 'neurons' (LIF): tau differs across neurons"),
        (lambda g: setattr(g.nodes["fc_in"], "bias", np.ones(30)), "NIR node 'fc_in' (Affine): a non-zero bias"),
        (lambda g: g.nodes["rec"].weight.__setitem__((2, 2), 0.3), "NIR node 'rec' (Linear): weight[2, 2] = 0.3 connects a neuron to itself"),
        (lambda g: setattr(g.nodes["neurons"], "tau", np.full(30, 0.5e-3)), "NIR node 'neurons' (LIF): tau = 0.0005 is not longer than dt"),
    ],
)
def test_what_the_chip_cannot_hold_is_refused_naming_the_node(change: Any, message: str) -> None:
    g = graph("LIF", True)
    change(g)
    with pytest.raises(nc.NeurochipError, match="^" + message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[").replace("]", r"\]")):
        nc.from_nir(g)


def test_refusals_of_structure() -> None:
    g = graph("CubaLIF", False)
    g.nodes["neurons"].tau_syn = np.full(30, 5e-3)
    with pytest.raises(nc.NeurochipError, match=r"^NIR node 'neurons' \(CubaLIF\): tau_syn = 0.005.*no current state"):
        nc.from_nir(g)
    g = graph("LIF", False)
    g.nodes["extra"] = nir.Threshold(threshold=np.ones(3))
    with pytest.raises(nc.NeurochipError, match=r"^NIR node 'extra' \(Threshold\): the chip has no such node"):
        nc.from_nir(g, dt=DT)
    g = graph("LIF", True)
    g.nodes["neurons2"] = nir.LIF(tau=np.full(2, 0.02), r=np.ones(2), v_leak=np.zeros(2), v_threshold=np.ones(2))
    with pytest.raises(nc.NeurochipError, match="^NIR graph: 2 spiking population nodes"):
        nc.from_nir(g)


def test_the_command_line_refuses_in_one_line(tmp_path: Path, cli: Any) -> None:
    g = graph("LIF", True)
    g.nodes["neurons"].v_leak = np.full(30, 0.1)
    bad = tmp_path / "bad.nir"
    nc.write_nir(bad, g)
    out = tmp_path / "m.toml"
    assert cli.error("import-nir", bad, "-o", out).startswith("NIR node 'neurons' (LIF): v_leak is not 0")
    assert not out.exists() and not out.with_suffix(".npz").exists()
    # Outputs are checked by the binary before any work.
    e = cli.error("import-nir", bad, "-o", tmp_path / "no" / "m.toml")
    assert "the folder" in e and "does not exist" in e, e
    assert cli.error("import-nir", tmp_path / "none.nir", "-o", out).endswith("cannot read the NIR file: no such file")
    assert cli.error("export-nir", "examples/alif.toml", "-o", tmp_path / "a.nir").endswith(
        "NIR has no adaptive LIF node (allowed: model = \"lif\")"
    )


@pytest.mark.parametrize("dt", [0.0, -1.0, float("nan"), float("inf")])
def test_to_nir_refuses_a_step_that_is_not_a_time(dt: float) -> None:
    chip = nc.Chip("examples/lif.toml")
    with pytest.raises(nc.NeurochipError, match=r"^dt: .*; allowed: a finite number > 0"):
        chip.to_nir(dt=dt)
