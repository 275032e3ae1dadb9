"""A user's data sets: event files in the layout of the Spiking Heidelberg Digits
(generated here) and CSV feature files train on the chip and learn above chance;
Python and the command line agree on them; HDF5 event files convert; bad files are
one line naming the file and the field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import neurochip as nc

from conftest import write

CLASSES = 3


def shd_like(n: int = 150, units: int = 40, seed: int = 0) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray]:
    """Spike events like a spoken digit's: class ``c`` sweeps through its own band of
    units over the sample (each unit firing at a jittered time), over background
    noise on every unit."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, CLASSES, n)
    times, us = [], []
    band = units // CLASSES
    for c in labels:
        u_sig = np.repeat(np.arange(c * band, (c + 1) * band), 3)
        t_sig = 0.005 + 0.07 * (u_sig - c * band) / band + rng.normal(0, 0.004, u_sig.size)
        u_bg = rng.integers(0, units, 30)
        t_bg = rng.uniform(0, 0.1, 30)
        t = np.clip(np.concatenate([t_sig, t_bg]), 0, None)
        u = np.concatenate([u_sig, u_bg])
        order = np.argsort(t)
        times.append(t[order])
        us.append(u[order])
    return times, us, labels


def events_config(data: Path, **learning: Any) -> dict[str, Any]:
    return {
        "name": "events",
        "seed": 2,
        "formats": {"trace_frac": 6, "rounding": "stochastic"},
        "network": {"inputs": 40, "neurons": 40, "outputs": CLASSES, "tau_m_ms": 20.0,
                    "tau_out_ms": 20.0, "refractory_steps": 1, "w_in_scale": 2.0,
                    "w_rec_scale": 0.2},
        "task": {"kind": "events", "data": str(data), "steps": 100, "window": 40,
                 "test_fraction": 0.2, "split_seed": 1},
        "learning": {"engine": "exact", "apply": "sample", "eta": 1e-4, "eta_out": 1e-3,
                     "eta_bias": 1e-5, **learning},
        "train": {"epochs": 3, "train_samples": 120, "test_samples": 30},
    }


def test_an_shd_layout_file_trains_on_the_chip(tmp_path: Path, cli: Any) -> None:
    t, u, y = shd_like()
    data = tmp_path / "shd.npz"
    nc.save_events(data, t, u, y)
    path, cfg = write(tmp_path, "events", events_config(data))
    rep = nc.Chip(cfg).train()
    assert rep.test_accuracy >= 0.7, rep.test_accuracy  # chance is 1/3
    want = cli.json("run", path)
    assert want["digest"] == rep.digest
    assert want["test_accuracy"] == rep.test_accuracy


def test_an_hdf5_file_in_the_shd_layout_converts(tmp_path: Path, cli: Any) -> None:
    h5py = pytest.importorskip("h5py")
    t, u, y = shd_like(n=12)
    h5 = tmp_path / "shd.h5"
    with h5py.File(h5, "w") as f:
        vt = h5py.vlen_dtype(np.dtype("float32"))
        vu = h5py.vlen_dtype(np.dtype("uint16"))
        ragged_t = np.empty(len(t), dtype=object)
        ragged_u = np.empty(len(u), dtype=object)
        for k in range(len(t)):
            ragged_t[k] = t[k].astype(np.float32)
            ragged_u[k] = u[k].astype(np.uint16)
        f.create_dataset("spikes/times", data=ragged_t, dtype=vt)
        f.create_dataset("spikes/units", data=ragged_u, dtype=vu)
        f.create_dataset("labels", data=y.astype(np.uint8))
    out = tmp_path / "shd.npz"
    r = cli("convert-events", h5, "-o", out)
    assert "12 samples" in r.stdout
    t2, u2, y2 = nc.load_events(out)
    assert np.array_equal(y2, y)
    for a, b in zip(t2, t):
        assert np.allclose(a, b.astype(np.float32))
    for a, b in zip(u2, u):
        assert np.array_equal(a, b)
    # The HDF5 file itself is refused with the way to convert it.
    path, _ = write(tmp_path, "h5", events_config(h5))
    assert "convert-events" in cli.error("run", path, "--no-out")


