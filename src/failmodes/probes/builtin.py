"""Every built-in probe, listed in one place (third-party probes use the entry-point group)."""

from __future__ import annotations

from failmodes.probes.artifact_provenance import ArtifactProvenance
from failmodes.probes.backdoor import BackdoorProbe
from failmodes.probes.base import Probe
from failmodes.probes.common_corruption import CommonCorruption
from failmodes.probes.dependency_audit import DependencyAudit
from failmodes.probes.distributional_shift import DistributionalShiftProbe
from failmodes.probes.group_fairness import GroupFairness
from failmodes.probes.incomplete_testing import IncompleteTesting
from failmodes.probes.malicious_ml_provider import MaliciousMLProvider
from failmodes.probes.membership_inference import MembershipInferenceProbe
from failmodes.probes.model_file_scan import ModelFileScan
from failmodes.probes.model_inversion import ModelInversionProbe
from failmodes.probes.model_stealing import ModelStealingProbe
from failmodes.probes.natural_adversarial_examples import NaturalAdversarialExamples
from failmodes.probes.neural_net_reprogramming import NeuralNetReprogramming
from failmodes.probes.perturbation_attack import PerturbationAttackProbe
from failmodes.probes.physical_adversarial_example import PhysicalAdversarialExampleProbe
from failmodes.probes.poisoning_attack import PoisoningAttackProbe
from failmodes.probes.reward_hacking import RewardHacking
from failmodes.probes.side_effects import SideEffects
from failmodes.probes.white_box_attack import WhiteBoxAttackProbe

BUILTIN_PROBES: tuple[type[Probe], ...] = (
    ArtifactProvenance,
    BackdoorProbe,
    CommonCorruption,
    DependencyAudit,
    DistributionalShiftProbe,
    GroupFairness,
    IncompleteTesting,
    MaliciousMLProvider,
    MembershipInferenceProbe,
    ModelFileScan,
    ModelInversionProbe,
    ModelStealingProbe,
    NaturalAdversarialExamples,
    NeuralNetReprogramming,
    PerturbationAttackProbe,
    PhysicalAdversarialExampleProbe,
    PoisoningAttackProbe,
    RewardHacking,
    SideEffects,
    WhiteBoxAttackProbe,
)
