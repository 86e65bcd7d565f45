"""PyTorch models as targets: labels, scores, gradients and embeddings from one ``nn.Module``.

White-box probes need what only the framework can give: logits that autograd can
differentiate, the loss gradient with respect to the input, and activations of an inner layer.
:class:`TorchTarget` gives them behind the same query-counting contract as every other target.

Inputs live in *raw* input space — the value range ``(lo, hi)`` the model's users send
(e.g. pixels in ``[0, 1]``) and where an attack's ε is measured; the normalisation the model
was trained with (``mean``/``std`` per channel) is applied inside :meth:`TorchTarget.logits`,
so gradients flow through it and attacks never see normalised values.

Arrays come in any of three layouts and are put in the model's ``input_shape``
(channels first, as PyTorch expects): already ``N × input_shape``, channels-last images
``N × H × W × C`` (as :class:`~failmodes.targets.datasets.Dataset` keeps images), or one flat
row per input (a table of pixels, such as scikit-learn's digits).

The model runs on CUDA when it is available and on the CPU otherwise, in batches of
``batch_size`` that halve when the GPU runs out of memory. torch is imported only here and
only by callers who build a torch target: install it with ``pip install 'failmodes[torch]'``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from failmodes.errors import DataError, InputError
from failmodes.targets.base import Capability, Inputs, Target

if TYPE_CHECKING:
    import torch
    from torch import nn

#: ``train(X, y, seed) -> nn.Module``: how the model's owner trains a fresh copy.
TrainFunction = Callable[[np.ndarray, np.ndarray, int], "nn.Module"]
DEFAULT_BATCH_SIZE = 512


def require_torch() -> Any:
    """The ``torch`` module, or an :class:`~failmodes.errors.InputError` that says how to get
    it."""
    try:
        import torch
    except ImportError:
        raise InputError("PyTorch targets need torch: pip install 'failmodes[torch]'.") from None
    return torch


def as_torch_target(target: Target | None, probe: str) -> TorchTarget:
    """``target`` if it is a :class:`TorchTarget`; white-box probes need its tensors."""
    if not isinstance(target, TorchTarget):
        raise InputError(
            f"{probe} needs a PyTorch target (TorchTarget); {type(target).__name__} gives no "
            "tensors."
        )
    return target


def default_device() -> str:
    """``cuda`` when a GPU is usable, else ``cpu``."""
    torch = require_torch()
    return "cuda" if torch.cuda.is_available() else "cpu"


class TorchTarget(Target):
    """An ``nn.Module`` classifier (in eval mode) behind the :class:`Target` contract.

    ``input_shape`` is the shape of one input as the module takes it (``(1, 8, 8)`` for a
    one-channel 8×8 image); ``value_range`` bounds raw inputs; ``mean`` and ``std`` (a number
    or one per channel) normalise them inside the model. ``embedding_layer`` names a submodule
    (as in ``module.named_modules()``) whose output is the embedding, read with a forward
    hook. ``train`` makes the target trainable. ``classes`` label the logits' columns
    (default ``0 … k−1``).
    """

    def __init__(
        self,
        module: nn.Module,
        *,
        input_shape: Sequence[int],
        value_range: tuple[float, float] = (0.0, 1.0),
        mean: float | Sequence[float] | None = None,
        std: float | Sequence[float] | None = None,
        classes: Any = None,
        embedding_layer: str | None = None,
        train: TrainFunction | None = None,
        device: str | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        budget: int | None = None,
        name: str | None = None,
    ) -> None:
        require_torch()
        import torch

        lo, hi = (float(v) for v in value_range)
        if not lo < hi:
            raise InputError(f"value_range must be (lo, hi) with lo < hi; got {value_range!r}.")
        if batch_size < 1:
            raise InputError(f"batch_size must be at least 1; got {batch_size!r}.")
        self.input_shape = tuple(int(d) for d in input_shape)
        if not self.input_shape or min(self.input_shape) < 1:
            raise InputError(f"input_shape must be positive sizes; got {input_shape!r}.")
        self.value_range = (lo, hi)
        self.device = torch.device(device or default_device())
        self.module = module.to(self.device).eval()
        self.batch_size = batch_size
        self.embedding_layer = embedding_layer
        self._train = train
        self._settings = {
            "input_shape": self.input_shape,
            "value_range": self.value_range,
            "mean": mean,
            "std": std,
            "classes": classes,
            "embedding_layer": embedding_layer,
            "train": train,
            "device": device,
            "batch_size": batch_size,
            "name": name,
        }
        self._shift = self._per_channel(mean, 0.0, "mean")
        self._scale = self._per_channel(std, 1.0, "std")
        if bool((self._scale <= 0).any()):
            raise InputError(f"std must be positive; got {std!r}.")
        n_classes = self._probe_outputs()
        if classes is None:
            classes = np.arange(n_classes)
        elif len(classes) != n_classes:
            raise InputError(
                f"the model has {n_classes} outputs but {len(classes)} classes were given."
            )
        super().__init__(budget=budget, classes=classes)
        self._name = name or type(module).__name__
        caps = {Capability.LABELS, Capability.SCORES, Capability.GRADIENTS}
        if embedding_layer is not None:
            if embedding_layer not in dict(module.named_modules()):
                raise InputError(
                    f"the model has no layer {embedding_layer!r}; name one of "
                    f"{', '.join(n for n, _ in module.named_modules() if n)[:300]}."
                )
            caps.add(Capability.EMBEDDINGS)
        if train is not None:
            caps.add(Capability.TRAIN)
        self.capabilities = frozenset(caps)

    # -- white-box interface -------------------------------------------------------------
    def to_tensor(self, X: Inputs) -> torch.Tensor:
        """``X`` as a float tensor of shape ``N × input_shape`` on the target's device, in
        raw input space (no normalisation)."""
        import torch

        if isinstance(X, torch.Tensor):
            return X.to(self.device, torch.float32)
        array = np.asarray(X.to_numpy() if isinstance(X, pd.DataFrame) else X, dtype=np.float32)
        return torch.from_numpy(self._layout(array)).to(self.device)

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """Differentiable logits of raw inputs ``x`` (``N × input_shape``); counts ``N``
        queries. One call, no batching: the caller sizes ``x``."""
        self._spend(x)
        return self._forward(x)

    def loss_gradient(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Gradient of the summed cross-entropy with respect to ``x``, for class indices
        ``y`` (columns of the logits, see :meth:`class_index`)."""
        import torch

        x = x.detach().requires_grad_(True)
        loss = torch.nn.functional.cross_entropy(self.logits(x), y, reduction="sum")
        (gradient,) = torch.autograd.grad(loss, x)
        return gradient

    def class_index(self, y: np.ndarray) -> torch.Tensor:
        """Labels as column indices of the logits, on the target's device."""
        import torch

        classes = np.asarray(self.classes)
        lookup = {c.item() if hasattr(c, "item") else c: i for i, c in enumerate(classes)}
        try:
            index = [lookup[v.item() if hasattr(v, "item") else v] for v in np.asarray(y)]
        except KeyError as exc:
            raise DataError(f"label {exc.args[0]!r} is not one of the model's classes.") from None
        return torch.as_tensor(index, dtype=torch.long, device=self.device)

    def batches(self, n: int) -> Iterator[slice]:
        """Slices of ``range(n)`` of the target's batch size."""
        for start in range(0, n, self.batch_size):
            yield slice(start, min(n, start + self.batch_size))

    # -- the Target contract -------------------------------------------------------------
    def _predict(self, X: Inputs) -> Any:
        probabilities = self._predict_proba(X)
        return np.asarray(self.classes)[np.argmax(probabilities, axis=1)]

    def _predict_proba(self, X: Inputs) -> Any:
        import torch

        return self._map(X, lambda x: torch.softmax(self._forward(x), dim=1))

    def _embed(self, X: Inputs) -> Any:
        assert self.embedding_layer is not None  # EMBEDDINGS is declared only with one
        layer = dict(self.module.named_modules())[self.embedding_layer]
        with self._hooked(layer) as seen:

            def embed(x: torch.Tensor) -> torch.Tensor:
                self._forward(x)
                return seen[-1].flatten(1)

            return self._map(X, embed)

    def _fit_fresh(self, X: Inputs, y: np.ndarray, seed: int) -> Target:
        assert self._train is not None  # TRAIN is declared only with a training function
        array = self._layout(
            np.asarray(X.to_numpy() if isinstance(X, pd.DataFrame) else X, dtype=np.float32)
        )
        module = self._train(array, np.asarray(y), seed)
        return TorchTarget(module, **self._settings)

    def describe(self) -> str:
        return f"{self._name} (PyTorch, {self.device.type})"

    # -- internals -----------------------------------------------------------------------
    def _forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.module((x - self._shift) / self._scale)
        if out.ndim != 2:
            raise DataError(
                f"the model returned outputs of shape {tuple(out.shape)}; a classifier "
                "returns one row of logits per input."
            )
        return out  # type: ignore[no-any-return]

    def _map(self, X: Inputs, fn: Callable[[torch.Tensor], torch.Tensor]) -> np.ndarray:
        """``fn`` over ``X`` in batches without gradients, halving the batch on CUDA OOM."""
        import torch

        x = self.to_tensor(X)
        while True:
            try:
                with torch.no_grad():
                    parts = [fn(x[s]).float().cpu() for s in self.batches(len(x))]
                return torch.cat(parts).numpy() if parts else np.zeros((0, 0))
            except torch.cuda.OutOfMemoryError:
                if self.batch_size == 1:
                    raise
                torch.cuda.empty_cache()
                self.batch_size = max(1, self.batch_size // 2)

    @contextmanager
    def _hooked(self, layer: nn.Module) -> Iterator[list[torch.Tensor]]:
        seen: list[torch.Tensor] = []
        handle = layer.register_forward_hook(lambda _m, _i, out: seen.append(out))
        try:
            yield seen
        finally:
            handle.remove()

    def _layout(self, array: np.ndarray) -> np.ndarray:
        """``array`` reshaped to ``N × input_shape`` (see the module docstring)."""
        shape = self.input_shape
        if array.shape[1:] == shape:
            return array
        if len(shape) == 3 and array.ndim == 4 and array.shape[1:] == (*shape[1:], shape[0]):
            return np.ascontiguousarray(array.transpose(0, 3, 1, 2))
        if array.ndim >= 1 and math.prod(array.shape[1:]) == math.prod(shape):
            return array.reshape(len(array), *shape)
        raise DataError(
            f"inputs of shape {array.shape[1:]} do not fit the model's input shape {shape}; "
            "give arrays N × input_shape, N × H × W × C, or one flat row per input."
        )

    def _per_channel(
        self, value: float | Sequence[float] | None, default: float, what: str
    ) -> torch.Tensor:
        """``mean`` or ``std`` as a tensor that broadcasts over a batch (channel dimension
        first)."""
        import torch

        values = np.atleast_1d(np.asarray(default if value is None else value, dtype=np.float32))
        if values.ndim != 1 or (len(values) != 1 and len(values) != self.input_shape[0]):
            raise InputError(
                f"{what} must be one number or one per channel ({self.input_shape[0]}); "
                f"got {value!r}."
            )
        trailing = (1,) * (len(self.input_shape) - 1)
        return torch.from_numpy(values).reshape(-1, *trailing).to(self.device)

    def _probe_outputs(self) -> int:
        """Run one blank input through the model to learn its number of classes and to fail
        early, with a clear message, when ``input_shape`` is wrong."""
        import torch

        blank = torch.full((1, *self.input_shape), self.value_range[0], device=self.device)
        try:
            with torch.no_grad():
                return int(self._forward(blank).shape[1])
        except DataError:
            raise
        except Exception as exc:  # the module's own error for a wrong shape
            raise InputError(
                f"the model does not accept inputs of shape {self.input_shape}: "
                f"{type(exc).__name__}: {exc}"[:400]
            ) from None
