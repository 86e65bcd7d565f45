"""Bounded, safe YAML reading for files that users and strangers write.

Profiles and overlays come from people; catalogs may come from another team. This module is
the one way failmodes reads YAML, so every reader gets the same guarantees:

* PyYAML's safe loader only: tags that build Python objects are refused.
* A size limit on the file, checked before parsing.
* A limit on the *expanded* size of the document. Anchors and aliases can make a 1 KiB file
  stand for a document of billions of nodes ("billion laughs"); the loader shares the aliased
  objects, but validation or serialisation would walk every copy. We count the expanded size
  on the composed node graph with memoisation, which costs time linear in the file, and refuse
  the document before anything walks it.
* Duplicate keys are errors: in a profile the later value silently winning is a mistake.
* Line numbers are kept, so a validation error can point at ``file:line``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from failmodes.errors import InputError, MissingFileError

#: Largest YAML file read, in bytes. Profiles and overlays are a few KiB.
MAX_YAML_BYTES = 2 * 1024 * 1024
#: Largest number of nodes a document may expand to once aliases are followed.
MAX_EXPANDED_NODES = 200_000


class _UniqueKeyLoader(yaml.SafeLoader):
    """Safe loader that refuses duplicate mapping keys."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, yaml.Node] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"duplicate key {key!r} (first at line {seen[key].start_mark.line + 1})",
                    key_node.start_mark,
                )
            seen[key] = key_node
        return super().construct_mapping(node, deep=deep)


@dataclass(frozen=True)
class YamlDocument:
    """A parsed YAML document with the node tree kept for line lookups."""

    path: Path
    data: Any
    root: yaml.Node | None

    def line_of(self, location: Sequence[str | int]) -> int | None:
        """1-based line of the value at ``location``, or of its nearest parent."""
        node = self.root
        line = node.start_mark.line + 1 if node is not None else None
        for part in location:
            if isinstance(node, yaml.MappingNode):
                match = [v for k, v in node.value if getattr(k, "value", None) == str(part)]
                if not match:
                    # Point at the key itself for unknown keys, else stay at the parent.
                    keys = [k for k, _ in node.value if getattr(k, "value", None) == str(part)]
                    return keys[0].start_mark.line + 1 if keys else line
                node = match[0]
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
                if part >= len(node.value):
                    return line
                node = node.value[part]
            else:
                return line
            line = node.start_mark.line + 1
        return line


def _expanded_size(root: yaml.Node, limit: int) -> int:
    """Number of nodes the document has once every alias is expanded (stops past ``limit``)."""
    sizes: dict[int, int] = {}
    # Iterative post-order walk; composed graphs can be deep but are acyclic for safe YAML.
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if id(node) in sizes:
            continue
        children: list[yaml.Node] = []
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                children.extend((k, v))
        elif isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        if expanded or not children:
            total = 1 + sum(sizes[id(c)] for c in children)
            sizes[id(node)] = min(total, limit + 1)
            continue
        stack.append((node, True))
        stack.extend((c, False) for c in children if id(c) not in sizes)
    return sizes[id(root)]


def _mark(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return f"line {mark.line + 1}: {problem}" if mark is not None else str(problem)


def read_yaml(
    path: str | Path,
    *,
    what: str,
    error: type[InputError] = InputError,
    max_bytes: int = MAX_YAML_BYTES,
) -> YamlDocument:
    """Read one YAML document safely; ``what`` names the file's role in error messages."""
    path = Path(path)
    if not path.is_file():
        hint = "it is a directory" if path.is_dir() else "no such file"
        raise MissingFileError(f"{path}: cannot read the {what}: {hint}.")
    size = path.stat().st_size
    if size > max_bytes:
        raise error(
            f"{path}: the {what} is {size:,} bytes, over the {max_bytes:,}-byte limit; "
            "split it or check that this is the right file."
        )
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise error(f"{path}: the {what} is not UTF-8 text (byte {exc.start}).") from None
    return parse_yaml(text, path=path, what=what, error=error)


def parse_yaml(
    text: str, *, path: Path, what: str, error: type[InputError] = InputError
) -> YamlDocument:
    """Parse YAML text that came from ``path``; see :func:`read_yaml`."""
    try:
        loader = _UniqueKeyLoader(text)
        try:
            root = loader.get_single_node()
            if root is not None and _expanded_size(root, MAX_EXPANDED_NODES) > MAX_EXPANDED_NODES:
                raise error(
                    f"{path}: the {what} expands to more than {MAX_EXPANDED_NODES:,} values "
                    "through YAML anchors and aliases; write the values out instead."
                )
            data = loader.construct_document(root) if root is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        raise error(f"{path}: the {what} is not valid YAML: {_mark(exc)}.") from None
    return YamlDocument(path=path, data=data, root=root)


def dump_yaml(data: Any) -> str:
    """YAML text for ``data`` in a stable key order, for exports."""
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
