"""The house rules of DESIGN.md, checked on the source: imports run one way, and never in a circle.

The package's own imports are read from the syntax tree (nothing is imported), at every depth:
an import deferred into a function still ties the two modules together.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

from tests.conftest import REPO

PACKAGE = REPO / "src" / "failmodes"

#: The rooms of the package from the bottom up. A module may import its own room and any room
#: of its layer or a lower one, never a higher one: ``report`` and ``cli`` only read and wire.
LAYERS: tuple[frozenset[str], ...] = tuple(
    frozenset(rooms.split())
    for rooms in (
        "errors safeyaml validation",
        "catalog profile",
        "findings artifacts dependencies monitor corruptions gridworlds",
        "threatmodel targets training",
        "attacks backdoors memorization",
        "probes",
        "assessment",
        "report schemas store",
        "workshop",
        "web",
        "cli pytest_plugin __main__",
    )
)

#: The package root may be imported from anywhere for its version: Python has loaded it before
#: any module below it, so that import adds no dependency.
ROOT_NAMES_ANYONE_MAY_READ = {"__version__"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in PACKAGE.rglob("*.py")}


def _imports(module: str) -> Iterator[tuple[str, set[str]]]:
    """Each package module ``module`` imports, with the names it takes from it."""
    modules = _modules()
    tree = ast.parse(modules[module].read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in modules:
                    yield alias.name, set()
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                if submodule in modules:
                    yield submodule, set()
                elif node.module in modules:
                    yield node.module, {alias.name}


@cache
def _graph() -> dict[str, frozenset[str]]:
    return {
        module: frozenset(target for target, _ in _imports(module) if target != module)
        for module in _modules()
    }


def _room(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _layer(room: str) -> int:
    for index, rooms in enumerate(LAYERS):
        if room in rooms:
            return index
    raise AssertionError(f"room {room!r} has no layer: add it to LAYERS in {__file__}")


def _cycle(graph: dict[str, frozenset[str]]) -> list[str] | None:
    """One import cycle as a path that returns to its start, or None (iterative DFS)."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    for start in sorted(graph):
        if start in state:
            continue
        path = [start]
        todo = [iter(sorted(graph[start]))]
        state[start] = 1
        while todo:
            target = next(todo[-1], None)
            if target is None:
                state[path.pop()] = 2
                todo.pop()
            elif state.get(target) == 1:
                return [*path[path.index(target) :], target]
            elif target not in state:
                state[target] = 1
                path.append(target)
                todo.append(iter(sorted(graph[target])))
    return None


def test_the_package_has_no_import_cycle():
    cycle = _cycle(_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_no_room_imports_a_higher_layer():
    wrong = []
    for module in sorted(_modules()):
        if module == "failmodes":
            continue  # the public API gathers every layer
        source = _layer(_room(module))
        for target, names in _imports(module):
            if target == "failmodes":
                if not names <= ROOT_NAMES_ANYONE_MAY_READ:
                    wrong.append(f"{module} takes {sorted(names)} from the package root")
            elif _layer(_room(target)) > source:
                wrong.append(f"{module} imports {target}")
    assert not wrong, "imports against the layers:\n" + "\n".join(wrong)


def test_every_room_is_placed():
    for module in _modules():
        if module != "failmodes":
            _layer(_room(module))


@pytest.mark.parametrize(
    ("graph", "expected"),
    [
        ({"a": frozenset({"b"}), "b": frozenset({"c"}), "c": frozenset()}, None),
        (
            {"a": frozenset({"b"}), "b": frozenset({"c"}), "c": frozenset({"a"})},
            ["a", "b", "c", "a"],
        ),
        ({"a": frozenset({"b"}), "b": frozenset({"b2"}), "b2": frozenset({"b"})}, ["b", "b2", "b"]),
    ],
)
def test_the_cycle_finder_finds_cycles(graph, expected):
    assert _cycle(graph) == expected


def test_the_layer_check_sees_an_upward_import(tmp_path, monkeypatch):
    """The check is not vacuous: a policy module that imports a renderer is reported."""
    fake = tmp_path / "failmodes"
    (fake / "report").mkdir(parents=True)
    (fake / "__init__.py").write_text("")
    (fake / "report" / "__init__.py").write_text("")
    (fake / "report" / "summary.py").write_text("X = 1\n")
    (fake / "assessment").mkdir()
    (fake / "assessment" / "__init__.py").write_text("")
    (fake / "assessment" / "gate.py").write_text("from failmodes.report.summary import X\n")
    monkeypatch.setattr(f"{__name__}.PACKAGE", fake)
    _modules.cache_clear()
    try:
        with pytest.raises(AssertionError, match="failmodes.assessment.gate imports"):
            test_no_room_imports_a_higher_layer()
    finally:
        _modules.cache_clear()
