"""A gradient-masking "defence" for the torch tests: the input is quantised to a few levels
before the network sees it. torch.round has a zero gradient everywhere, so gradient attacks
see nothing while adversarial examples are as close as before — the textbook case of
obfuscated gradients (Athalye, Carlini and Wagner, ICML 2018)."""

from __future__ import annotations

import torch
from torch import nn

from tests.torch_support.digits import MEAN, STD


class QuantisedInput(nn.Module):
    """``inner`` behind a non-differentiable quantisation of the raw pixels to ``levels``."""

    def __init__(self, inner: nn.Module, levels: int = 8) -> None:
        super().__init__()
        self.inner, self.levels = inner, levels

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        raw = z * STD + MEAN  # undo the target's normalisation, quantise, redo it
        quantised = torch.round(raw * self.levels) / self.levels
        return self.inner((quantised - MEAN) / STD)
