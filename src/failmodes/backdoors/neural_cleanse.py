"""Neural Cleanse trigger reverse-engineering (Wang, Yao, Shan, Li, Viswanath, Zheng and Zhao,
"Neural Cleanse: Identifying and Mitigating Backdoor Attacks in Neural Networks", IEEE S&P
2019).

For every class t, find the smallest trigger — a mask m and a pattern p, applied as
``x' = (1 − m)·x + m·p`` — that sends clean inputs of every class to t:

    minimise  CE(f(x'), t) + λ·‖m‖₁

A backdoored class needs a much smaller trigger than the others (the attacker's trigger is a
short cut), which the MAD anomaly index of the masks' L1 norms exposes
(:func:`failmodes.backdoors.robust.anomaly_index`). As in the paper, m and p are optimised
through a sigmoid (so they stay in range) with Adam, and λ adapts: raised by 1.5× while the
trigger reaches the target success rate, lowered otherwise; the smallest mask that reached it
is kept. Where we differ: a fixed number of steps per class (the paper runs until λ settles),
one batch of clean inputs reused each step, and success measured on that batch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from failmodes.errors import InputError

#: Raw inputs to differentiable logits (a module, or a target's ``logits``).
Logits = Callable[[torch.Tensor], torch.Tensor]
#: A reverse-engineered trigger counts when it sends this share of inputs to its class.
TARGET_SUCCESS = 0.95
#: Steps between adjustments of λ.
PATIENCE = 10


@dataclass(frozen=True)
class ReversedTrigger:
    """The smallest trigger found for one class."""

    label: int
    mask: np.ndarray  # (H, W) in [0, 1]
    pattern: np.ndarray  # (C, H, W) in the input range
    l1: float  # L1 norm of the mask
    success: float  # share of the clean batch it sends to ``label``


def reverse_engineer_trigger(
    logits_of: Logits,
    X: torch.Tensor,
    label: int,
    *,
    value_range: tuple[float, float],
    steps: int = 300,
    lr: float = 0.1,
    initial_lambda: float = 1e-2,
    seed: int = 0,
) -> ReversedTrigger:
    """The smallest mask and pattern that send the clean inputs ``X`` (n, C, H, W) to
    ``label``. ``logits_of`` maps inputs to differentiable logits; run it under
    :func:`~failmodes.training.classifier.frozen` so the model's weights collect no
    gradients."""
    if steps < PATIENCE:
        raise InputError(f"Neural Cleanse needs at least {PATIENCE} steps per class; got {steps}")
    low, high = value_range
    generator = torch.Generator().manual_seed(seed + label)
    _, channels, height, width = X.shape
    mask_logit = (torch.randn((height, width), generator=generator) * 0.1).to(X.device)
    pattern_logit = (torch.randn((channels, height, width), generator=generator) * 0.1).to(X.device)
    mask_logit.requires_grad_()
    pattern_logit.requires_grad_()
    optimiser = torch.optim.Adam([mask_logit, pattern_logit], lr=lr, betas=(0.5, 0.9))
    targets = torch.full((len(X),), label, dtype=torch.int64, device=X.device)
    loss_fn = nn.CrossEntropyLoss()
    lam = initial_lambda
    best: ReversedTrigger | None = None
    last = _snapshot(label, torch.sigmoid(mask_logit), torch.sigmoid(pattern_logit), 0.0)
    for step in range(steps):
        mask = torch.sigmoid(mask_logit)
        pattern = low + (high - low) * torch.sigmoid(pattern_logit)
        logits = logits_of((1 - mask) * X + mask * pattern)
        loss = loss_fn(logits, targets) + lam * mask.sum()
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        if (step + 1) % PATIENCE == 0 or step == steps - 1:
            success = float((logits.argmax(dim=1) == targets).float().mean())
            last = _snapshot(label, mask, pattern, success)
            if success >= TARGET_SUCCESS:
                lam *= 1.5
                if best is None or last.l1 < best.l1:
                    best = last
            else:
                lam /= 1.5
    return best if best is not None else last


def _snapshot(
    label: int, mask: torch.Tensor, pattern: torch.Tensor, success: float
) -> ReversedTrigger:
    m = mask.detach().cpu().numpy().astype(np.float32)
    return ReversedTrigger(
        label=label,
        mask=m,
        pattern=pattern.detach().cpu().numpy().astype(np.float32),
        l1=float(np.abs(m).sum()),
        success=success,
    )
