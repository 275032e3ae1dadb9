"""``step`` and ``run`` with numpy arrays: shapes, dtypes, units, and that the two
are one chip stepped the same way."""

from __future__ import annotations

import numpy as np
import pytest

import neurochip as nc

from conftest import example, write


@pytest.fixture
def cfg(tmp_path):
    return write(tmp_path, "alif", example("alif"))[1]


def spikes(steps: int, inputs: int = 40, p: float = 0.05, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).random((steps, inputs)) < p


def test_step_shapes_and_dtypes(cfg):
    chip = nc.Chip(cfg)
    assert (chip.inputs, chip.neurons, chip.outputs) == (40, 100, 2)
    z, v, y = chip.step(np.zeros(40, dtype=bool))
    assert z.shape == (100,) and z.dtype == bool
    assert v.shape == (100,) and v.dtype == np.float64
    assert y.shape == (2,) and y.dtype == np.float64
    assert chip.steps == 1


def test_run_shapes_dtypes_and_units(cfg):
    chip = nc.Chip(cfg)
    t = chip.run(spikes(300))
    assert t.steps == 300 and chip.steps == 300
    assert t.spikes.shape == (300, 100) and t.spikes.dtype == bool
    assert t.membranes.shape == (300, 100) and t.membranes.dtype == np.float64
    assert t.readouts.shape == (300, 2) and t.readouts.dtype == np.float64
    assert t.membranes_raw.dtype == np.int32 and t.readouts_raw.dtype == np.int32
    np.testing.assert_array_equal(t.membranes, t.membranes_raw * chip.membrane_lsb)
    np.testing.assert_array_equal(t.readouts, t.readouts_raw * chip.readout_lsb)
    assert chip.membrane_lsb == 2.0**-10 and chip.readout_lsb == 2.0**-8
    assert t.spikes.any(), "the input drives the network"
    # A neuron spikes when its membrane reaches its threshold (1, plus adaptation).
    assert (t.membranes[t.spikes] >= 1.0).all()


def test_run_is_step_by_step(cfg):
    x = spikes(200)
    a, b = nc.Chip(cfg), nc.Chip(cfg)
    t = a.run(x)
    rows = [b.step(row) for row in x]
    np.testing.assert_array_equal(t.spikes, np.array([r[0] for r in rows]))
    np.testing.assert_array_equal(t.membranes, np.array([r[1] for r in rows]))
    np.testing.assert_array_equal(t.readouts, np.array([r[2] for r in rows]))
    assert a.digest == b.digest
    # Runs continue: two halves are the whole.
    c = nc.Chip(cfg)
    first, second = c.run(x[:77]), c.run(x[77:])
    np.testing.assert_array_equal(np.vstack([first.spikes, second.spikes]), t.spikes)
    assert c.digest == a.digest


def test_uint8_lists_and_bools_are_the_same_input(cfg):
    x = spikes(100)
    ref = nc.Chip(cfg).run(x)
    for given in [x.astype(np.uint8), x.tolist()]:
        t = nc.Chip(cfg).run(given)
        np.testing.assert_array_equal(t.spikes, ref.spikes)
        np.testing.assert_array_equal(t.membranes_raw, ref.membranes_raw)


def test_reset_zeroes_the_state_not_the_counters(cfg):
    chip = nc.Chip(cfg)
    x = spikes(100, p=0.2)
    chip.run(x)
    chip.reset()
    z, v, y = chip.step(np.zeros(40, dtype=bool))
    assert not z.any() and (v == 0).all() and (y == chip.get_weights("bias") * chip.readout_lsb).all()
    assert chip.steps == 101
    t1 = chip.run(x, reset=True)
    t2 = nc.Chip(cfg).run(x)
    np.testing.assert_array_equal(t1.spikes, t2.spikes)


def test_bad_input_is_refused(cfg):
    chip = nc.Chip(cfg)
    with pytest.raises(nc.NeurochipError) as e:
        chip.run(np.zeros((10, 39), dtype=bool))
    assert str(e.value) == "input spikes: shape (10, 39); the chip has 40 inputs, so the shape is (steps, 40)"
    with pytest.raises(nc.NeurochipError, match=r"shape \(40,\); .* \(steps, 40\)"):
        chip.run(np.zeros(40, dtype=bool))
    with pytest.raises(nc.NeurochipError, match=r"shape \(1, 40\); .* so the shape is \(40,\)"):
        chip.step(np.zeros((1, 40), dtype=bool))
    x = np.zeros((5, 40), dtype=np.uint8)
    x[3, 7] = 2
    with pytest.raises(nc.NeurochipError) as e:
        chip.run(x)
    assert str(e.value) == "input spikes: 2 at [3, 7]; a spike is 0 or 1"
    with pytest.raises(TypeError, match="dtype float64; allowed bool, or uint8"):
        chip.run(np.zeros((5, 40)))
    assert chip.steps == 0


def test_bool_bytes_other_than_0_and_1_are_true(cfg):
    # A numpy bool array may hold any byte (frombuffer, view); numpy reads a
    # non-zero byte as True, and so does the chip.
    x = spikes(50)
    odd = x.view(np.uint8) * np.uint8(7)
    a, b = nc.Chip(cfg), nc.Chip(cfg)
    ta = a.run(x)
    tb = b.run(odd.view(bool))
    assert np.array_equal(ta.spikes, tb.spikes) and a.digest == b.digest
    step = np.frombuffer(bytes([0, 2] * 20), dtype=bool)
    za, _, _ = a.step(step != 0)
    zb, _, _ = b.step(step)
    assert np.array_equal(za, zb) and a.digest == b.digest


def test_outputs_are_bounded_before_they_are_allocated(cfg):
    chip = nc.Chip(cfg)
    # 10**8 steps of 100 neurons would return tens of GB: refused, nothing run.
    x = np.broadcast_to(np.zeros(40, dtype=bool), (10**8, 40))
    with pytest.raises(nc.NeurochipError, match=r"run: 100000000 steps: .* allowed at most"):
        chip.run(x)
    assert chip.steps == 0


def test_task_input_past_the_samples_is_refused(cfg):
    chip = nc.Chip(cfg)
    assert chip.task_input(chip.samples - 1).shape[1] == 40
    with pytest.raises(nc.NeurochipError, match=r"task_input: sample .* allowed 0\.\.="):
        chip.task_input(chip.samples)
