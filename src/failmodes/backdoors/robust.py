"""The robust outlier statistic the backdoor detectors share.

Neural Cleanse (Wang et al., IEEE S&P 2019) calls a class anomalous when its statistic lies far
from the others' median in units of the median absolute deviation, scaled by 1.4826 so that it
estimates a standard deviation for normal data; an index above 2 marks an outlier with
> 95 % probability under that assumption. The index is read in one direction: a smaller
trigger, or a more concentrated spectrum, than the median is the suspicious side.
"""

from __future__ import annotations

import numpy as np

#: Scale that makes the MAD a consistent estimator of the standard deviation (normal data).
MAD_TO_SIGMA = 1.4826
#: Conventional cut-off of the anomaly index.
ANOMALY_CUTOFF = 2.0


def anomaly_index(values: np.ndarray, *, low_is_suspicious: bool) -> np.ndarray:
    """Per value, its distance from the median in robust standard deviations, signed so that
    the suspicious side is positive."""
    values = np.asarray(values, dtype=float)
    median = np.median(values)
    mad = MAD_TO_SIGMA * np.median(np.abs(values - median))
    spread = mad if mad > 0 else max(float(np.std(values)), 1e-12)
    deviation = (median - values) if low_is_suspicious else (values - median)
    return np.asarray(deviation / spread)
