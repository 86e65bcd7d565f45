"""APGD-CE: step-size-free PGD on the cross-entropy, L∞ (Croce and Hein, "Reliable
Evaluation of Adversarial Robustness with an Ensemble of Diverse Parameter-free Attacks",
ICML 2020, Algorithm 1).

PGD's fixed step size is a knob that an evaluation can get wrong. APGD starts with step
η = 2ε, adds momentum (α = 0.75), and at checkpoints ``w_j`` halves a row's step — and goes
back to the best point found — when fewer than ρ = 0.75 of the steps since the last
checkpoint raised the loss, or when neither the step nor the best loss changed since then.
Checkpoints fall at ``p_j · N``: ``p_0 = 0``, ``p_1 = 0.22``, ``p_{j+1} = p_j + max(p_j −
p_{j−1} − 0.03, 0.06)``.

Where we differ from the paper: the first point is drawn uniformly in the ε-ball (as the
authors' AutoAttack code does), and, as in :mod:`failmodes.attacks.gradient`, a row counts as
broken at the first misclassified iterate, which is kept.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from failmodes.attacks.gradient import project, random_in_ball

if TYPE_CHECKING:
    import torch

    from failmodes.targets.torch_model import TorchTarget

MOMENTUM = 0.75
RHO = 0.75


def checkpoints(steps: int) -> list[int]:
    """The iterations ``w_j = ceil(p_j · steps)`` at which step sizes are reconsidered."""
    p = [0.0, 0.22]
    while p[-1] < 1:
        p.append(p[-1] + max(p[-1] - p[-2] - 0.03, 0.06))
    # The tolerance keeps float error (0.57000…01) from rounding a checkpoint up.
    return sorted({math.ceil(q * steps - 1e-9) for q in p[1:] if q <= 1})


def apgd_ce(
    target: TorchTarget,
    x: torch.Tensor,
    y: torch.Tensor,
    epsilon: float,
    *,
    steps: int = 100,
    seed: int = 0,
) -> torch.Tensor:
    """APGD on the cross-entropy in the L∞ ball of radius ``epsilon``; per row, the first
    misclassified iterate, or the point of highest loss when none was."""
    import torch

    generator = torch.Generator(device=x.device).manual_seed(seed)
    out = x.clone()
    for s in target.batches(len(x)):
        out[s] = _apgd_batch(target, x[s], y[s], epsilon, steps=steps, rng=generator)
    return out


def _apgd_batch(
    target: TorchTarget,
    x: torch.Tensor,
    y: torch.Tensor,
    epsilon: float,
    *,
    steps: int,
    rng: torch.Generator,
) -> torch.Tensor:
    import torch

    lo, hi = target.value_range

    def step_to(point: torch.Tensor) -> torch.Tensor:
        return project(point, x, epsilon, "linf").clamp(lo, hi)

    def evaluate(point: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        z = point.detach().requires_grad_(True)
        logits = target.logits(z)
        losses = torch.nn.functional.cross_entropy(logits, y, reduction="none")
        (gradient,) = torch.autograd.grad(losses.sum(), z)
        return losses.detach(), gradient, logits.argmax(1) != y

    shape = (-1, *([1] * (x.ndim - 1)))
    eta = torch.full((len(x),), 2.0 * epsilon, device=x.device)
    current = step_to(x + random_in_ball(x, epsilon, "linf", rng))
    loss, gradient, wrong = evaluate(current)
    kept = torch.where(wrong.view(shape), current, x)
    broken = wrong.clone()
    best, best_loss = current.clone(), loss.clone()
    previous = current.clone()
    current = step_to(current + eta.view(shape) * gradient.sign())
    marks = checkpoints(steps)
    last_mark, rises = 0, torch.zeros(len(x), device=x.device)
    eta_at_mark, best_at_mark = eta.clone(), best_loss.clone()
    for k in range(1, steps):
        new_loss, gradient, wrong = evaluate(current)
        fresh = wrong & ~broken
        kept[fresh] = current[fresh]
        broken |= wrong
        rises += (new_loss > loss).float()
        better = new_loss > best_loss
        best[better], best_loss[better] = current[better], new_loss[better]
        loss = new_loss
        if k in marks:
            too_few = rises < RHO * (k - last_mark)
            stalled = (eta_at_mark == eta) & (best_at_mark == best_loss)
            halve = too_few | stalled
            eta[halve] /= 2
            if bool(halve.any()):
                # Back to the best point, with its gradient and no momentum.
                current[halve], loss[halve] = best[halve], best_loss[halve]
                gradient = torch.where(halve.view(shape), evaluate(best)[1], gradient)
                previous = torch.where(halve.view(shape), best, previous)
            last_mark, rises = k, torch.zeros_like(rises)
            eta_at_mark, best_at_mark = eta.clone(), best_loss.clone()
        z = step_to(current + eta.view(shape) * gradient.sign())
        moved = step_to(current + MOMENTUM * (z - current) + (1 - MOMENTUM) * (current - previous))
        previous, current = current, moved
    return torch.where(broken.view(shape), kept, best)
