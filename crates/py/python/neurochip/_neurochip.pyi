"""Type stubs of the native module ``neurochip._neurochip`` (crates/py/src).

Everything here is re-exported by ``neurochip``; import it from there.
"""

import os
from collections.abc import Callable, Iterator
from typing import Any, Literal, final

import numpy as np
import numpy.typing as npt

__all__ = [
    "Chip",
    "Config",
    "NeurochipError",
    "Report",
    "Trace",
    "__version__",
    "cycles",
    "inspect",
    "run",
    "sweep_csv",
    "sweep_local",
    "sweep_point",
    "sweep_points",
    "sweep_seeds",
    "sweep_table",
    "to_toml",
    "verify",
]
__version__: str

_StrPath = str | os.PathLike[str]
_ConfigLike = Config | _StrPath | dict[str, Any]
"""A configuration: a ``Config``, a path to a TOML file, or a dict of sections."""
_Layer = Literal["w_in", "w_rec", "w_out", "bias"]
"""A weight layer: ``w_in`` [inputs, neurons], ``w_rec`` [neurons, neurons],
``w_out`` [neurons, outputs], ``bias`` [outputs]."""
_SpikesIn = npt.NDArray[np.bool_] | npt.NDArray[np.uint8] | list[Any]
"""Input spikes: ``bool``, or ``uint8`` holding 0 or 1."""

class NeurochipError(ValueError):
    """A configuration, file, weight or argument neurochip refuses.

    The message is the one line the ``neurochip`` command line prints after
    ``error: `` for the same mistake: it names the file, the place, the field, what
    was wrong and what is allowed.
    """

@final
class Config:
    """A checked chip configuration: every default filled in, every range checked.

    Make one with ``Config.load(path)``, ``Config.from_toml(text)`` or
    ``Config.from_dict(d)``; a mistake raises ``NeurochipError`` with the command
    line's one-line message.
    """

    @staticmethod
    def load(path: _StrPath) -> Config:
        """Read and check the configuration file at ``path``, as the command line does."""
    @staticmethod
    def from_toml(text: str, path: _StrPath | None = None) -> Config:
        """Check the TOML ``text`` as if it were the file at ``path`` (default
        ``"<dict>"``), which names it in messages and gives its default name."""
    @staticmethod
    def from_dict(d: dict[str, Any], path: _StrPath | None = None) -> Config:
        """Check a configuration given as a dict of sections: its TOML text
        (``neurochip.to_toml(d)``) read as ``Config.from_toml(text, path)``."""
    @property
    def name(self) -> str:
        """The configuration's name (``name``, or the stem of its file)."""
    @property
    def origin(self) -> str:
        """The file it was read from (or the path given): the place its messages name."""
    @property
    def seed(self) -> int:
        """The master seed."""
    @property
    def learns(self) -> bool:
        """Whether the chip learns (``[learning] engine`` is not ``"off"``)."""
    @property
    def inputs(self) -> int:
        """Input channels (``network.inputs``)."""
    @property
    def neurons(self) -> int:
        """Recurrent neurons (``network.neurons``)."""
    @property
    def outputs(self) -> int:
        """Readouts (``network.outputs``)."""
    @property
    def text(self) -> str:
        """The TOML text the configuration was read from, as given."""
    def to_dict(self) -> dict[str, Any]:
        """The checked configuration as a dict, defaults filled in (to read)."""

@final
class Trace:
    """What ``Chip.run`` produced, one row per step."""

    @property
    def steps(self) -> int:
        """Steps run (rows)."""
    @property
    def spikes(self) -> npt.NDArray[np.bool_]:
        """Recurrent spikes, ``bool`` [steps, neurons]."""
    @property
    def membranes(self) -> npt.NDArray[np.float64]:
        """Membrane potentials after each step, real units, [steps, neurons]."""
    @property
    def readouts(self) -> npt.NDArray[np.float64]:
        """Readout values after each step, real units, [steps, outputs]."""
    @property
    def membranes_raw(self) -> npt.NDArray[np.int32]:
        """Membrane potentials as the chip's integers, [steps, neurons]."""
    @property
    def readouts_raw(self) -> npt.NDArray[np.int32]:
        """Readout values as the chip's integers, [steps, outputs]."""

