"""Weights as numpy arrays: read and written quantised (the memory's integers) and
dequantised (real values), with the layer shapes, the digest rule and the refusals
of ``neurochip_emu::weights``."""

from __future__ import annotations

import json

import numpy as np
import pytest

import neurochip as nc

from conftest import example, write

LAYERS = ["w_in", "w_rec", "w_out", "bias"]


def lif(tmp_path, **task):
    return write(tmp_path, "lif", example("lif", task={"samples": 1, **task}))


def test_shapes_dtypes_and_units(tmp_path):
    _, cfg = lif(tmp_path)
    chip = nc.Chip(cfg)
    shapes = {"w_in": (40, 100), "w_rec": (100, 100), "w_out": (100, 2), "bias": (2,)}
    all_q = chip.weights()
    all_r = chip.weights(dequantize=True)
    for layer, shape in shapes.items():
        q = chip.get_weights(layer)
        r = chip.get_weights(layer, dequantize=True)
        assert q.shape == r.shape == shape
        assert q.dtype == np.int32 and r.dtype == np.float64
        np.testing.assert_array_equal(r, q * chip.lsb(layer))
        np.testing.assert_array_equal(all_q[layer], q)
        np.testing.assert_array_equal(all_r[layer], r)
    # The unit of a weight layer is 2^(shift - frac).
    assert chip.lsb("w_in") == 2.0 ** (chip.shifts["input"] - 10)
    assert chip.lsb("w_out") == 2.0 ** (chip.shifts["output"] - 8)
    assert chip.lsb("bias") == 2.0**-8
    assert abs(chip.get_weights("w_in")).max() <= 127
    # No self-connections: the diagonal of w_rec is masked off, and 0.
    m = chip.mask("w_rec")
    assert m.dtype == bool and m.shape == (100, 100)
    assert not m.diagonal().any() and m.sum() == 100 * 99
    assert (chip.get_weights("w_rec").diagonal() == 0).all()
    assert chip.mask("bias") is None


def test_dequantised_weights_are_the_command_lines_network(cli, tmp_path):
    path, cfg = lif(tmp_path)
    out = tmp_path / "net.json"
    cli("network", path, "-o", out)
    net = json.loads(out.read_text())
    chip = nc.Chip(cfg)
    for layer in ["w_in", "w_rec", "w_out"]:
        w = chip.get_weights(layer, dequantize=True)
        np.testing.assert_array_equal(w.ravel(), np.array(net[layer]))


def test_get_set_run_gives_the_same_digest(cli, tmp_path):
    path, cfg = lif(tmp_path)
    want = cli.json("run", path)["digest"]
    for dequantize in [False, True]:
        chip = nc.Chip(cfg)
        start = chip.digest
        for layer in LAYERS:
            chip.set_weights(layer, chip.get_weights(layer, dequantize=dequantize))
        assert chip.digest == start
        assert chip.infer().digest == want


def test_modified_weights_change_the_digest_and_the_dynamics(cli, tmp_path):
    path, cfg = lif(tmp_path)
    want = cli.json("run", path)
    chip = nc.Chip(cfg)
    w = chip.get_weights("w_in")
    w[:, :10] = 0  # silence the input of ten neurons
    chip.set_weights("w_in", w)
    rep = chip.infer()
    assert rep.digest != want["digest"]
    assert rep.spikes != want["spikes"]
    # A chip whose registers are built over those memories starts from that digest:
    # a second chip with the same write runs the same.
    other = nc.Chip(cfg)
    other.set_weights("w_in", w)
    assert other.infer().digest == rep.digest
    # Real values put on the grid: the same write as the integers.
    third = nc.Chip(cfg)
    third.set_weights("w_in", w * third.lsb("w_in"))
    assert third.infer().digest == rep.digest


def test_quantise_dequantise_round_trip_within_one_lsb(tmp_path):
    _, cfg = lif(tmp_path)
    chip = nc.Chip(cfg)
    rng = np.random.default_rng(7)
    for layer in LAYERS:
        lsb = chip.lsb(layer)
        shape = chip.get_weights(layer).shape
        lo, hi = (-128, 127) if layer != "bias" else (-(2**15), 2**15 - 1)
        x = rng.uniform(lo * lsb, hi * lsb, size=shape)
        mask = chip.mask(layer)
        if mask is not None:
            x = np.where(mask, x, 0.0)
        chip.set_weights(layer, x)
        back = chip.get_weights(layer, dequantize=True)
        assert np.abs(back - x).max() <= lsb / 2 + 1e-12
        # To nearest: the integers are x / lsb rounded.
        q = chip.get_weights(layer)
        np.testing.assert_array_equal(q, np.round(x / lsb).astype(np.int64))


