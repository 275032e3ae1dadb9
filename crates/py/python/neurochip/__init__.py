"""neurochip: the fixed-point neuromorphic chip, from Python.

A thin layer over the Rust host library (``neurochip-emu``) that the ``neurochip``
command line drives: the same configuration gives the same chip, the same figures
and the same digest from Python as from the command line, and a mistake raises
``NeurochipError`` with the command line's one-line message.

    >>> import neurochip as nc
    >>> chip = nc.Chip("examples/lif.toml")        # or nc.Chip({...}), nc.Chip(nc.Config.load(...))
    >>> trace = chip.run(spikes)                   # numpy in [steps, inputs], numpy out
    >>> nc.run("examples/cue.toml").digest         # = `neurochip run examples/cue.toml`

``Config``: a checked configuration (file, TOML text or dict). ``Chip``: a chip to
step, run, train, read and write weights of, save, load and export. ``run``,
``verify`` and ``cycles``: what ``neurochip run``, ``neurochip verify`` and
``neurochip run --arch`` report, as ``Report`` objects. ``inspect``: what an image or
snapshot holds. ``to_toml``: the TOML text of a configuration dict.

``from_nir`` and ``Chip.to_nir``: NIR graphs in and out (docs/nir.md). ``sweep``:
a design-space grid on this machine or as Ray tasks (docs/distributed.md).
``save_events``, ``load_events``, ``convert_events``, ``save_features``: a user's
data sets in the layouts ``[task] kind = "events"`` and ``"features"`` read.

docs/python.md walks through it.
"""

from ._neurochip import (
    Chip,
    Config,
    NeurochipError,
    Report,
    Trace,
    __version__,
    cycles,
    inspect,
    run,
    to_toml,
    verify,
)
from .events import convert_events, load_events, save_events, save_features
from .nir import Import, from_nir, read_nir, to_nir, write_nir
from .sweep import sweep

__all__ = [
    "Chip",
    "Config",
    "Import",
    "NeurochipError",
    "Report",
    "Trace",
    "__version__",
    "convert_events",
    "cycles",
    "from_nir",
    "inspect",
    "load_events",
    "read_nir",
    "run",
    "save_events",
    "save_features",
    "sweep",
    "to_nir",
    "to_toml",
    "verify",
    "write_nir",
]
