"""Sweeps from Python, on this machine or on a Ray cluster (docs/distributed.md).

``sweep(configs, ...)`` runs the grid ``configs x engines x weight_bits x trace_bits
x seeds`` (each point costed on ``archs``) and returns its rows, the ones ``neurochip
sweep`` reports, each with the chip's ``digest``. Without ``ray`` the grid runs on
this machine's cores (the command line's engine); with ``ray="local"`` (a Ray
instance started here) or ``ray="ADDRESS"`` (``ray://host:10001``, ``auto``, or a
``host:port``) each point is one Ray task, which rebuilds the configuration from its
text and trains that point. A point's bits depend on nothing but its configuration,
so the rows are the same, digest for digest, wherever they ran.
"""

from __future__ import annotations

import os
from typing import Any, Callable, Iterable, Sequence

from ._neurochip import Config, sweep_local, sweep_point, sweep_points, sweep_seeds

__all__ = ["sweep", "parse_seeds"]


def parse_seeds(spec: str | Iterable[int] | None) -> list[int]:
    """Seeds as ``neurochip sweep --seeds`` takes them: ``"1-5"``, ``"1,2,7"``,
    ``"1-3,10"`` (parsed and checked by the command line's own parser: no range that
    runs backwards, no seed twice, at most 10,000), or a list of integers."""
    if spec is None:
        return []
    if isinstance(spec, str):
        return sweep_seeds(spec)
    return [int(s) for s in spec]


def _configs(configs: Any) -> list[Config]:
    if isinstance(configs, (str, os.PathLike, dict, Config)):
        configs = [configs]
    out = []
    for c in configs:
        if isinstance(c, Config):
            out.append(c)
        elif isinstance(c, dict):
            out.append(Config.from_dict(c))
        else:
            out.append(Config.load(c))
    return out


def _train_point(config: Config, point: dict[str, Any], archs: list[str]) -> list[dict[str, Any]]:
    """One grid point (what a Ray task runs)."""
    return sweep_point(config, point, archs)


def sweep(
    configs: Any,
    *,
    engines: Sequence[str] = (),
    weight_bits: Sequence[int] = (),
    trace_bits: Sequence[int] = (),
    seeds: str | Sequence[int] | None = None,
    archs: Sequence[str] = (),
    ray: str | None = None,
    num_cpus: int | None = None,
    on_point: Callable[[int, int], None] | None = None,
) -> list[dict[str, Any]]:
    """Train every point of the grid and return the rows (dicts, ``neurochip sweep``'s
    columns and ``digest``), in the order of the grid.

    ``configs``: a ``Config``, path or dict, or a list of them. Empty axes keep each
    configuration's own engine, widths and seed. ``ray``: ``None`` (this machine's
    cores), ``"local"`` (a local Ray instance; ``num_cpus`` bounds it) or the address
    of a Ray cluster; an already initialised Ray is used as it is. ``on_point(done,
    total)`` is called as Ray points finish.
    """
    cfgs = _configs(configs)
    seeds = parse_seeds(seeds)
    if isinstance(engines, str):
        engines = [engines]
    grid = dict(
        engines=list(engines),
        weight_bits=list(weight_bits),
        trace_bits=list(trace_bits),
        seeds=seeds,
    )
    if ray is None:
        return sweep_local(cfgs, grid, list(archs))
    import ray as ray_  # noqa: PLC0415 - optional

    if not ray_.is_initialized():
        if ray == "local":
            ray_.init(num_cpus=num_cpus, include_dashboard=False, log_to_driver=False)
        else:
            ray_.init(address=ray, log_to_driver=False)
    points = sweep_points(cfgs, grid)
    task = ray_.remote(num_cpus=1)(_train_point)
    refs = [task.remote(cfgs[k], p, list(archs)) for k, p in points]
    done = 0
    pending = list(refs)
    while pending:
        ready, pending = ray_.wait(pending, num_returns=1)
        done += len(ready)
        if on_point is not None:
            on_point(done, len(refs))
    rows: list[dict[str, Any]] = []
    for part in ray_.get(refs):
        rows.extend(part)
    return rows
