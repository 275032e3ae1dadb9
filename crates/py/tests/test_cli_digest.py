"""Python and the command line agree: the same configuration gives the same report,
figure for figure and digest for digest, from ``neurochip.run`` / ``verify`` /
``cycles`` and a ``Chip`` as from ``neurochip run`` / ``verify`` / ``run --arch``.

Seven example configurations (inference, supervised training with both engines,
reward learning, regression), some made shorter by overrides that the command line
gets too, through the same TOML text in a temporary file."""

from __future__ import annotations

from typing import Any

import pytest

import neurochip as nc

from conftest import ROOT, example, without_time, write

# (example, overrides, command, report kind)
CASES: list[tuple[str, dict[str, Any], str, str]] = [
    ("lif", {}, "run", "run"),
    ("lif", {}, "verify", "verify"),
    ("alif", {}, "run", "run"),
    ("sparse_ei", {}, "run", "run"),
    ("cue", {"train": {"epochs": 2, "train_samples": 30, "test_samples": 20}}, "run", "train"),
    ("cue_lif", {"train": {"epochs": 1, "train_samples": 10, "test_samples": 10}}, "verify", "learn_verify"),
    ("digits", {"train": {"epochs": 1, "train_samples": 60, "test_samples": 30}}, "run", "train"),
    ("reward_cue", {"train": {"epochs": 1, "train_samples": 40, "test_samples": 5}}, "run", "reward"),
    ("pattern", {"train": {"epochs": 3, "train_samples": 1, "test_samples": 1}}, "verify", "learn_verify"),
]


@pytest.mark.parametrize(
    ("name", "overrides", "command", "kind"),
    CASES,
    ids=[f"{c[2]}-{c[0]}" for c in CASES],
)
def test_report_equals_the_command_lines(cli, tmp_path, name, overrides, command, kind):
    path, cfg = write(tmp_path, name, example(name, **overrides))
    want = cli.json(command, path)
    got = (nc.run if command == "run" else nc.verify)(cfg)
    assert got.kind == kind
    assert got.digest == (want.get("digest") or want["chip"]["digest"])
    assert len(got.digest) == 16
    # Every figure, not only the digest (wall-clock times aside).
    assert without_time(got.to_dict()) == without_time(want)


def test_a_chip_object_gives_the_command_lines_digest(cli, tmp_path):
    # Inference on a Chip built from the file path itself.
    want = cli.json("run", "examples/lif.toml")
    chip = nc.Chip(ROOT / "examples" / "lif.toml")
    rep = chip.infer()
    assert rep.digest == chip.digest == want["digest"]
    assert without_time(rep.to_dict()) == without_time(want)
    # Training a Chip built from a dict.
    d = example("cue", train={"epochs": 1, "train_samples": 20, "test_samples": 10})
    path, cfg = write(tmp_path, "cue", d)
    want = cli.json("run", path)
    chip = nc.Chip(cfg)
    epochs: list[dict[str, Any]] = []
    rep = chip.train(on_epoch=epochs.append)
    assert rep.kind == "train"
    assert rep.digest == chip.digest == want["digest"]
    assert chip.epochs_done == 1
    assert [e["epoch"] for e in epochs] == [1]
    assert epochs == want["epochs"]


def test_stepping_the_tasks_input_is_the_inference_run(cli, tmp_path):
    path, cfg = write(tmp_path, "alif2", example("alif", task={"samples": 2}))
    want = cli.json("run", path)
    chip = nc.Chip(cfg)
    assert chip.samples == 2
    spikes = 0
    for s in range(chip.samples):
        x = chip.task_input(s)
        assert x.dtype == bool and x.shape == (2250, 40)
        chip.reset()
        spikes += int(chip.run(x).spikes.sum())
    assert chip.digest == want["digest"]
    assert spikes == want["spikes"]


def test_the_cycle_model_report_equals_the_command_lines(cli, tmp_path):
    path, cfg = write(tmp_path, "lif", example("lif"))
    for arch in ["reckon", "multicore"]:
        want = cli.json("run", path, "--arch", arch)
        got = nc.cycles(cfg, arch)
        assert got.kind == "cycles"
        assert got.to_dict() == want
        # The cycle model counts around the chip and does not change its bits.
        assert got.digest == nc.run(cfg).digest


def test_a_report_stays_as_made_whatever_its_reader_changes():
    import neurochip as nc

    r = nc.run("examples/lif.toml", steps=50)
    counts = list(r["spike_counts"])
    r.to_dict()["spike_counts"].append(9)
    r["spike_counts"].append(9)
    r.spike_counts.clear()
    assert r["spike_counts"] == counts and r.to_dict()["spike_counts"] == counts
    assert list(r.keys()) == list(r.to_dict().keys())
