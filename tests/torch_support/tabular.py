"""A small PyTorch MLP on a table, as a :class:`TorchTarget` with every capability (gradients,
embeddings from ``features``, a training function), for the conformance kit's torch probes.
Import only after ``importorskip("torch")``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from torch import nn

from failmodes.targets.torch_model import TorchTarget

torch.set_num_threads(1)


class TableMLP(nn.Module):
    def __init__(self, width: int, classes: int) -> None:
        super().__init__()
        self.features = nn.Sequential(nn.Linear(width, 16), nn.ReLU())
        self.head = nn.Linear(16, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def train_table_mlp(X: np.ndarray, y: np.ndarray, seed: int) -> nn.Module:
    """``train(X, y, seed)``: full-batch Adam, a few hundred steps (well under a second)."""
    torch.manual_seed(seed)
    inputs = torch.as_tensor(np.array(X, dtype=np.float32)).reshape(len(X), -1)
    labels = torch.as_tensor(np.array(y), dtype=torch.long)
    model = TableMLP(inputs.shape[1], int(labels.max()) + 1)
    optimiser = torch.optim.Adam(model.parameters(), lr=0.01)
    for _ in range(200):
        optimiser.zero_grad()
        nn.functional.cross_entropy(model(inputs), labels).backward()
        optimiser.step()
    return model.eval()


def table_target(X: pd.DataFrame, y: np.ndarray, module: nn.Module | None = None) -> TorchTarget:
    """A fresh target (queries at zero) around ``module``, or one trained on ``(X, y)``."""
    values = X.to_numpy(dtype=np.float32)
    return TorchTarget(
        module if module is not None else train_table_mlp(values, y, seed=0),
        input_shape=(values.shape[1],),
        value_range=(float(values.min()) - 1, float(values.max()) + 1),
        embedding_layer="features",
        train=train_table_mlp,
    )
