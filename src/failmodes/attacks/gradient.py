"""White-box evasion with the model's gradients: FGSM and PGD in L∞ and L2, in PyTorch.

- **FGSM** — one step of size ε along the sign of the loss gradient (Goodfellow, Shlens and
  Szegedy, "Explaining and Harnessing Adversarial Examples", ICLR 2015).
- **PGD** — projected gradient ascent on the cross-entropy from a random point of the ε-ball,
  repeated from several random starts (Madry, Makelov, Schmidt, Tsipras and Vladu, "Towards
  Deep Learning Models Resistant to Adversarial Attacks", ICLR 2018). L∞ steps follow the
  gradient's sign; L2 steps follow the gradient scaled to unit L2 norm, and points are
  projected back onto the L2 ball, then clipped to the valid value range.

A row counts as broken as soon as *any* iterate of *any* restart is misclassified (the
iterate is kept), the rule of strong evaluations (Carlini et al. 2019, "On Evaluating
Adversarial Robustness", §4); plain PGD would keep only the last iterate of each start.

Inputs are raw tensors in the target's value range (``N × input_shape``); the target applies
its own normalisation. Rows go through the model in the target's batches. torch is imported
by the caller's target, never at import time of this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

from failmodes.attacks import Progress

if TYPE_CHECKING:
    import torch

    from failmodes.targets.torch_model import TorchTarget

Norm = Literal["linf", "l2"]
#: Smallest norm a gradient is divided by, so a zero gradient gives a zero step, not NaN.
TINY = 1e-12


@dataclass(frozen=True)
class GradientAttack:
    """One white-box attack's settings, so a probe or benchmark can describe and replay it.

    ``step_size`` is absolute (raw input units); ``None`` takes ``2.5 ε / steps``, the
    rule of Madry et al. that lets a run cross the ball and back.
    """

    norm: Norm = "linf"
    steps: int = 20
    restarts: int = 1
    step_size: float | None = None
    random_start: bool = True

    def step_for(self, epsilon: float) -> float:
        return self.step_size if self.step_size is not None else 2.5 * epsilon / self.steps


def fgsm(target: TorchTarget, x: torch.Tensor, y: torch.Tensor, epsilon: float) -> torch.Tensor:
    """The fast gradient sign method (L∞): one step of size ``epsilon``, then clipping."""
    lo, hi = target.value_range
    out = x.clone()
    for s in target.batches(len(x)):
        gradient = target.loss_gradient(x[s], y[s])
        out[s] = (x[s] + epsilon * gradient.sign()).clamp(lo, hi)
    return out


def pgd(
    target: TorchTarget,
    x: torch.Tensor,
    y: torch.Tensor,
    epsilon: float,
    attack: GradientAttack,
    *,
    seed: int = 0,
    progress: Progress[int] | None = None,
) -> torch.Tensor:
    """Projected gradient descent with restarts; returns, per row, the first misclassified
    iterate found, or the last iterate of the last restart when none was."""
    import torch

    generator = torch.Generator(device=x.device).manual_seed(seed)
    best = x.clone()
    broken = torch.zeros(len(x), dtype=torch.bool, device=x.device)
    starts = range(attack.restarts)
    for _ in progress(starts, attack.restarts, f"PGD {attack.norm}") if progress else starts:
        todo = (~broken).nonzero().flatten()
        if len(todo) == 0:
            break
        for chunk in torch.split(todo, target.batch_size):
            found, done = _pgd_run(
                target, x=x[chunk], y=y[chunk], epsilon=epsilon, attack=attack, rng=generator
            )
            best[chunk] = found
            broken[chunk] = done
    return best


def _pgd_run(
    target: TorchTarget,
    *,
    x: torch.Tensor,
    y: torch.Tensor,
    epsilon: float,
    attack: GradientAttack,
    rng: torch.Generator,
) -> tuple[torch.Tensor, torch.Tensor]:
    """One random start of PGD on one batch: (kept points, which of them are misclassified)."""
    import torch

    lo, hi = target.value_range
    step = attack.step_for(epsilon)
    current = x.clone()
    if attack.random_start:
        start = x + random_in_ball(x, epsilon, attack.norm, rng)
        current = project(start, x, epsilon, attack.norm).clamp(lo, hi)
    kept = current.clone()
    broken = torch.zeros(len(x), dtype=torch.bool, device=x.device)
    for _ in range(attack.steps):
        active = (~broken).nonzero().flatten()
        if len(active) == 0:
            break
        z = current[active].detach().requires_grad_(True)
        logits = target.logits(z)
        wrong = logits.argmax(1) != y[active]
        kept[active[wrong]] = z[wrong].detach()
        broken[active[wrong]] = True
        loss = torch.nn.functional.cross_entropy(logits, y[active], reduction="sum")
        (gradient,) = torch.autograd.grad(loss, z)
        moved = z.detach() + step * ascent_direction(gradient, attack.norm)
        current[active] = project(moved, x[active], epsilon, attack.norm).clamp(lo, hi)
    rest = (~broken).nonzero().flatten()
    if len(rest):
        with torch.no_grad():
            wrong = target.logits(current[rest]).argmax(1) != y[rest]
        broken[rest[wrong]] = True
        kept[rest] = current[rest]
    return kept, broken


def ascent_direction(gradient: torch.Tensor, norm: Norm) -> torch.Tensor:
    """The steepest-ascent direction of unit size in ``norm``: the sign (L∞) or the gradient
    over its L2 norm."""
    if norm == "linf":
        return gradient.sign()
    flat = gradient.flatten(1).norm(dim=1).clamp_min(TINY)
    unit: torch.Tensor = gradient / flat.view(-1, *([1] * (gradient.ndim - 1)))
    return unit


def project(z: torch.Tensor, center: torch.Tensor, epsilon: float, norm: Norm) -> torch.Tensor:
    """``z`` moved onto the ``norm`` ball of radius ``epsilon`` around ``center``."""
    delta = z - center
    if norm == "linf":
        return center + delta.clamp(-epsilon, epsilon)
    size = delta.flatten(1).norm(dim=1).clamp_min(TINY)
    factor = (epsilon / size).clamp(max=1.0)
    inside: torch.Tensor = center + delta * factor.view(-1, *([1] * (delta.ndim - 1)))
    return inside


def random_in_ball(
    x: torch.Tensor, epsilon: float, norm: Norm, generator: torch.Generator
) -> torch.Tensor:
    """A random perturbation inside the ball: uniform per coordinate (L∞), or a uniform
    direction with radius ε·u^(1/d) so the draw is uniform in the L2 ball."""
    import torch

    if norm == "linf":
        return (torch.rand(x.shape, generator=generator, device=x.device) * 2 - 1) * epsilon
    direction = torch.randn(x.shape, generator=generator, device=x.device)
    direction = ascent_direction(direction, "l2")
    dim = x[0].numel()
    radius = torch.rand(len(x), generator=generator, device=x.device) ** (1.0 / dim) * epsilon
    return direction * radius.view(-1, *([1] * (x.ndim - 1)))


def still_correct(target: TorchTarget, x: torch.Tensor, y: torch.Tensor) -> np.ndarray:
    """Per row, whether the model still gives the true class (batched, no gradients)."""
    import torch

    right = []
    with torch.no_grad():
        for s in target.batches(len(x)):
            right.append((target.logits(x[s]).argmax(1) == y[s]).cpu())
    return torch.cat(right).numpy() if right else np.zeros(0, dtype=bool)
