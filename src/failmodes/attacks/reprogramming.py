"""Adversarial reprogramming (Elsayed, Goodfellow and Sohl-Dickstein, "Adversarial
Reprogramming of Neural Networks", ICLR 2019).

The attacker wants the deployed network to solve a task it was never trained for. Each small
input of that foreign task is placed in a window at the centre of the model's input; the rest
of the input is one learned *program* W, the same for every input:

    X_adv = M·x̃ + (1 − M)·(low + (high − low)·sigmoid(W))

(M is 1 on the window, so the program never covers the foreign data, as in the paper, which
writes tanh for inputs in [−1, 1]). A fixed, hard-coded *label mapping* reads foreign class i
from host class i. W is trained by gradient descent on the cross-entropy of the mapped label,
with the paper's L2 penalty on W; the model's weights never change. The accuracy reached on the
foreign task's held-out half, against the rate of always answering its most common class, and
the gradient queries it took, say how cheaply the model's capacity can be hijacked. An output
outside the mapped host classes counts as wrong.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from failmodes.errors import InputError


@dataclass(frozen=True)
class ForeignTask:
    """A foreign classification task rendered into the host's input shape."""

    name: str
    X_train: np.ndarray  # (n, C, H, W): foreign data in the window, zeros elsewhere
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    window: np.ndarray  # (H, W), 1 where the foreign data sits
    n_classes: int

    @property
    def chance(self) -> float:
        """Accuracy of always answering the foreign test set's most common class."""
        return float(np.bincount(self.y_test).max() / len(self.y_test))


def render_foreign_task(
    name: str,
    features: np.ndarray,
    labels: np.ndarray,
    shape: tuple[int, int, int],
    *,
    value_range: tuple[float, float],
    rng: np.random.Generator,
    test_share: float = 0.5,
) -> ForeignTask:
    """Scale tabular ``features`` to the input range (min–max on the training half), lay each
    row out row-major in the smallest centred square window that holds it, and split."""
    channels, height, width = shape
    n, d = features.shape
    side = int(np.ceil(np.sqrt(d)))
    if side >= min(height, width):
        raise InputError(
            f"a foreign task with {d} features needs a {side}×{side} window, which leaves no "
            f"room for a program in a {height}×{width} input"
        )
    classes, y = np.unique(labels, return_inverse=True)
    order = rng.permutation(n)
    n_test = round(test_share * n)
    test, train = order[:n_test], order[n_test:]
    low, high = value_range
    lo, hi = features[train].min(axis=0), features[train].max(axis=0)
    scaled = np.clip((features - lo) / np.where(hi > lo, hi - lo, 1.0), 0.0, 1.0)
    top, left = (height - side) // 2, (width - side) // 2
    window = np.zeros((height, width), dtype=np.float32)
    window[top : top + side, left : left + side] = 1.0
    images = np.zeros((n, channels, height, width), dtype=np.float32)
    cells = np.zeros((n, side * side), dtype=np.float32)
    cells[:, :d] = low + (high - low) * scaled
    images[:, :, top : top + side, left : left + side] = cells.reshape(n, 1, side, side)
    return ForeignTask(
        name=name,
        X_train=images[train],
        y_train=y[train].astype(np.int64),
        X_test=images[test],
        y_test=y[test].astype(np.int64),
        window=window,
        n_classes=len(classes),
    )


@dataclass(frozen=True)
class ReprogrammingResult:
    """The learned program and what it achieved."""

    program: np.ndarray  # (C, H, W): the frame an attacker would send around each input
    label_map: tuple[int, ...]  # host class read for each foreign class
    accuracy: float  # on the foreign task's held-out half
    chance: float
    steps: int
    gradient_queries: int  # inputs whose gradient was asked for: steps × batch size


def learn_program(
    logits_of: Callable[[torch.Tensor], torch.Tensor],
    task: ForeignTask,
    *,
    n_host_classes: int,
    value_range: tuple[float, float],
    steps: int = 300,
    batch_size: int = 64,
    lr: float = 0.05,
    weight_decay: float = 1e-4,
    seed: int = 0,
    device: str | torch.device = "cpu",
) -> ReprogrammingResult:
    """Train an adversarial program for ``task`` against fixed weights: ``logits_of`` maps
    inputs to differentiable logits; run it under
    :func:`~failmodes.training.classifier.frozen` so the weights collect no gradients."""
    if task.n_classes > n_host_classes:
        raise InputError(
            f"the foreign task has {task.n_classes} classes and the model only "
            f"{n_host_classes}: the label mapping needs one host class per foreign class"
        )
    low, high = value_range
    label_map = tuple(range(task.n_classes))
    generator = torch.Generator().manual_seed(seed)
    window = torch.as_tensor(task.window, device=device)
    X = torch.as_tensor(task.X_train, device=device)
    mapped = torch.as_tensor(np.asarray(label_map)[task.y_train], device=device)
    weights = torch.zeros(X.shape[1:], device=device, requires_grad=True)
    optimiser = torch.optim.Adam([weights], lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    for _ in range(steps):
        batch = torch.randint(len(X), (min(batch_size, len(X)),), generator=generator).to(device)
        loss = loss_fn(logits_of(_apply(X[batch], weights, window, low, high)), mapped[batch])
        loss = loss + weight_decay * weights.pow(2).sum()
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    with torch.no_grad():
        test = torch.as_tensor(task.X_test, device=device)
        predicted = logits_of(_apply(test, weights, window, low, high)).argmax(dim=1).cpu().numpy()
    inverse = {host_class: foreign for foreign, host_class in enumerate(label_map)}
    answers = np.array([inverse.get(int(p), -1) for p in predicted])
    program = (low + (high - low) * torch.sigmoid(weights)).detach() * (1 - window)
    return ReprogrammingResult(
        program=program.cpu().numpy(),
        label_map=label_map,
        accuracy=float(np.mean(answers == task.y_test)),
        chance=task.chance,
        steps=steps,
        gradient_queries=steps * min(batch_size, len(X)),
    )


def _apply(
    x: torch.Tensor, weights: torch.Tensor, window: torch.Tensor, low: float, high: float
) -> torch.Tensor:
    frame = low + (high - low) * torch.sigmoid(weights)
    return window * x + (1 - window) * frame
