"""Canaries and their exposure (Carlini, Liu, Erlingsson, Kos and Song, "The Secret Sharer:
Evaluating and Testing Unintended Memorization in Neural Networks", USENIX Security 2019).

A canary is a random record drawn from a space of candidates; a few are inserted into the
training data, each some number of times, and the rest of the space is never seen. After
training, the candidates are ranked by the model's loss on them (lowest first). A canary's
*exposure* is

    exposure = log2 |R| − log2 rank

where R is the candidate space: the log of how many guesses an attacker who enumerates
candidates by loss saves. A model that did not memorise the canary ranks it at random
(expected exposure ≈ 1 bit); one that memorised it ranks it first (exposure log2 |R|). The
paper's canaries are secret strings for language models; for a classifier a canary is a
uniform-noise input with a random label, and R is estimated, as the paper's sampling
approach does, by drawing reference candidates the model never saw.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Canaries:
    """Inserted canaries and never-seen reference candidates from the same space."""

    X: np.ndarray  # inserted inputs
    y: np.ndarray  # their random labels
    X_reference: np.ndarray
    y_reference: np.ndarray
    repeats: int  # times each inserted canary appears in the training data

    def training_rows(self) -> tuple[np.ndarray, np.ndarray]:
        """The inserted canaries, each repeated ``repeats`` times, to append to a training set."""
        return np.repeat(self.X, self.repeats, axis=0), np.repeat(self.y, self.repeats)


def draw_canaries(
    shape: tuple[int, ...],
    classes: np.ndarray,
    *,
    count: int,
    references: int,
    repeats: int,
    value_range: tuple[float, float],
    rng: np.random.Generator,
) -> Canaries:
    """``count`` canaries to insert and ``references`` candidates never to be inserted: inputs
    uniform over the value range, labels uniform over ``classes``."""
    low, high = value_range
    total = count + references
    X = rng.uniform(low, high, size=(total, *shape)).astype(np.float32)
    y = rng.choice(np.asarray(classes), size=total)
    return Canaries(
        X=X[:count], y=y[:count], X_reference=X[count:], y_reference=y[count:], repeats=repeats
    )


def exposure(canary_loss: np.ndarray, reference_loss: np.ndarray) -> np.ndarray:
    """Exposure in bits of each canary against the reference candidates' losses; ties count
    against the canary, so a model that gives every candidate the same loss exposes nothing."""
    reference = np.sort(np.asarray(reference_loss, dtype=float))
    rank = 1 + np.searchsorted(reference, np.asarray(canary_loss, dtype=float), side="right")
    return np.asarray(np.log2(len(reference) + 1) - np.log2(rank))
