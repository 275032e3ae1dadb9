"""Weights files: ``neurochip weights`` writes a chip's weights (from a
configuration, an image or a snapshot) as ``.npz``; ``--weights`` (run, verify,
export), ``network.weights`` and ``Chip(config, weights=...)`` start a chip from
them: export, import, run gives the same digest. Bad files: one line naming the
file and the array."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import neurochip as nc

from conftest import example, write

SHORT = {"train": {"epochs": 1, "train_samples": 20, "test_samples": 10}}


def test_export_import_run_gives_the_same_digest(tmp_path: Path, cli: Any) -> None:
    path, cfg = write(tmp_path, "lif", example("lif"))
    w = tmp_path / "lif.npz"
    cli("weights", path, "-o", w)
    z = np.load(w)
    assert z["w_in"].dtype == np.int16 and z["w_in"].shape == (40, 100)
    assert z["bias"].dtype == np.int32
    chip = nc.Chip(cfg)
    assert list(z["shifts"]) == [chip.shifts[k] for k in ("input", "recurrent", "output")]
    assert np.array_equal(z["w_rec_real"], chip.get_weights("w_rec", dequantize=True))
    assert np.array_equal(z["lsb"], [chip.lsb(k) for k in ("w_in", "w_rec", "w_out", "bias")])
    base = cli.json("run", path)["digest"]
    assert cli.json("run", path, "--weights", w)["digest"] == base
    assert nc.Chip(cfg, weights=w).digest == chip.digest
    assert cli.json("verify", path, "--weights", w)["digest"] == cli.json("verify", path)["digest"]
    img_a, img_b = tmp_path / "a.img", tmp_path / "b.img"
    cli("export", path, "-o", img_a)
    cli("export", path, "--weights", w, "-o", img_b)
    assert img_a.read_bytes() == img_b.read_bytes()
    # An image's weights are the configuration's.
    w2 = tmp_path / "img.npz"
    cli("weights", img_a, "-o", w2)
    z2 = np.load(w2)
    for k in ("w_in", "w_rec", "w_out", "bias", "shifts"):
        assert np.array_equal(z[k], z2[k]), k


def test_trained_weights_start_a_chip(tmp_path: Path, cli: Any) -> None:
    path, cfg = write(tmp_path, "cue", example("cue", **SHORT))
    snap, w = tmp_path / "cue.snap", tmp_path / "trained.npz"
    cli("run", path, "--save", snap, "--no-out", "-q")
    cli("weights", snap, "--config", path, "-o", w)
    trained = nc.Chip(cfg)
    trained.load(snap)
    again = nc.Chip(cfg, weights=w)
    for k in ("w_in", "w_rec", "w_out", "bias"):
        assert np.array_equal(again.get_weights(k), trained.get_weights(k)), k
    # The same from Python: save_weights writes the file the command line writes.
    w3 = tmp_path / "py.npz"
    trained.save_weights(w3)
    assert nc.Chip(cfg, weights=w3).digest == again.digest
    # Training goes on from them: the command line and Python agree.
    rep = cli.json("run", path, "--weights", w)
    assert rep["digest"] == again.train().digest
    # network.weights in the file does the same as --weights.
    d = example("cue", **SHORT)
    d["network"]["weights"] = str(w)
    p2, cfg2 = write(tmp_path, "cue2", d)
    assert cli.json("run", p2)["digest"] == rep["digest"]


def test_real_valued_weights_from_numpy(tmp_path: Path, cli: Any) -> None:
    path, cfg = write(tmp_path, "lif", example("lif"))
    rng = np.random.default_rng(0)
    w = {
        "w_in": rng.normal(0, 0.3, (40, 100)),
        "w_rec": rng.normal(0, 0.05, (100, 100)) * (1 - np.eye(100)),
        "w_out": rng.normal(0, 0.1, (100, 2)).T.T,  # any float dtype and order
        "bias": np.array([0.1, -0.2], dtype=np.float32),
    }
    f = tmp_path / "real.npz"
    np.savez(f, **{**w, "w_out": np.asfortranarray(w["w_out"])})
    chip = nc.Chip(cfg, weights=f)
    assert nc.Chip(cfg, weights=w).digest == chip.digest
    for k in ("w_in", "w_rec", "w_out"):
        got = chip.get_weights(k, dequantize=True)
        assert np.max(np.abs(got - w[k])) <= chip.lsb(k) / 2 + 1e-12, k
    assert cli.json("run", path, "--weights", f)["digest"] == chip.infer().digest


@pytest.mark.parametrize(
    ("arrays", "message"),
    [
        ({"w_in": np.zeros((3, 5))}, "w_in: shape (3, 5); the chip's w_in is (40, 100)"),
        ({"w_rec": None}, "w_rec: missing; a weights file holds w_in, w_rec and w_out"),
        ({"shifts": np.zeros(3, np.int8)}, "w_in: dtype float64; with `shifts` in the file the weights are the chip's integers"),
        ({"w_rec": np.eye(100)}, "w_rec[0, 0] = 1: the chip has no synapse from a neuron to itself"),
        ({"w_out": np.full((100, 2), np.inf)}, "w_out: element 0 is inf; allowed: finite numbers"),
    ],
)
def test_bad_weights_files_name_the_file_and_the_array(tmp_path: Path, cli: Any, arrays: dict[str, Any], message: str) -> None:
    path, cfg = write(tmp_path, "lif", example("lif"))
    base = {"w_in": np.zeros((40, 100)), "w_rec": np.zeros((100, 100)), "w_out": np.zeros((100, 2))}
    base.update(arrays)
    f = tmp_path / "bad.npz"
    np.savez(f, **{k: v for k, v in base.items() if v is not None})
    e = cli.error("run", path, "--weights", f, "--no-out")
    assert e.startswith(f"{path}: network.weights: {f}: {message}"), e
    with pytest.raises(nc.NeurochipError) as err:
        nc.Chip(cfg, weights=f)
    assert str(err.value) == e


def test_a_file_that_is_no_npz(tmp_path: Path, cli: Any) -> None:
    path, _ = write(tmp_path, "lif", example("lif"))
    f = tmp_path / "x.npz"
    f.write_text("hello")
    e = cli.error("run", path, "--weights", f, "--no-out")
    assert e.startswith(f"{path}: network.weights: {f}: not an npz archive"), e
    out = tmp_path / "w.npz"
    assert cli.error("weights", path, "-o", path).endswith(
        "writing it would replace the input; give another path"
    )
    snap = tmp_path / "s.snap"
    snap.write_bytes(b"NCSS" + bytes(40))
    assert "give the one it was saved from with --config" in cli.error("weights", snap, "-o", out)
