"""The assessment: measuring a system, judging the result, and comparing two results.

``scan`` turns a threat model into measured evidence (the :class:`Assessment`), ``gate`` judges
an assessment against the organization's release policy, and ``diff`` says what changed between
two assessments of the same system. Only the result type is imported here, so that reading an
assessment never pulls in the probes.
"""

from failmodes.assessment.model import Assessment

__all__ = ["Assessment"]
