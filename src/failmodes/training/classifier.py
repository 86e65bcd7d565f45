"""One training loop for small image classifiers, seeded end to end.

The probes that retrain a model — reference models for membership inference, canary runs of a
provider's training function — and the example that builds a clean and a backdoored digits
network all train the same way, so they share this loop: Adam on the cross-entropy, shuffled
mini-batches from a seeded generator, on the CPU unless the caller moves the model.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np
import torch
from torch import nn

#: An extra loss term on the model (Song et al. 2017's correlation encoding is one).
Penalty = Callable[[nn.Module], torch.Tensor]


def train_classifier(
    model: nn.Module,
    X: np.ndarray | torch.Tensor,
    y: np.ndarray | torch.Tensor,
    *,
    epochs: int = 30,
    batch_size: int = 64,
    lr: float = 3e-3,
    weight_decay: float = 0.0,
    seed: int = 0,
    penalty: Penalty | None = None,
) -> nn.Module:
    """Train ``model`` in place on ``(X, y)`` and return it in evaluation mode.

    ``seed`` fixes the shuffling; the caller seeds the initial weights (``torch.manual_seed``
    before building the model), so that one seed gives one model.
    """
    inputs = torch.as_tensor(X, dtype=torch.float32)
    labels = torch.as_tensor(y, dtype=torch.int64)
    device = next(model.parameters()).device
    inputs, labels = inputs.to(device), labels.to(device)
    generator = torch.Generator().manual_seed(seed)
    optimiser = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    loss_fn = nn.CrossEntropyLoss()
    model.train()
    for _ in range(epochs):
        order = torch.randperm(len(labels), generator=generator).to(device)
        for start in range(0, len(labels), batch_size):
            batch = order[start : start + batch_size]
            optimiser.zero_grad()
            loss = loss_fn(model(inputs[batch]), labels[batch])
            if penalty is not None:
                loss = loss + penalty(model)
            loss.backward()
            optimiser.step()
    return model.eval()


@torch.no_grad()
def predict_logits(
    model: nn.Module, X: np.ndarray | torch.Tensor, batch_size: int = 512
) -> torch.Tensor:
    """The model's logits for ``X``, in batches, without gradients."""
    inputs = torch.as_tensor(X, dtype=torch.float32)
    device = next(model.parameters()).device
    model.eval()
    parts = [
        model(inputs[i : i + batch_size].to(device)).cpu()
        for i in range(0, len(inputs), batch_size)
    ]
    return torch.cat(parts) if parts else torch.empty(0)


def accuracy(model: nn.Module, X: np.ndarray | torch.Tensor, y: np.ndarray | torch.Tensor) -> float:
    """Share of ``X`` the model labels as ``y``."""
    labels = torch.as_tensor(y, dtype=torch.int64)
    return float((predict_logits(model, X).argmax(dim=1) == labels).float().mean())


@contextmanager
def frozen(model: nn.Module) -> Iterator[nn.Module]:
    """``model`` in evaluation mode with its weights excluded from autograd, for attacks and
    detectors that optimise an input (a trigger, a program) against fixed weights; the
    weights' previous flags and the model's mode come back afterwards."""
    parameters = list(model.parameters())
    trainable = [p.requires_grad for p in parameters]
    was_training = model.training
    for parameter in parameters:
        parameter.requires_grad_(False)
    model.eval()
    try:
        yield model
    finally:
        for parameter, flag in zip(parameters, trainable, strict=True):
            parameter.requires_grad_(flag)
        model.train(was_training)
