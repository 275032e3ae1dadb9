"""The commands the ``neurochip`` binary hands to the Python package
(``python -m neurochip._cli COMMAND ...``): ``import-nir``, ``export-nir``,
``convert-events`` and ``sweep --ray``. The binary has checked the outputs; a
refusal here is one ``error: ...`` line on stderr and exit code 2, as everywhere in
the command line."""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path


def _import_nir(a: argparse.Namespace) -> int:
    from .nir import from_nir

    imp = from_nir(a.file, dt=a.dt, name=Path(a.output).stem)
    cfg, w = imp.save(a.output)
    print(f"{cfg}: configuration; {w}: weights")
    print(imp.table())
    for n in imp.notes:
        print(f"note: {n}")
    return 0


def _export_nir(a: argparse.Namespace) -> int:
    from . import Chip, Config
    from .nir import write_nir

    p = Path(a.file)
    with open(p, "rb") as f:
        magic = f.read(4)
    if magic == b"NCSS":
        if a.config is None:
            raise ValueError(
                f"{p}: a snapshot holds no configuration; give the one it was saved "
                "from with --config CONFIG"
            )
        chip = Chip(Config.load(a.config))
        chip.load(str(p))
    elif magic == b"NCHP":
        raise ValueError(
            f"{p}: a chip image; export-nir takes a configuration or a snapshot "
            "(with --config); `neurochip weights IMAGE` writes an image's weights"
        )
    else:
        if a.config is not None:
            raise ValueError(f"{p}: --config applies to snapshots; this is a configuration")
        chip = Chip(Config.load(p))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        graph = chip.to_nir()
    for w in caught:
        print(f"warning: {w.message}", file=sys.stderr)
    write_nir(a.output, graph)
    print(f"{a.output}: NIR graph ({len(graph.nodes)} nodes)")
    return 0


def _convert_events(a: argparse.Namespace) -> int:
    from .events import convert_events

    n = convert_events(a.file, a.output)
    print(f"{a.output}: {n} samples")
    return 0


def _sweep(a: argparse.Namespace) -> int:
    from ._neurochip import sweep_csv, sweep_table
    from .sweep import sweep

    split = lambda s: [x for x in s.split(",") if x] if s else []  # noqa: E731
    rows = sweep(
        a.configs,
        engines=split(a.engines),
        weight_bits=[int(x) for x in split(a.weight_bits)],
        trace_bits=[int(x) for x in split(a.trace_bits)],
        seeds=a.seeds,
        archs=split(a.arch),
        ray=a.ray,
    )
    print(sweep_table(rows), end="")
    if a.csv:
        from .events import _atomic_write_text

        _atomic_write_text(a.csv, sweep_csv(rows))
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="neurochip")
    sub = p.add_subparsers(dest="command", required=True)
    i = sub.add_parser("import-nir")
    i.add_argument("file")
    i.add_argument("-o", "--output", required=True)
    i.add_argument("--dt", type=float, default=1e-3)
    e = sub.add_parser("export-nir")
    e.add_argument("file")
    e.add_argument("-o", "--output", required=True)
    e.add_argument("--config")
    c = sub.add_parser("convert-events")
    c.add_argument("file")
    c.add_argument("-o", "--output", required=True)
    s = sub.add_parser("sweep")
    s.add_argument("configs", nargs="+")
    s.add_argument("--engines", default="")
    s.add_argument("--weight-bits", default="")
    s.add_argument("--trace-bits", default="")
    s.add_argument("--seeds")
    s.add_argument("--arch", default="")
    s.add_argument("--csv")
    s.add_argument("--ray", required=True)
    a = p.parse_args(argv)
    run = {
        "import-nir": _import_nir,
        "export-nir": _export_nir,
        "convert-events": _convert_events,
        "sweep": _sweep,
    }[a.command]
    try:
        return run(a)
    except (ValueError, OSError, KeyError) as err:
        # NeurochipError is a ValueError; its text is already the one line.
        print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
