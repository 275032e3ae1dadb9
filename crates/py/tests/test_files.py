"""Files shared with the command line: snapshots (``save``/``load``, ``neurochip run
--save``/``--resume``) continue a chip bit for bit, and images (``export_image``) are
the bytes ``neurochip export`` / ``run --export`` write, which ``inspect`` and
``run-image`` accept."""

from __future__ import annotations

import numpy as np
import pytest

import neurochip as nc

from conftest import example, write


def cue(tmp_path, name="cue", epochs=2):
    d = example("cue", train={"epochs": epochs, "train_samples": 12, "test_samples": 8})
    return write(tmp_path, name, d)


def test_save_load_continues_identically(tmp_path):
    _, cfg = write(tmp_path, "alif", example("alif"))
    x = nc.Chip(cfg).task_input(0)
    a = nc.Chip(cfg)
    a.run(x[:1000])
    a.save(tmp_path / "a.snap")
    blob = a.snapshot()
    assert (tmp_path / "a.snap").read_bytes() == blob
    rest = a.run(x[1000:])
    for restore in ["load", "restore"]:
        b = nc.Chip(cfg)
        if restore == "load":
            assert b.load(tmp_path / "a.snap") == 0
        else:
            assert b.restore(blob) == 0
        assert b.steps == 1000
        t = b.run(x[1000:])
        np.testing.assert_array_equal(t.spikes, rest.spikes)
        np.testing.assert_array_equal(t.membranes_raw, rest.membranes_raw)
        assert b.digest == a.digest


def test_training_split_by_a_snapshot_is_the_whole_run(cli, tmp_path):
    path2, cfg2 = cue(tmp_path, "cue2", epochs=2)
    path1, cfg1 = cue(tmp_path, "cue1", epochs=1)
    whole = cli.json("run", path2)["digest"]
    a = nc.Chip(cfg1)
    a.train(save=tmp_path / "one.snap")
    assert a.epochs_done == 1
    # Python to Python: load the snapshot, train the remaining epoch.
    b = nc.Chip(cfg1)
    assert b.load(tmp_path / "one.snap") == 1
    assert b.train().digest == whole
    assert b.epochs_done == 2
    # The same chip trained on: its epochs continue.
    assert a.train().digest == whole
    # Python's snapshot resumed by the command line, and the command line's by Python.
    assert cli.json("run", path1, "--resume", tmp_path / "one.snap")["digest"] == whole
    cli("run", path1, "--save", tmp_path / "cli.snap", "--no-out", "-q")
    assert (tmp_path / "cli.snap").read_bytes() == (tmp_path / "one.snap").read_bytes()
    c = nc.Chip(cfg1)
    assert c.train(resume=tmp_path / "cli.snap").digest == whole


def test_a_snapshot_of_another_chip_is_refused(tmp_path):
    _, cfg = cue(tmp_path)
    nc.Chip(cfg).save(tmp_path / "cue.snap")
    other = nc.Chip(example("cue", seed=9))
    with pytest.raises(nc.NeurochipError, match="another configuration"):
        other.load(tmp_path / "cue.snap")
    with pytest.raises(nc.NeurochipError, match="^snapshot: not a neurochip snapshot"):
        other.restore(b"x" * 64)


def test_exported_images_are_the_command_lines(cli, tmp_path):
    # A chip that does not learn: the bytes of `neurochip export`.
    path, cfg = write(tmp_path, "lif", example("lif"))
    cli("export", path, "-o", tmp_path / "cli.img")
    chip = nc.Chip(cfg)
    n = chip.export_image(tmp_path / "py.img")
    assert (tmp_path / "py.img").read_bytes() == (tmp_path / "cli.img").read_bytes()
    assert n == (tmp_path / "py.img").stat().st_size
    # `inspect` accepts it and says the same from Python; `run-image` runs it to the
    # digest of `neurochip run`.
    shown = cli("inspect", tmp_path / "py.img").stdout
    assert shown == f"{tmp_path / 'py.img'}: {nc.inspect(tmp_path / 'py.img')}\n"
    assert "chip image" in shown and "40 inputs, 100 neurons, 2 readouts" in shown
    lines = cli("run-image", tmp_path / "py.img").stdout.splitlines()
    assert lines[-1] == f"digest {cli.json('run', path)['digest']}"


def test_a_trained_chips_image_is_run_export(cli, tmp_path):
    path, cfg = cue(tmp_path, epochs=1)
    cli("run", path, "--export", tmp_path / "cli.img", "--no-out", "-q")
    chip = nc.Chip(cfg)
    chip.train()
    chip.export_image(tmp_path / "py.img")
    assert (tmp_path / "py.img").read_bytes() == (tmp_path / "cli.img").read_bytes()
    # The trained chip's test, learning off, as the firmware runs it.
    assert "plan       test 8 samples, learning off" in cli("inspect", tmp_path / "py.img").stdout
    # A chip with weights written from Python exports them.
    w = chip.get_weights("w_out")
    chip.set_weights("w_out", w // 2)
    chip.export_image(tmp_path / "half.img")
    assert (tmp_path / "half.img").read_bytes() != (tmp_path / "py.img").read_bytes()
    cli("inspect", tmp_path / "half.img")


def test_files_that_are_not_images_are_refused(cli, tmp_path):
    bad = tmp_path / "bad.img"
    bad.write_bytes(b"NCHP" + bytes(60))
    want = cli.error("inspect", bad)
    with pytest.raises(nc.NeurochipError) as e:
        nc.inspect(bad)
    assert str(e.value) == want
    with pytest.raises(nc.NeurochipError, match="cannot write the image"):
        nc.Chip("examples/lif.toml").export_image(tmp_path / "no" / "such" / "dir.img")


def test_on_epoch_that_uses_the_training_chip_is_told_so(tmp_path):
    _, cfg = cue(tmp_path, "cue", epochs=2)
    chip = nc.Chip(cfg)
    for use in (lambda e: chip.get_weights("w_out"), lambda e: chip.digest, lambda e: chip.train()):
        with pytest.raises(RuntimeError, match="on_epoch used the chip that is training") as e:
            chip.train(on_epoch=use)
        assert "borrowed" in str(e.value.__cause__)
    # Each stopped after its first epoch; the chip is usable again.
    assert chip.epochs_done == 3
    assert chip.get_weights("w_out").shape == (100, 2)


def test_an_exception_in_on_epoch_stops_training_at_the_epoch(cli, tmp_path):
    path1, cfg1 = cue(tmp_path, "cue1", epochs=1)
    _, cfg2 = cue(tmp_path, "cue2", epochs=2)

    def stop(epoch):
        raise RuntimeError(f"enough after epoch {epoch['epoch']}")

    chip = nc.Chip(cfg2)
    with pytest.raises(RuntimeError, match="enough after epoch 1"):
        chip.train(on_epoch=stop, save=tmp_path / "stopped.snap")
    # The run stopped before the next sample: the chip and the snapshot hold the
    # first epoch, as a one-epoch run leaves it.
    assert chip.epochs_done == 1
    assert chip.digest == cli.json("run", path1)["digest"]
    assert nc.Chip(cfg2).load(tmp_path / "stopped.snap") == 1
    assert "epochs     1 done" in cli("inspect", tmp_path / "stopped.snap").stdout
