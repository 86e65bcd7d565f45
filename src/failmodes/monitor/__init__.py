"""Indicators over production data, built to run anywhere: mergeable summaries and the drift
tests computed from them.

:mod:`failmodes.monitor.summaries` reduces a table, chunk by chunk, to summaries that merge
associatively; :mod:`failmodes.monitor.drift` compares two summaries feature by feature and
as a whole. A process, a thread pool or a distributed engine can summarize partitions
independently and merge the results in any order.
"""

from __future__ import annotations

from failmodes.monitor.drift import DomainTest, FeatureDrift, compare, domain_classifier_test
from failmodes.monitor.summaries import ColumnSpec, Summary, SummarySpec, merge, summarize

__all__ = [
    "ColumnSpec",
    "DomainTest",
    "FeatureDrift",
    "Summary",
    "SummarySpec",
    "compare",
    "domain_classifier_test",
    "merge",
    "summarize",
]
