"""Shared helpers of the Python package's tests: the repository's example
configurations (made shorter where a test needs it, by dict overrides), written as
the TOML file the command line reads, and the command line itself.

The command line is the release binary ``target/release/neurochip``, built here
(``cargo build --release -p neurochip``, a no-op when it is up to date) before the
first test that needs it.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest

import neurochip as nc

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = ROOT / "examples"
CLI = ROOT / "target" / "release" / "neurochip"


def example(name: str, **sections: Any) -> dict[str, Any]:
    """The example ``examples/<name>.toml`` as a dict, with ``sections`` merged in
    (``train={"epochs": 1}`` sets ``[train] epochs``; a plain value sets a top-level
    key). A relative digits data path is made absolute, so the dict reads the same
    data from any folder."""
    with open(EXAMPLES / f"{name}.toml", "rb") as f:
        d = tomllib.load(f)
    d = copy.deepcopy(d)
    for key, value in sections.items():
        if isinstance(value, dict):
            d.setdefault(key, {}).update(value)
        else:
            d[key] = value
    task = d.get("task", {})
    if "data" in task and not os.path.isabs(task["data"]):
        task["data"] = str(ROOT / task["data"])
    return d


def write(tmp_path: Path, name: str, d: dict[str, Any]) -> tuple[Path, nc.Config]:
    """``d`` as the file ``tmp_path/<name>.toml`` (its TOML text, ``nc.to_toml``),
    and the configuration Python reads from the same text at the same path: the
    command line and Python see one configuration, one name, one origin."""
    path = tmp_path / f"{name}.toml"
    path.write_text(nc.to_toml(d))
    return path, nc.Config.from_dict(d, path)


class Cli:
    """The ``neurochip`` command line, run from the repository's root."""

    def __call__(self, *args: str | os.PathLike[str], check: bool = True) -> subprocess.CompletedProcess[str]:
        r = subprocess.run(
            [str(CLI), *map(str, args)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if check and r.returncode != 0:
            raise AssertionError(f"neurochip {' '.join(map(str, args))}: exit {r.returncode}\n{r.stderr}")
        return r

    def json(self, *args: str | os.PathLike[str]) -> dict[str, Any]:
        """``neurochip ARGS --json --no-out -q``, parsed."""
        return json.loads(self(*args, "--json", "--no-out", "-q").stdout)

    def error(self, *args: str | os.PathLike[str]) -> str:
        """The one line ``neurochip ARGS`` prints after ``error: `` (exit code 2)."""
        r = self(*args, check=False)
        assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
        lines = [l for l in r.stderr.splitlines() if l.startswith("error: ")]
        assert len(lines) == 1, r.stderr
        return lines[0].removeprefix("error: ")


@pytest.fixture(autouse=True)
def at_the_root(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test runs in the repository's root, as the command line does here:
    relative paths (``examples/lif.toml``) name the same files for both."""
    monkeypatch.chdir(ROOT)


@pytest.fixture(scope="session")
def cli() -> Cli:
    cargo = os.environ.get("CARGO", "cargo")
    subprocess.run([cargo, "build", "--release", "-q", "-p", "neurochip"], cwd=ROOT, check=True)
    assert CLI.exists(), CLI
    return Cli()


def without_time(d: Any) -> Any:
    """A report without its wall-clock fields (``train_seconds``), which no two runs
    share."""
    if isinstance(d, dict):
        return {k: without_time(v) for k, v in d.items() if k != "train_seconds"}
    if isinstance(d, list):
        return [without_time(v) for v in d]
    return d