@final
class Report:
    """What ``neurochip run`` / ``verify`` / ``run --arch`` print with ``--json``, key
    for key: read it as attributes or as a mapping."""

    @property
    def kind(
        self,
    ) -> Literal["run", "train", "reward", "verify", "learn_verify", "reward_verify", "cycles"]:
        """Which report this is."""
    @property
    def digest(self) -> str:
        """The trace digest, 16 hex digits."""
    def to_dict(self) -> dict[str, Any]:
        """A copy of the report as a plain dict (deep: changing it leaves the report)."""
    def keys(self) -> list[str]:
        """The report's keys, in the command line's order."""
    def __getitem__(self, key: str, /) -> Any: ...
    # A report's keys read as attributes too (tp_getattro at runtime).
    def __getattr__(self, name: str, /) -> Any: ...
    def __contains__(self, key: str, /) -> bool: ...
    def __len__(self) -> int: ...
    def __iter__(self) -> Iterator[str]: ...

@final
class Chip:
    """A chip built from a configuration (a ``Config``, a path or a dict): the chip
    the command line builds for it, held in Python."""

    def __new__(
        cls,
        config: _ConfigLike,
        *,
        weights: _StrPath | bytes | dict[str, npt.ArrayLike] | None = None,
    ) -> Chip:
        """Build the chip (and its task) of ``config``, from the weights in
        ``weights`` (a ``.npz`` file, its bytes, or a dict of arrays) if given."""
    @property
    def config(self) -> Config:
        """The configuration the chip was built from."""
    @property
    def inputs(self) -> int:
        """Input channels."""
    @property
    def neurons(self) -> int:
        """Recurrent neurons."""
    @property
    def outputs(self) -> int:
        """Readouts."""
    @property
    def engine(self) -> Literal["off", "exact", "light"]:
        """The learning engine."""
    @property
    def steps(self) -> int:
        """Steps the chip has taken (its step counter)."""
    @property
    def digest(self) -> str:
        """The trace digest so far, 16 hex digits."""
    @property
    def epochs_done(self) -> int:
        """Training epochs done (counted by ``train``, kept by snapshots)."""
    @property
    def shifts(self) -> dict[str, int]:
        """The layer shifts: ``{"input", "recurrent", "output"}``."""
    @property
    def membrane_lsb(self) -> float:
        """The real value of one unit of the membrane."""
    @property
    def readout_lsb(self) -> float:
        """The real value of one unit of the readout."""
    @property
    def samples(self) -> int:
        """The inference samples ``infer`` runs."""
    def step(
        self, x: _SpikesIn
    ) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """One time step with input spikes ``x`` [inputs]: ``(spikes, membranes,
        readouts)``."""
    def run(self, x: _SpikesIn, *, reset: bool = False) -> Trace:
        """Run input spikes ``x`` [steps, inputs] step by step from the chip's state
        (a bool byte other than 0 is a spike; at most 4 GiB of returned arrays a call)."""
    def task_input(self, sample: int = 0) -> npt.NDArray[np.bool_]:
        """The input spikes of the configuration's inference sample ``sample``
        (``0 <= sample < samples``)."""
    def reset(self) -> None:
        """Zero the dynamic state, as the start of every sample does."""
    def infer(self, *, steps: int | None = None) -> Report:
        """Run the configuration's inference samples on this chip (``neurochip run``)."""
    def train(
        self,
        *,
        save: _StrPath | None = None,
        resume: _StrPath | None = None,
        checkpoint_every: int | None = None,
        on_epoch: Callable[[dict[str, Any]], object] | None = None,
        progress: bool = False,
    ) -> Report:
        """Train the chip by the configuration's ``[train]`` plan from its state."""
    def get_weights(self, layer: _Layer, *, dequantize: bool = False) -> npt.NDArray[Any]:
        """The weights of ``layer``: ``int32`` integers, or ``float64`` real values."""
    def set_weights(self, layer: _Layer, values: npt.ArrayLike) -> None:
        """Write the weights of ``layer``: integers as they are, floats put on the grid."""
    def weights(self, *, dequantize: bool = False) -> dict[str, npt.NDArray[Any]]:
        """Every layer's weights, by name."""
    def mask(self, layer: _Layer) -> npt.NDArray[np.bool_] | None:
        """Which synapses of ``layer`` exist (``None`` for ``bias``)."""
    def lsb(self, layer: _Layer) -> float:
        """The real value of one unit of ``layer``'s memory."""
    def export_image(self, path: _StrPath, *, inference: bool | None = None) -> int:
        """Write the chip as an image for the firmware; returns its size in bytes."""
    def parameters(self) -> dict[str, Any]:
        """The neurons' and readouts' parameters as the chip holds them (real units)."""
    def to_nir(self, *, dt: float | None = None) -> Any:
        """The chip as a NIR graph (``nir.NIRGraph``); docs/nir.md."""
    def save_weights(self, path: _StrPath) -> int:
        """Write the chip's weights as a ``.npz`` file, atomically; returns its size."""
    def save(self, path: _StrPath) -> None:
        """Save the whole chip state as a snapshot file, atomically."""
    def load(self, path: _StrPath) -> int:
        """Load a snapshot file; returns its epochs done."""
    def snapshot(self) -> bytes:
        """The snapshot of the chip as bytes."""
    def restore(self, data: bytes) -> int:
        """Restore snapshot bytes; returns their epochs done."""
    def copy(self) -> Chip:
        """An independent copy of the chip, state and all."""
    def __copy__(self) -> Chip: ...
    def __deepcopy__(self, memo: Any, /) -> Chip: ...

