"""Everyday input corruptions at graded severities, for the ``common_corruption`` probe.

Three small modules, one per kind of input, each a table of named corruptions that take the
input, a severity from 1 (mild) to 5 (severe) and a random generator, and return a corrupted
copy of the same shape and type:

- :mod:`failmodes.corruptions.image` — noise, blur, brightness, contrast, JPEG and pixelation,
  after ImageNet-C (Hendrycks and Dietterich, ICLR 2019);
- :mod:`failmodes.corruptions.tabular` — noise scaled to each feature's spread, missing
  values, unit errors and category typos, the faults of real data feeds;
- :mod:`failmodes.corruptions.text` — typos, case, whitespace and punctuation, the
  invariance tests of CheckList (Ribeiro et al., ACL 2020).

Nothing here queries a model: corruption is data in, data out, deterministic for a seed.
"""

from __future__ import annotations

from failmodes.errors import InputError

#: Severities every corruption accepts, mildest first.
SEVERITIES = (1, 2, 3, 4, 5)


def check_severity(severity: int) -> int:
    """``severity`` as an index into a five-level table, or a clear error."""
    if severity not in SEVERITIES:
        raise InputError(f"severity must be one of 1–5, got {severity!r}")
    return severity - 1
