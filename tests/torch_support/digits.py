"""A tiny convolutional network on scikit-learn's bundled 8×8 digits, trained in seconds on
the CPU, for the torch tests (nothing downloads). Import only after ``importorskip("torch")``.

It is half the width of the example's network (:mod:`failmodes.training.digits`) and trains on
normalised inputs, so the tests also cover a target that normalises inside; the images and the
training loop are the package's own."""

from __future__ import annotations

from functools import cache

import numpy as np
import torch
from torch import nn

from failmodes.training.classifier import train_classifier
from failmodes.training.digits import digits_images

# One thread: on a small shared CPU, torch's thread pool costs far more than it gives.
torch.set_num_threads(1)

#: Normalisation the network is trained with, applied inside the target.
MEAN, STD = 0.3, 0.4


class DigitsCNN(nn.Module):
    """Two 3×3 convolutions, a 2×2 pool and two dense layers; ``features`` is the embedding."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(8, 16, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
        )
        self.features = nn.Sequential(nn.Linear(16 * 4 * 4, 64), nn.ReLU())
        self.head = nn.Linear(64, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(self.conv(x)))


@cache
def digits() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Train/test images in [0, 1], ``N × 1 × 8 × 8``, and their labels (a fixed split)."""
    X, y = digits_images()
    order = np.random.default_rng(0).permutation(len(X))
    train, test = order[:1400], order[1400:]
    return X[train], y[train], X[test], y[test]


def train_digits_cnn(X: np.ndarray, y: np.ndarray, seed: int, epochs: int = 10) -> nn.Module:
    """The training function a model owner would hand over: ``train(X, y, seed)``."""
    torch.manual_seed(seed)
    inputs = (torch.as_tensor(X, dtype=torch.float32).reshape(-1, 1, 8, 8) - MEAN) / STD
    return train_classifier(DigitsCNN(), inputs, y, epochs=epochs, seed=seed)


@cache
def trained_digits_cnn() -> nn.Module:
    """One trained network per test session."""
    X, y, _, _ = digits()
    return train_digits_cnn(X, y, seed=0)