def run(config: _ConfigLike, *, steps: int | None = None) -> Report:
    """Run a configuration as ``neurochip run CONFIG --json`` does."""

def verify(
    config: _ConfigLike,
    *,
    weights: Literal["dequantized", "float"] = "dequantized",
    steps: int | None = None,
) -> Report:
    """Verify a configuration as ``neurochip verify CONFIG --json`` does."""

def cycles(config: _ConfigLike, arch: str = "reckon", *, steps: int | None = None) -> Report:
    """Step a configuration's chip through the cycle model (``run --arch --json``)."""

def inspect(path: _StrPath) -> str:
    """What a chip image or snapshot file holds (``neurochip inspect``)."""

def to_toml(config: dict[str, Any]) -> str:
    """The TOML text of a configuration dict."""

def sweep_points(
    configs: list[_ConfigLike], grid: dict[str, list[Any]]
) -> list[tuple[int, dict[str, Any]]]:
    """The points of a sweep grid: ``(configuration index, point)``. ``grid``: the
    axes ``engines``, ``weight_bits``, ``trace_bits``, ``seeds`` (lists; an empty
    one keeps each configuration's own value)."""

def sweep_point(
    config: _ConfigLike, point: dict[str, Any], archs: list[str] = ...
) -> list[dict[str, Any]]:
    """Train one grid point; its rows (what a Ray task runs)."""

def sweep_local(
    configs: list[_ConfigLike], grid: dict[str, list[Any]], archs: list[str] = ...
) -> list[dict[str, Any]]:
    """The whole grid (``grid`` as for ``sweep_points``) on this machine's cores."""

def sweep_table(rows: list[dict[str, Any]]) -> str:
    """The rows as the Markdown table ``neurochip sweep`` prints."""

def sweep_csv(rows: list[dict[str, Any]]) -> str:
    """The rows as the CSV ``neurochip sweep --csv`` writes."""

def sweep_seeds(spec: str) -> list[int]:
    """A ``--seeds`` list (``"1-5"``, ``"1,2,7"``), checked as the command line checks it."""
