"""A PyTorch model file named in a profile, loaded only after the model-file scanner passes it.

Two kinds of file (``docs/targets.md``):

- **TorchScript** (``torch.jit.save``), when the profile names no ``architecture``. The file
  carries its own code, which runs when the model is called; ``torch.jit.load`` does not
  unpickle arbitrary Python objects, but its pickles are still scanned first.
- **A state_dict** (``torch.save(model.state_dict())``) with ``architecture:
  module:attribute``, the user's own class or function that builds the network. Its tensors are
  read with ``torch.load(weights_only=True)``, which refuses anything but tensors and plain
  containers. Naming an architecture *imports that module*, which outside failmodes needs the
  trust flag (:mod:`failmodes.targets.user_code`); the profile's folder is searched first, so
  the model's own code can sit next to its profile.

Either file is scanned by :func:`failmodes.artifacts.ensure_safe_to_load` before torch opens
it, and a flagged file is refused unless the user passes the trust flag.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from failmodes.errors import DataError
from failmodes.profile.schema import TorchModel
from failmodes.targets.torch_model import TorchTarget, require_torch
from failmodes.targets.user_code import import_named


def load_torch_target(
    path: Path,
    spec: TorchModel,
    *,
    code_dir: Path,
    trust: bool = False,
    budget: int | None = None,
) -> TorchTarget:
    """The :class:`TorchTarget` the profile describes; ``code_dir`` is where ``architecture``
    and ``training_function`` modules are looked up first (the profile's folder)."""
    from failmodes.artifacts import ensure_safe_to_load

    torch = require_torch()
    ensure_safe_to_load(path, trust=trust)
    if spec.architecture is None:
        module = _torchscript(torch, path)
    else:
        build = import_named(
            spec.architecture, code_dir, field="target.torch.architecture", trust=trust
        )
        module = _from_state_dict(torch, path, spec.architecture, build)
    train = None
    if spec.training_function is not None:
        train = import_named(
            spec.training_function, code_dir, field="target.torch.training_function", trust=trust
        )
        if not callable(train):
            raise DataError(f"training_function {spec.training_function} is not callable.")
    return TorchTarget(
        module,
        input_shape=spec.input_shape,
        value_range=spec.value_range,
        mean=spec.mean,
        std=spec.std,
        classes=spec.classes,
        embedding_layer=spec.embedding_layer,
        train=train,
        batch_size=spec.batch_size,
        budget=budget,
        name=path.name,
    )


def _torchscript(torch: Any, path: Path) -> Any:
    try:
        with warnings.catch_warnings():  # torch deprecates TorchScript; the file is what it is
            warnings.simplefilter("ignore", DeprecationWarning)
            return torch.jit.load(str(path), map_location="cpu")
    except Exception as exc:  # a state_dict or a corrupt archive
        raise DataError(
            f"{path}: cannot load it as TorchScript ({type(exc).__name__}); for a state_dict "
            "file name its class in `target.torch.architecture`."
        ) from None


def _from_state_dict(torch: Any, path: Path, architecture: str, build: Callable[[], Any]) -> Any:
    try:
        module = build()
    except Exception as exc:
        raise DataError(
            f"{architecture}() failed: {type(exc).__name__}: {exc}; the architecture must "
            "build the network with no arguments."
        ) from None
    if not isinstance(module, torch.nn.Module):
        raise DataError(f"{architecture}() built a {type(module).__name__}, not an nn.Module.")
    try:
        state = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as exc:  # weights_only refuses anything but tensors and containers
        raise DataError(
            f"{path}: cannot read it as a state_dict with weights_only=True: "
            f"{type(exc).__name__}: {exc}"[:400]
        ) from None
    if not isinstance(state, dict):
        raise DataError(f"{path}: holds a {type(state).__name__}, not a state_dict.")
    try:
        module.load_state_dict(state)
    except RuntimeError as exc:
        raise DataError(
            f"{path}: does not fit {architecture}: {exc}".splitlines()[0][:400]
        ) from None
    return module