def test_writes_after_steps_fold_into_the_digest(tmp_path):
    _, cfg = lif(tmp_path)
    a, b = nc.Chip(cfg), nc.Chip(cfg)
    x = a.task_input(0)
    a.run(x[:500])
    b.run(x[:500])
    b.set_weights("w_out", b.get_weights("w_out"))
    # The same weights: the same dynamics, but the write is in the digest.
    ta, tb = a.run(x[500:]), b.run(x[500:])
    np.testing.assert_array_equal(ta.spikes, tb.spikes)
    np.testing.assert_array_equal(ta.readouts, tb.readouts)
    assert a.digest != b.digest


def test_refused_writes_name_the_element_and_change_nothing(tmp_path):
    _, cfg = lif(tmp_path)
    chip = nc.Chip(cfg)
    before = chip.get_weights("w_in")
    w = before.copy()
    w[1, 2] = 300
    with pytest.raises(nc.NeurochipError) as e:
        chip.set_weights("w_in", w)
    assert str(e.value) == "w_in[1, 2] = 300: outside the weight format (8 bits); allowed -128..=127"
    with pytest.raises(nc.NeurochipError, match=r"^w_in\[0, 0\] = 1000000 is 64000000 units"):
        chip.set_weights("w_in", np.full((40, 100), 1e6))
    with pytest.raises(nc.NeurochipError, match=r"^w_in\[0, 0\] = NaN is not a number"):
        chip.set_weights("w_in", np.full((40, 100), np.nan))
    rec = chip.get_weights("w_rec")
    rec[3, 3] = 1
    with pytest.raises(nc.NeurochipError, match=r"^w_rec\[3, 3\] = 1: the synapse's mask bit is clear"):
        chip.set_weights("w_rec", rec)
    with pytest.raises(nc.NeurochipError) as e:
        chip.set_weights("w_in", before[:, :99])
    assert str(e.value) == "w_in: shape (40, 99) given; the layer is (40, 100)"
    with pytest.raises(nc.NeurochipError) as e:
        chip.get_weights("w_hid")
    assert str(e.value) == "`w_hid` is not a weight layer; allowed: w_in, w_rec, w_out, bias"
    with pytest.raises(TypeError, match="dtype bool"):
        chip.set_weights("w_in", before > 0)
    # An unsigned value past i64 is refused, not wrapped to a negative one.
    big = np.zeros((40, 100), dtype=np.uint64)
    big[2, 5] = 2**64 - 1
    with pytest.raises(nc.NeurochipError) as e:
        chip.set_weights("w_in", big)
    assert str(e.value).startswith("w_in: 18446744073709551615 at [2, 5]; allowed at most")
    np.testing.assert_array_equal(chip.get_weights("w_in"), before)
    assert chip.digest == nc.Chip(cfg).digest


def test_dales_law_is_kept_while_learning(tmp_path):
    # Dale's law binds a chip that learns (learning.dale): 80 of 100 neurons
    # excitatory, rows 80..99 inhibitory (<= 0).
    _, cfg = write(tmp_path, "ei", example("cue", network={"excitatory_fraction": 0.8}))
    chip = nc.Chip(cfg)
    rec = chip.get_weights("w_rec")
    assert (rec[:80] >= 0).all() and (rec[80:] <= 0).all()
    rec[99, 3] = 3
    with pytest.raises(nc.NeurochipError, match=r"^w_rec\[99, 3\] = 3: Dale's law"):
        chip.set_weights("w_rec", rec)


def test_weights_set_before_training_are_trained_from(cli, tmp_path):
    d = example("cue", train={"epochs": 1, "train_samples": 10, "test_samples": 10})
    path, cfg = write(tmp_path, "cue", d)
    plain = nc.Chip(cfg).train()
    assert plain.digest == cli.json("run", path)["digest"]
    chip = nc.Chip(cfg)
    w = chip.get_weights("w_out")
    chip.set_weights("w_out", -w)
    trained = chip.train()
    assert trained.digest != plain.digest
    # The chip keeps what it learned: its readout weights moved from -w.
    assert (chip.get_weights("w_out") != -w).any()
