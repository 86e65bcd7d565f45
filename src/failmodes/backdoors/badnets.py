"""A BadNets-style backdoor (Gu, Dolan-Gavitt and Garg, "BadNets: Identifying
Vulnerabilities in the Machine Learning Model Supply Chain", 2017).

The attacker stamps a small, fixed pixel pattern (the trigger) onto a few per cent of the
training images and relabels them with a target class; the trained network learns "trigger
means target" while staying accurate on clean inputs. The paper's trigger for street signs is
a yellow square or a flower sticker; on 8×8 digits we use a 3×3 corner patch, the same idea at
the scale of the images. Used to build the example's backdoored twin and the probe's tests.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from failmodes.errors import InputError


@dataclass(frozen=True)
class Trigger:
    """A pattern and where it goes: ``stamp(x) = (1 − mask)·x + mask·pattern``."""

    mask: np.ndarray  # (H, W) in [0, 1]
    pattern: np.ndarray  # (C, H, W), in the input's value range

    def stamp(self, X: np.ndarray) -> np.ndarray:
        """``X`` (n, C, H, W) with the trigger applied to every image."""
        return np.asarray((1 - self.mask) * X + self.mask * self.pattern, dtype=X.dtype)


def corner_trigger(shape: tuple[int, int, int], size: int = 3, value: float = 1.0) -> Trigger:
    """A checkerboard ``size``×``size`` patch in the bottom-right corner, bright squares at
    ``value`` and dark ones at 0 — the BadNets pattern trigger scaled to small images."""
    channels, height, width = shape
    if size > min(height, width):
        raise InputError(f"a {size}×{size} trigger does not fit a {height}×{width} image")
    mask = np.zeros((height, width), dtype=np.float32)
    mask[height - size :, width - size :] = 1.0
    checker = (np.add.outer(np.arange(height), np.arange(width)) % 2 == 0).astype(np.float32)
    pattern = np.broadcast_to(checker * value, (channels, height, width)).astype(np.float32)
    return Trigger(mask=mask, pattern=pattern)


@dataclass(frozen=True)
class PoisonedSet:
    """Training data with a backdoor planted, and which rows carry the trigger."""

    X: np.ndarray
    y: np.ndarray
    poisoned: np.ndarray  # indices of the trigger-bearing rows
    target_class: int


def poison(
    X: np.ndarray,
    y: np.ndarray,
    trigger: Trigger,
    *,
    target_class: int,
    rate: float,
    rng: np.random.Generator,
) -> PoisonedSet:
    """Stamp the trigger on ``rate`` of the rows not already of ``target_class`` and relabel
    them ``target_class`` (BadNets' dirty-label poisoning)."""
    if not 0 < rate < 1:
        raise InputError(f"the poisoning rate must lie strictly between 0 and 1; got {rate}")
    candidates = np.flatnonzero(y != target_class)
    chosen = np.sort(rng.choice(candidates, round(rate * len(y)), replace=False))
    X_out, y_out = X.copy(), y.copy()
    X_out[chosen] = trigger.stamp(X[chosen])
    y_out[chosen] = target_class
    return PoisonedSet(X=X_out, y=y_out, poisoned=chosen, target_class=target_class)
