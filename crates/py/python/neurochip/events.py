"""A user's event data in the layout of the Spiking Heidelberg Digits, as the chip
reads it (``[task] kind = "events"``, docs/formats.md): ``save_events`` writes the
``.npz`` from per-sample arrays, ``convert_events`` turns an HDF5 file of the Spiking
Heidelberg Digits (``spikes/times``, ``spikes/units`` ragged, ``labels``; h5py) into
it, ``load_events`` reads either back as lists."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ._neurochip import NeurochipError

__all__ = ["save_events", "load_events", "convert_events", "save_features"]


def _atomic_savez(path: str | os.PathLike, **arrays: Any) -> None:
    p = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".npz", dir=p.parent or ".")
    os.close(fd)
    try:
        np.savez_compressed(tmp, **arrays)
        os.replace(tmp, p)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def save_events(
    path: str | os.PathLike,
    times: Sequence[Any],
    units: Sequence[Any],
    labels: Sequence[int],
    train: Sequence[bool] | None = None,
) -> None:
    """Write event data: ``times[i]`` (seconds) and ``units[i]`` (input channels) are
    sample ``i``'s events, ``labels[i]`` its class, ``train[i]`` (optional) whether it
    is a training sample. The file holds ``spikes/times``, ``spikes/units`` (all
    events, sample after sample), ``spikes/index`` (offsets, samples + 1) and
    ``labels`` (and ``train``)."""
    if not (len(times) == len(units) == len(labels)):
        raise NeurochipError(
            f"{path}: save_events: {len(times)} times, {len(units)} units, "
            f"{len(labels)} labels; allowed: one of each per sample"
        )
    counts = [len(np.asarray(t).reshape(-1)) for t in times]
    for i, (t, u) in enumerate(zip(times, units)):
        if len(np.asarray(u).reshape(-1)) != counts[i]:
            raise NeurochipError(f"{path}: save_events: sample {i} has {counts[i]} times and {len(u)} units")
    index = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    arrays = {
        "spikes/times": np.concatenate([np.asarray(t, np.float64).reshape(-1) for t in times])
        if times else np.zeros(0),
        "spikes/units": np.concatenate([np.asarray(u, np.int64).reshape(-1) for u in units])
        if units else np.zeros(0, np.int64),
        "spikes/index": index,
        "labels": np.asarray(labels, dtype=np.int64),
    }
    if train is not None:
        arrays["train"] = np.asarray(train, dtype=bool)
    _atomic_savez(path, **arrays)


def save_features(
    path: str | os.PathLike,
    features: Any,
    labels: Sequence[int],
    train: Sequence[bool] | None = None,
) -> None:
    """Write dense features (samples x features) and labels as the ``.npz`` that
    ``[task] kind = "features"`` reads (``features``, ``labels``, optional
    ``train``)."""
    arrays = {"features": np.asarray(features, np.float64), "labels": np.asarray(labels, np.int64)}
    if train is not None:
        arrays["train"] = np.asarray(train, dtype=bool)
    _atomic_savez(path, **arrays)


def load_events(path: str | os.PathLike) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray]:
    """Read event data (``.npz`` as ``save_events`` writes it, or the HDF5 layout of
    the Spiking Heidelberg Digits): per-sample times and units, and the labels."""
    p = Path(path)
    with open(p, "rb") as f:
        head = f.read(8)
    if head.startswith(b"\x89HDF"):
        try:
            import h5py  # noqa: PLC0415
        except ImportError as e:
            raise NeurochipError(f"{p}: reading HDF5 needs h5py (pip install h5py)") from e
        with h5py.File(p, "r") as h:
            for key in ("spikes/times", "spikes/units", "labels"):
                if key not in h:
                    raise NeurochipError(f"{p}: {key}: missing; the Spiking Heidelberg Digits layout has spikes/times, spikes/units and labels")
            times = [np.asarray(t, np.float64) for t in h["spikes/times"][()]]
            units = [np.asarray(u, np.int64) for u in h["spikes/units"][()]]
            labels = np.asarray(h["labels"][()], np.int64)
        return times, units, labels
    z = np.load(p)
    idx = z["spikes/index"]
    t, u = z["spikes/times"], z["spikes/units"]
    times = [t[idx[i]:idx[i + 1]] for i in range(len(idx) - 1)]
    units = [u[idx[i]:idx[i + 1]] for i in range(len(idx) - 1)]
    return times, units, z["labels"]


def convert_events(src: str | os.PathLike, dst: str | os.PathLike) -> int:
    """Convert an HDF5 file in the layout of the Spiking Heidelberg Digits into the
    chip's ``.npz`` event file; returns the number of samples."""
    times, units, labels = load_events(src)
    if len(times) != len(units) or len(times) != len(labels):
        raise NeurochipError(f"{src}: labels: {len(labels)} labels for {len(times)} samples")
    save_events(dst, times, units, labels)
    return len(labels)


def _atomic_write_text(path: str | os.PathLike, text: str) -> None:
    p = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent or ".")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, p)
