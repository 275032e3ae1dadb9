"""Sweeps on Ray: a 12-point grid run as Ray tasks on a local Ray instance with 2
CPUs gives the local sweep's rows, digest for digest, point for point; the command
line's ``sweep --ray`` too."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

import neurochip as nc

from conftest import example, write

ray = pytest.importorskip("ray")

# A tiny cue task: each point trains in a few milliseconds.
TINY = {
    "network": {"neurons": 20},
    "task": {"n_cues": 1, "cue_ms": 40, "gap_ms": 10, "delay_ms": 40, "recall_ms": 40},
    "train": {"epochs": 1, "train_samples": 6, "test_samples": 4},
}
GRID = {"engines": ["exact", "light"], "weight_bits": [4, 8], "seeds": "1-3"}


@pytest.fixture(scope="module")
def local_ray() -> Any:
    os.environ.setdefault("RAY_DISABLE_IMPORT_WARNING", "1")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {"PYTHONWARNINGS": "ignore"}})
    yield ray
    ray.shutdown()


def key(r: dict[str, Any]) -> tuple[Any, ...]:
    return (r["config"], r["engine"], r["weight_bits"], r["trace_bits"], r["seed"], r["arch"])


def test_a_sweep_on_ray_equals_the_local_sweep(tmp_path: Path, local_ray: Any, cli: Any) -> None:
    path, cfg = write(tmp_path, "tiny", example("cue", **TINY))
    local = nc.sweep(cfg, **GRID)
    assert len(local) == 12
    assert len({key(r) for r in local}) == 12
    assert len({r["digest"] for r in local}) >= 8  # the points are different chips
    seen: list[int] = []
    on_ray = nc.sweep(cfg, **GRID, ray="local", on_point=lambda d, n: seen.append(d))
    assert seen[-1] == 12
    assert [key(r) for r in on_ray] == [key(r) for r in local]
    for a, b in zip(local, on_ray):
        assert a["digest"] == b["digest"], key(a)
        assert a["test_accuracy"] == b["test_accuracy"], key(a)
    # The command line's sweep: the same digests.
    rows = nc.sweep(str(path), **GRID)
    assert [r["digest"] for r in rows] == [r["digest"] for r in local]
    csv = tmp_path / "s.csv"
    r = cli("sweep", path, "--engines", "exact,light", "--weight-bits", "4,8", "--seeds", "1-3",
            "--no-out", "-q", "--csv", csv)
    assert "| cue | exact | 4 |" in r.stdout
    # The CSV differs only in the wall-clock column (train_seconds) from the one Python
    # makes.
    def strip(text: str) -> list[list[str]]:
        rows = [line.split(",") for line in text.splitlines()]
        at = rows[0].index("train_seconds")
        return [r[:at] + r[at + 1 :] for r in rows]

    from neurochip._neurochip import sweep_csv

    assert strip(csv.read_text()) == strip(sweep_csv(local))
    out = tmp_path / "ray.csv"
    r = cli("sweep", path, "--engines", "exact,light", "--weight-bits", "4,8", "--seeds", "1-3",
            "--csv", out, "--ray", "local")
    assert strip(out.read_text()) == strip(sweep_csv(local))
