"""Errors are ``NeurochipError`` (a ``ValueError``) carrying the command line's
one-line message: the same text ``neurochip`` prints after ``error: ``."""

from __future__ import annotations

import pytest

import neurochip as nc

from conftest import example, write


def test_the_error_is_a_value_error():
    assert issubclass(nc.NeurochipError, ValueError)
    assert nc.NeurochipError.__module__ == "neurochip"


def test_a_wrong_key_in_a_dict(cli, tmp_path):
    d = example("lif")
    d["network"]["nuerons"] = d["network"].pop("neurons")
    path = tmp_path / "typo.toml"
    path.write_text(nc.to_toml(d))
    want = cli.error("check", path)
    assert "network.nuerons: unknown key `nuerons`" in want
    assert want.endswith("(did you mean `neurons`?)")
    for make in [
        lambda: nc.Config.from_dict(d, path),
        lambda: nc.Config.load(path),
        lambda: nc.Chip(path),
        lambda: nc.run(path),
    ]:
        with pytest.raises(nc.NeurochipError) as e:
            make()
        assert str(e.value) == want
    # Without a path, the dict is named <dict>.
    with pytest.raises(nc.NeurochipError, match=r"^<dict>:\d+:\d+: network.nuerons: unknown key"):
        nc.Chip(d)


def test_a_value_out_of_range_and_a_key_the_task_does_not_read(cli, tmp_path):
    for name, d in [
        ("zero", example("lif", network={"neurons": 0})),
        ("rate", example("lif", task={"rate_hz": 5.0})),
        ("train", example("lif", train={"epochs": 2})),
    ]:
        path = tmp_path / f"{name}.toml"
        path.write_text(nc.to_toml(d))
        want = cli.error("check", path)
        with pytest.raises(nc.NeurochipError) as e:
            nc.Config.from_dict(d, path)
        assert str(e.value) == want, name


def test_a_missing_file(cli):
    want = cli.error("check", "no/such/chip.toml")
    assert want.startswith("no/such/chip.toml: cannot read the file")
    with pytest.raises(nc.NeurochipError) as e:
        nc.Config.load("no/such/chip.toml")
    assert str(e.value) == want
    with pytest.raises(nc.NeurochipError) as e:
        nc.Chip("no/such/chip.toml")
    assert str(e.value) == want


def test_an_application_file_is_not_a_chip(cli):
    # The command line runs it as an application; the chip loader (and so Python,
    # which builds chips) refuses it at its section with the loader's message.
    with pytest.raises(nc.NeurochipError, match=r"^examples/solver.toml:\d+:\d+: solver"):
        nc.Config.load("examples/solver.toml")


def test_steps_on_a_training_configuration(cli, tmp_path):
    path, cfg = write(tmp_path, "cue", example("cue"))
    want = cli.error("run", path, "--steps", "10", "--no-out")
    with pytest.raises(nc.NeurochipError) as e:
        nc.run(cfg, steps=10)
    assert str(e.value) == want
    with pytest.raises(nc.NeurochipError) as e:
        nc.verify(cfg, steps=10)
    assert str(e.value) == cli.error("verify", path, "--steps", "10", "--no-out")


def test_other_refusals():
    with pytest.raises(nc.NeurochipError, match="`bogus` is not a weight source; allowed: dequantized, float"):
        nc.verify("examples/lif.toml", weights="bogus")
    with pytest.raises(nc.NeurochipError, match=r"^--arch: "):
        nc.cycles("examples/lif.toml", "no-such-arch")
    with pytest.raises(nc.NeurochipError, match=r"the chip does not learn .*Chip.infer\(\)"):
        nc.Chip("examples/lif.toml").train()
    with pytest.raises(nc.NeurochipError, match="not a configuration table"):
        nc.to_toml({"network": {"inputs": None}})
    with pytest.raises(TypeError, match="a configuration is a neurochip.Config, a dict or a path, not int"):
        nc.Chip(3)


def test_rate_warnings_are_python_warnings(cli, tmp_path):
    d = example("cue", learning={"eta": 1e-15}, train={"epochs": 1, "train_samples": 2, "test_samples": 2})
    path, cfg = write(tmp_path, "tiny", d)
    want = [l.removeprefix("warning: ") for l in cli("check", path).stdout.splitlines() if l.startswith("warning: ")]
    assert len(want) == 2 and "cannot move any input weight" in want[0]
    for call in [lambda: nc.run(cfg), lambda: nc.Chip(cfg).train()]:
        with pytest.warns(UserWarning) as rec:
            call()
        assert [str(w.message) for w in rec] == want


def test_a_dict_that_holds_itself_or_nests_too_deep():
    d: dict = {"network": {"inputs": 4}}
    d["network"]["again"] = d
    with pytest.raises(nc.NeurochipError, match=r"nested more than 32 levels deep \(or holds itself\)"):
        nc.Config.from_dict(d)
    deep: dict = {}
    for _ in range(20_000):
        deep = {"a": deep}
    with pytest.raises(nc.NeurochipError, match="nested more than 32 levels deep"):
        nc.to_toml(deep)
    wide: list = []
    wide.extend([wide] * 100)
    with pytest.raises(nc.NeurochipError, match="nested more than 32 levels deep"):
        nc.Config.from_dict({"network": {"x": wide}})
    huge = [[0] * 1100] * 1000
    with pytest.raises(nc.NeurochipError, match="more than 1048576 values in all"):
        nc.Config.from_dict({"network": {"x": huge}})


def test_sweep_widths_are_checked_as_the_command_line_checks_them():
    from neurochip import _neurochip as native

    point = {"engine": "exact", "weight_bits": 0, "trace_bits": 12, "seed": 1}
    with pytest.raises(nc.NeurochipError, match=r"^weight_bits: 0 is out of range; allowed 2\.\.=16"):
        native.sweep_point("examples/cue_lif.toml", point)
    grid = {"engines": [], "weight_bits": [8], "trace_bits": [40], "seeds": []}
    with pytest.raises(nc.NeurochipError, match=r"^trace_bits: 40 is out of range"):
        native.sweep_points(["examples/cue_lif.toml"], grid)


def test_a_path_with_a_line_break_stays_on_one_line(tmp_path):
    with pytest.raises(nc.NeurochipError) as e:
        nc.inspect(str(tmp_path / "a\nb.img"))
    assert "\n" not in str(e.value) and "a\\nb.img" in str(e.value)


def test_numpy_scalars_in_a_dict_read_as_their_values():
    import numpy as np

    plain = {"network": {"inputs": 4, "neurons": 8, "outputs": 2, "tau_m_ms": 20.0},
             "task": {"kind": "poisson", "steps": 10}}
    with_numpy = {"network": {"inputs": np.int64(4), "neurons": np.uint16(8),
                              "outputs": np.int32(2), "tau_m_ms": np.float32(20.0)},
                  "task": {"kind": "poisson", "steps": np.int64(10)}}
    assert nc.to_toml(with_numpy) == nc.to_toml(plain)
    assert nc.Chip(with_numpy).digest == nc.Chip(plain).digest


def test_sweep_seeds_are_parsed_as_the_command_line_parses_them():
    from neurochip.sweep import parse_seeds

    assert parse_seeds("1-3,10") == [1, 2, 3, 10]
    assert parse_seeds([4, 2]) == [4, 2]
    with pytest.raises(nc.NeurochipError, match=r"^seeds: `5-1` runs backwards"):
        parse_seeds("5-1")
    with pytest.raises(nc.NeurochipError, match=r"^seeds: more than 10000 seeds"):
        parse_seeds("1-100000000000")
