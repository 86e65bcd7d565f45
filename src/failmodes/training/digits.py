"""The digits network: a small CNN on scikit-learn's bundled 8×8 handwritten digits.

The data set (1,797 images, ten classes, pixel values 0–16) ships with scikit-learn, so the
example, the tests and the demo need no download; the network trains to ~97 % held-out
accuracy in a few seconds on a CPU. Images are scaled to [0, 1] and shaped ``(n, 1, 8, 8)``.
Embeddings come from the layer named ``conv``: the 512 pooled convolutional features. The
backdoor detectors see the trigger there (activation clustering splits a poisoned class into
its clean and its trigger-bearing samples exactly on the test pair), while the 64-unit hidden
layer after it has already folded the trigger into the class and separates them poorly.
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.datasets import load_digits
from torch import nn

#: Shape of one input image: channels, height, width.
INPUT_SHAPE = (1, 8, 8)
N_CLASSES = 10
#: Name of the embedding layer (the pooled convolutional features, 512 values).
EMBEDDING_LAYER = "conv"


class DigitsCNN(nn.Module):
    """Two 3×3 convolutions, one 2×2 max-pool, a 64-unit hidden layer, ten logits."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(16, 32, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
        )
        self.features = nn.Sequential(nn.Linear(32 * 4 * 4, 64), nn.ReLU())
        self.head = nn.Linear(64, N_CLASSES)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(self.conv(x)))  # type: ignore[no-any-return]


def digits_images() -> tuple[np.ndarray, np.ndarray]:
    """All 1,797 digits as float32 images in [0, 1] of shape (n, 1, 8, 8), and their labels."""
    data = load_digits()
    X = (data.images / 16.0).astype(np.float32)[:, None, :, :]
    return X, data.target.astype(np.int64)


def new_digits_cnn(seed: int) -> DigitsCNN:
    """A freshly initialised network; the same seed gives the same initial weights."""
    torch.manual_seed(seed)
    return DigitsCNN()


def digits_split(
    seed: int, test_share: float = 0.3
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``X_train, X_test, y_train, y_test``: a stratified split of the digits, fixed by seed."""
    from sklearn.model_selection import train_test_split

    X, y = digits_images()
    parts = train_test_split(X, y, test_size=test_share, random_state=seed, stratify=y)
    return parts[0], parts[1], parts[2], parts[3]


#: Epochs the example trains for: held-out accuracy has settled by then.
EPOCHS = 20


def train_digits_cnn(X: np.ndarray, y: np.ndarray, seed: int) -> DigitsCNN:
    """The example's training function, ``train(X, y, seed) -> nn.Module``, as a profile's
    ``training_function`` names it: a fresh network trained for :data:`EPOCHS` epochs."""
    from failmodes.training.classifier import train_classifier

    model = train_classifier(new_digits_cnn(seed), X, y, epochs=EPOCHS, seed=seed)
    return model  # type: ignore[return-value]
