"""Threat modeling: which failure modes apply to a system, why, and how much risk they carry."""

from failmodes.threatmodel.engine import threat_model
from failmodes.threatmodel.evaluate import Reason
from failmodes.threatmodel.model import AppliedFactor, ModeAssessment, RiskScore, ThreatModel

__all__ = ["AppliedFactor", "ModeAssessment", "Reason", "RiskScore", "ThreatModel", "threat_model"]
