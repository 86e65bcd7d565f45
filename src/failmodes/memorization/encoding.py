"""Training data hidden in a model on purpose, and the tests that find it (Song, Ristenpart
and Shmatikov, "Machine Learning Models that Remember Too Much", CCS 2017).

A malicious training provider hands back a model that works and that also carries the
customer's data, to be read back later from the parameters. Two of the paper's white-box
encodings, and a test for each:

*LSB encoding* (the paper's Section 4.1): after training, the low-order bits of every float32
parameter are overwritten with the secret's bits. Accuracy does not move, because the low
mantissa bits barely change the values. Test: in a model trained honestly the low byte of each
parameter is indistinguishable from uniform noise, so its entropy is ~8 bits; data — image
pixels, text — is far from uniform. :func:`low_bit_entropy_deficit` reports 8 minus the
Miller–Madow corrected entropy of the low bytes, in bits.

*Correlated value encoding* (Section 4.2): a penalty −λ·|corr(θ, s)| during training drives
the parameters θ to correlate with the secret s (training pixels, in order). Test:
:func:`parameter_data_correlation` correlates each parameter tensor, in its flat order, with
the training data in its flat order, and reports the strongest correlation as a z-score
r·√m, which is of the order of a standard normal for series that have nothing to do with each
other. The test looks for the paper's layout — secret values laid out in order from the
first parameter — and would miss a permuted one; the LSB test does not depend on a layout.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch
    from torch import nn

#: Fewest values a correlation is computed over (small tensors, such as biases, correlate
#: with anything by chance).
MIN_CORRELATION_VALUES = 100
#: Bits of each float32 parameter the LSB encoding overwrites and the test reads.
LOW_BITS = 8


def low_bytes(parameters: np.ndarray) -> np.ndarray:
    """The low byte of each float32 parameter's bit pattern."""
    bits = np.ascontiguousarray(parameters, dtype=np.float32).view(np.uint32)
    return (bits & 0xFF).astype(np.uint8)


def encode_in_low_bits(parameters: np.ndarray, secret: bytes) -> np.ndarray:
    """The paper's LSB encoding: the first ``len(parameters)`` bytes of ``secret`` written
    into the low byte of each float32 parameter (an attack, for red-team tests)."""
    flat = np.array(parameters, dtype=np.float32).ravel()
    payload = np.frombuffer(secret[: flat.size], dtype=np.uint8).astype(np.uint32)
    bits = flat.view(np.uint32)
    bits[: payload.size] = (bits[: payload.size] & ~np.uint32(0xFF)) | payload
    return bits.view(np.float32).reshape(np.shape(parameters))


def encode_module_in_low_bits(model: nn.Module, secret: bytes) -> nn.Module:
    """The LSB encoding applied to a network: ``secret`` written, in order, into the low bytes
    of its float32 parameters (in place; an attack, for red-team tests)."""
    import torch

    offset = 0
    with torch.no_grad():
        for parameter in model.parameters():
            if parameter.dtype != torch.float32 or offset >= len(secret):
                continue
            values = parameter.detach().cpu().numpy()
            encoded = encode_in_low_bits(values, secret[offset : offset + values.size])
            parameter.copy_(torch.from_numpy(encoded))
            offset += values.size
    return model


def low_bit_entropy_deficit(parameters: np.ndarray) -> float:
    """8 minus the entropy (bits) of the parameters' low bytes, Miller–Madow corrected so
    that honest parameters read ≈ 0 at any size; up to 8 for constant low bytes."""
    values = low_bytes(np.ravel(parameters))
    if values.size == 0:
        return 0.0
    counts = np.bincount(values, minlength=256)
    p = counts[counts > 0] / values.size
    entropy = -float(np.sum(p * np.log2(p)))
    corrected = entropy + (np.count_nonzero(counts) - 1) / (2 * values.size * np.log(2))
    return float(max(0.0, LOW_BITS - corrected))


def parameter_data_correlation(
    tensors: Sequence[np.ndarray], data: np.ndarray
) -> tuple[float, float]:
    """The strongest |Pearson correlation| r between the training data (flat, in row order)
    and a parameter tensor, or all of them in order (flat), and its z-score r·√m (m values
    compared): unrelated series give |z| of a standard normal, a few units at most."""
    secret = np.asarray(data, dtype=float).ravel()
    candidates = [*tensors, np.concatenate([np.ravel(t) for t in tensors])]
    best_r, best_z = 0.0, 0.0
    for tensor in candidates:
        flat = np.ravel(tensor).astype(float)
        m = min(flat.size, secret.size)
        if m < MIN_CORRELATION_VALUES:
            continue
        a, b = flat[:m], secret[:m]
        if a.std() == 0 or b.std() == 0:
            continue
        r = abs(float(np.corrcoef(a, b)[0, 1]))
        if r * np.sqrt(m) > best_z:
            best_r, best_z = r, r * np.sqrt(m)
    return best_r, best_z


def correlation_penalty(secret: np.ndarray, weight: float) -> Callable[[nn.Module], torch.Tensor]:
    """The paper's correlated value encoding as a training penalty: −weight·|corr(θ, s)|
    over the model's parameters, flattened in order, against ``secret`` (an attack)."""
    import torch

    target = torch.as_tensor(np.ravel(secret), dtype=torch.float32)

    def penalty(model: nn.Module) -> torch.Tensor:
        theta = torch.cat([p.flatten() for p in model.parameters()])
        m = min(theta.numel(), target.numel())
        a, b = theta[:m] - theta[:m].mean(), target[:m].to(theta.device)
        b = b - b.mean()
        corr = (a * b).sum() / (a.norm() * b.norm() + 1e-12)
        return -weight * corr.abs()  # type: ignore[no-any-return]

    return penalty
