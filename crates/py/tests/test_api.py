"""The package as shipped: everything public has a docstring, the type stubs name
what the native module holds (and nothing else), and ``py.typed`` marks it typed."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import neurochip as nc
import neurochip._neurochip as native

PACKAGE = Path(nc.__file__).parent
STUB = PACKAGE / "_neurochip.pyi"


def public(obj: object) -> list[str]:
    return [n for n in dir(obj) if not n.startswith("_")]


def test_everything_public_has_a_docstring():
    assert nc.__doc__ and "neurochip" in nc.__doc__
    missing = []
    for name in nc.__all__:
        obj = getattr(nc, name)
        if name == "__version__":
            continue
        if not (obj.__doc__ or "").strip():
            missing.append(name)
        if inspect.isclass(obj) and not issubclass(obj, Exception):
            for m in public(obj):
                if not (getattr(obj, m).__doc__ or "").strip():
                    missing.append(f"{name}.{m}")
    assert missing == []


def test_the_stubs_name_what_the_module_holds():
    tree = ast.parse(STUB.read_text())
    stub: dict[str, set[str]] = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            stub[node.name] = {
                n.name
                for n in node.body
                if isinstance(n, ast.FunctionDef) and not n.name.startswith("_")
            }
        elif isinstance(node, ast.FunctionDef):
            stub[node.name] = set()
    runtime = {n: getattr(native, n) for n in native.__all__ if n != "__version__"}
    assert set(stub) == set(runtime)
    for name, obj in runtime.items():
        if inspect.isclass(obj) and not issubclass(obj, Exception):
            assert stub[name] == set(public(obj)), name
    # The package re-exports the native module, but for the sweep's plumbing (which
    # ``neurochip.sweep`` puts together), and adds its Python side.
    plumbing = {n for n in native.__all__ if n.startswith("sweep_")}
    python_side = {"Import", "from_nir", "to_nir", "read_nir", "write_nir", "sweep",
                   "save_events", "load_events", "convert_events", "save_features"}
    assert set(nc.__all__) == (set(native.__all__) - plumbing) | python_side


def test_the_package_is_marked_typed():
    assert (PACKAGE / "py.typed").exists()
    assert nc.__version__ == "0.1.0"
    assert nc.Chip.__module__ == "neurochip"
