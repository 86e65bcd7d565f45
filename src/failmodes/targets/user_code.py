"""Code a profile names as ``module:attribute`` — an agent's policy, a network's architecture,
a training function — imported as an explicit, trusted step.

Importing a module runs its top-level code, so it is held to the rule model files are: code
that ships with failmodes (the gridworlds' agents, the digits network) loads as it is; any
other module only when the user passes the trust flag (``--trust-model``,
``load_target(..., trust=True)``), and a refused module is never imported. The profile's folder
goes first on the import path for the import alone, so a model's own code can sit beside its
profile without staying on ``sys.path`` afterwards.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from failmodes.errors import InputError, UnsafeArtifactError

#: The package whose modules load without the trust flag: failmodes itself.
SHIPPED_PACKAGE = "failmodes"


def is_shipped(module_name: str) -> bool:
    """Whether ``module_name`` is part of failmodes."""
    return module_name == SHIPPED_PACKAGE or module_name.startswith(f"{SHIPPED_PACKAGE}.")


def import_named(reference: str, folder: Path | None, *, field: str, trust: bool) -> Any:
    """The attribute ``reference`` (``module:attribute``) names, its module imported with
    ``folder`` first on the import path; ``field`` is the profile field, for messages."""
    module_name, _, attribute = reference.partition(":")
    if not is_shipped(module_name) and not trust:
        raise UnsafeArtifactError(
            f"{field} {reference}: importing {module_name} runs its code; pass --trust-model "
            "only if you trust its source."
        )
    with _first_on_path(folder):
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise InputError(
                f"{field} {reference}: cannot import {module_name} ({exc}); put the module "
                "beside the profile or install it."
            ) from None
    try:
        return getattr(module, attribute)
    except AttributeError:
        raise InputError(
            f"{field} {reference}: {module_name} has no attribute {attribute!r}."
        ) from None


@contextmanager
def _first_on_path(folder: Path | None) -> Iterator[None]:
    if folder is None:
        yield
        return
    entry = str(folder)
    sys.path.insert(0, entry)
    try:
        yield
    finally:
        sys.path.remove(entry)