def blobs(n: int = 240, features: int = 8, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = rng.uniform(0, 10, (CLASSES, features))
    y = rng.integers(0, CLASSES, n)
    x = centres[y] + rng.normal(0, 1.5, (n, features))
    return x, y


def features_config(data: Path, encoding: str = "rate") -> dict[str, Any]:
    return {
        "name": "features",
        "seed": 3,
        "formats": {"trace_frac": 6, "rounding": "stochastic"},
        "network": {"inputs": 8, "neurons": 40, "outputs": CLASSES, "tau_m_ms": 20.0,
                    "refractory_steps": 1, "w_in_scale": 3.0, "w_rec_scale": 0.2},
        "task": {"kind": "features", "data": str(data), "encoding": encoding, "steps": 50,
                 "window": 30, "max_rate_hz": 300.0},
        "learning": {"engine": "exact", "apply": "sample", "eta": 1e-4, "eta_out": 1e-3,
                     "eta_bias": 1e-5},
        "train": {"epochs": 3, "train_samples": 180, "test_samples": 60},
    }


def test_a_csv_feature_file_trains_on_the_chip(tmp_path: Path, cli: Any) -> None:
    x, y = blobs()
    data = tmp_path / "blobs.csv"
    split = np.where(np.arange(len(y)) < 180, "train", "test")
    lines = ["f0,f1,f2,f3,f4,f5,f6,f7,label,split"]
    lines += [",".join([*(f"{v:.4f}" for v in row), str(c), s]) for row, c, s in zip(x, y, split)]
    data.write_text("\n".join(lines) + "\n")
    path, cfg = write(tmp_path, "features", features_config(data))
    rep = nc.Chip(cfg).train()
    assert rep.test_accuracy >= 0.7, rep.test_accuracy  # chance is 1/3
    assert cli.json("run", path)["digest"] == rep.digest
    # Latency coded, from .npy (the class in the last column), split by fraction.
    npy = tmp_path / "blobs.npy"
    np.save(npy, np.c_[x, y])
    d = features_config(npy, "latency")
    d["task"]["test_fraction"] = 0.25
    _, cfg = write(tmp_path, "latency", d)
    assert nc.Chip(cfg).train().test_accuracy > 0.5


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("a,b,label\n1,2,0\n1,x,1\n", "line 3: b: `x` is not a number"),
        ("a,b,label\n1,2,0\n1,2\n", "line 3: 2 columns; allowed: 3, as the first line"),
        ("a,b,label\n1,2,-1\n", "label: element 0 is -1; allowed: class numbers 0..=65535"),
    ],
)
def test_bad_feature_files_name_the_file_and_the_field(tmp_path: Path, cli: Any, content: str, message: str) -> None:
    data = tmp_path / "bad.csv"
    data.write_text(content)
    d = features_config(data)
    d["network"]["inputs"] = 2
    path, _ = write(tmp_path, "bad", d)
    want = f"{path}: task.data: {data}: {message}"
    assert cli.error("run", path, "--no-out") == want
    with pytest.raises(nc.NeurochipError) as e:
        nc.Chip(nc.Config.load(path))
    assert str(e.value) == want


def test_bad_event_files_name_the_file_and_the_array(tmp_path: Path, cli: Any) -> None:
    t, u, y = shd_like(n=4)
    u[2][0] = 45
    data = tmp_path / "ev.npz"
    nc.save_events(data, t, u, y)
    path, _ = write(tmp_path, "ev", events_config(data))
    e = cli.error("run", path, "--no-out")
    assert e.startswith(f"{path}: task.data: {data}: spikes/units: element "), e
    assert e.endswith("is 45; the chip has 40 inputs, allowed 0..=39 (or raise network.inputs)"), e
    np.savez(data, **{"spikes/times": np.zeros(3), "spikes/units": np.zeros(3, int), "labels": np.zeros(2, int)})
    assert cli.error("run", path, "--no-out") == (
        f"{path}: task.data: {data}: spikes/index: missing; an event file holds "
        "spikes/times, spikes/units, spikes/index, labels (and optionally train)"
    )
