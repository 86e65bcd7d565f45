"""The system profile: the facts about one ML system that the threat model reasons over.

Every field is optional except ``name``. A fact the user leaves out takes a *conservative*
default — the value that assumes more exposure, not less — so that an incomplete profile
over-reports rather than hides a failure mode. The threat model lists those assumed facts,
so the owner knows which answers would sharpen it. The defaults are documented on each field
and in ``docs/profile.md``.

Enumerations are closed on purpose: ``modality: imgae`` is an error naming the allowed
values, not a silently unknown modality.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

PROFILE_SCHEMA_VERSION = 1


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=False)


class Task(StrEnum):
    CLASSIFICATION = "classification"
    REGRESSION = "regression"
    RANKING = "ranking"
    RECOMMENDATION = "recommendation"
    DETECTION = "detection"
    SEGMENTATION = "segmentation"
    ANOMALY_DETECTION = "anomaly_detection"
    FORECASTING = "forecasting"
    CLUSTERING = "clustering"
    GENERATION = "generation"
    CONTROL = "control"


class Modality(StrEnum):
    TABULAR = "tabular"
    IMAGE = "image"
    VIDEO = "video"
    AUDIO = "audio"
    TEXT = "text"
    TIME_SERIES = "time_series"
    GRAPH = "graph"
    BINARY = "binary"
    SENSOR = "sensor"


class Paradigm(StrEnum):
    SUPERVISED = "supervised"
    SEMI_SUPERVISED = "semi_supervised"
    UNSUPERVISED = "unsupervised"
    SELF_SUPERVISED = "self_supervised"
    REINFORCEMENT = "reinforcement"


class DataSource(StrEnum):
    INTERNAL = "internal"
    USER_GENERATED = "user_generated"
    PUBLIC_WEB = "public_web"
    THIRD_PARTY_VENDOR = "third_party_vendor"
    CROWDSOURCED_LABELS = "crowdsourced_labels"
    SYNTHETIC = "synthetic"


class Cadence(StrEnum):
    NEVER = "never"
    YEARLY = "yearly"
    QUARTERLY = "quarterly"
    MONTHLY = "monthly"
    WEEKLY = "weekly"
    DAILY = "daily"
    CONTINUOUS = "continuous"


class Party(StrEnum):
    IN_HOUSE = "in_house"
    THIRD_PARTY = "third_party"


class ModelOrigin(StrEnum):
    IN_HOUSE = "in_house"
    THIRD_PARTY_PRETRAINED = "third_party_pretrained"
    FINE_TUNED = "fine_tuned"


class ArtifactFormat(StrEnum):
    PICKLE = "pickle"
    JOBLIB = "joblib"
    TORCH = "torch"
    TORCHSCRIPT = "torchscript"
    SAFETENSORS = "safetensors"
    ONNX = "onnx"
    KERAS = "keras"
    HDF5 = "hdf5"
    TENSORFLOW = "tensorflow"
    TFLITE = "tflite"
    SKOPS = "skops"
    NUMPY = "numpy"
    GGUF = "gguf"
    OTHER = "other"


class Level(StrEnum):
    """An ordinal level, used for business impact and intellectual-property value."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class Exposure(StrEnum):
    PUBLIC = "public"
    AUTHENTICATED_CUSTOMERS = "authenticated_customers"
    INTERNAL = "internal"
    ON_DEVICE = "on_device"
    BATCH = "batch"


class Output(StrEnum):
    LABEL = "label"
    TOP_K = "top_k"
    SCORES = "scores"
    EMBEDDINGS = "embeddings"
    GENERATED_CONTENT = "generated_content"
    EXPLANATIONS = "explanations"


class InputSource(StrEnum):
    END_USERS = "end_users"
    PUBLIC = "public"
    PHYSICAL_WORLD_SENSORS = "physical_world_sensors"
    INTERNAL_SYSTEMS = "internal_systems"
    THIRD_PARTY_FEEDS = "third_party_feeds"


class Learning(_Strict):
    """How the model learns."""

    paradigm: Paradigm = Field(
        Paradigm.SUPERVISED, description="Learning paradigm. Default: supervised."
    )
    online: bool = Field(
        False,
        description="Learns continually from new data while in service (online or continual "
        "learning). Default: false, unless retraining is continuous.",
    )


class TrainingData(_Strict):
    """Where the training data comes from and what it holds."""

    sources: list[DataSource] = Field(
        default_factory=lambda: [DataSource.PUBLIC_WEB],
        description="Where training data comes from. Default (conservative): public_web, "
        "the source an outsider can influence most easily.",
    )
    personal_data: bool = Field(
        True, description="Holds personal data. Default (conservative): true."
    )
    sensitive_data: bool = Field(
        False,
        description="Holds special-category or otherwise sensitive data (health, finance, "
        "biometrics). Default: false.",
    )
    retraining: Cadence = Field(
        Cadence.MONTHLY, description="How often the model is retrained. Default: monthly."
    )
    from_production_feedback: bool = Field(
        True,
        description="Retrained on data gathered in production (clicks, user reports, outcomes). "
        "Default (conservative): true.",
    )


class ModelFacts(_Strict):
    """Who makes the model and how it is shipped."""

    trained_by: Party = Field(Party.IN_HOUSE, description="Who runs training. Default: in_house.")
    origin: ModelOrigin = Field(
        ModelOrigin.FINE_TUNED,
        description="Where the model comes from. Default (conservative): fine_tuned, i.e. "
        "built on a third-party pretrained model.",
    )
    formats: list[ArtifactFormat] = Field(
        default_factory=lambda: [ArtifactFormat.PICKLE],
        description="File formats the model is stored and shipped in. Default "
        "(conservative): pickle, the format that can run code when loaded.",
    )
    weights_public: bool = Field(
        False,
        description="Weights are published or extractable (e.g. shipped in an app). "
        "Default: false.",
    )
    ip_value: Level = Field(
        Level.HIGH,
        description="Value of the model itself as intellectual property. Default: high.",
    )


class QueryLimits(_Strict):
    """Limits on how much one client can query the model."""

    rate_limited: bool = Field(
        False, description="A per-client rate limit or quota is enforced. Default: false."
    )
    max_queries_per_day: Annotated[int, Field(ge=1)] | None = Field(
        None, description="Per-client query quota per day, if there is one."
    )


class Deployment(_Strict):
    """How the model meets the world."""

    exposure: Exposure = Field(
        Exposure.PUBLIC, description="Who can send it inputs. Default (conservative): public."
    )
    outputs: list[Output] = Field(
        default_factory=lambda: [Output.SCORES],
        description="What a caller gets back. Default (conservative): scores.",
    )
    query_limits: QueryLimits = Field(default_factory=QueryLimits)
    inputs_from: list[InputSource] = Field(
        default_factory=lambda: [InputSource.PUBLIC],
        description="Where its inputs come from. Default (conservative): public.",
    )
    acts_without_human_review: bool = Field(
        True,
        description="Its outputs act on the world (block, approve, steer, buy) with no person "
        "in the loop. Default (conservative): true.",
    )
    environment_changes: bool = Field(
        True,
        description="The world it works in changes over time (users, products, fraud "
        "patterns, seasons). Default (conservative): true.",
    )
    safety_critical: bool = Field(
        False,
        description="A wrong output can hurt people physically. Default: false.",
    )


class BusinessImpact(_Strict):
    """What losing each property of the system would cost the business."""

    confidentiality: Level = Field(Level.HIGH, description="Default: high.")
    integrity: Level = Field(Level.HIGH, description="Default: high.")
    availability: Level = Field(Level.MEDIUM, description="Default: medium.")
    safety: Level = Field(Level.MEDIUM, description="Default: medium.")


class DataFiles(_Strict):
    """Data files for the probes, relative to the profile's folder."""

    train: str | None = Field(None, description="Training data (members).")
    test: str | None = Field(None, description="Held-out data the model never saw.")
    reference: str | None = Field(
        None, description="Reference data for drift: what the model was validated on."
    )
    production: str | None = Field(None, description="A recent sample of production inputs.")


class EndpointAuth(_Strict):
    """The endpoint's credential, named here and read from the environment when a scan starts,
    so that no profile, assessment, report or log ever holds it."""

    env: str = Field(
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
        description="Environment variable that holds the credential (e.g. FRAUD_API_TOKEN).",
    )
    header: str = Field(
        "Authorization",
        pattern=r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$",
        description="Request header that carries it (e.g. Authorization, X-API-Key).",
    )
    scheme: str | None = Field(
        None,
        pattern=r"^[A-Za-z0-9._~+/-]+$",
        description="Written before the value, as in `Authorization: Bearer <value>`.",
    )


PythonName = Annotated[
    str,
    Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*$"),
]


class Agent(_Strict):
    """An agent acting in a Gymnasium environment, for the reinforcement-learning probes."""

    environment: str = Field(
        min_length=1,
        description="Gymnasium environment id, e.g. failmodes/BoatRace-v0 (the shipped "
        "gridworlds) or one your installed packages register.",
    )
    policy: PythonName = Field(
        description="The agent as module:attribute, a function from an observation to an "
        "action. Importing it runs its module's code: outside failmodes it needs "
        "--trust-model.",
    )
    episodes: Annotated[int, Field(ge=1, le=10_000)] = Field(
        10, description="Episodes to run. Default: 10."
    )
    max_steps: Annotated[int, Field(ge=1, le=1_000_000)] | None = Field(
        None, description="Steps per episode at most. Default: the environment's own limit."
    )
    true_measure: str = Field(
        "true_reward",
        min_length=1,
        description="Key of the step `info` that holds the true-performance measure (what the "
        "reward is meant to pay for). Default: true_reward.",
    )
    noop_action: int | None = Field(
        None,
        description="The action that does nothing, for inaction baselines. Default: the "
        "environment's `noop_action` attribute.",
    )


class TorchModel(_Strict):
    """How to load and feed a PyTorch model (``target.model`` is its file). Without
    ``architecture`` the file is TorchScript; with it, a ``state_dict``. Either way the
    model-file scanner reads the file first and a flagged file is refused unless trusted."""

    input_shape: list[Annotated[int, Field(ge=1)]] = Field(
        min_length=1,
        description="Shape of one input as the model takes it, channels first (e.g. [1, 8, 8]).",
    )
    value_range: tuple[float, float] = Field(
        (0.0, 1.0), description="Valid [min, max] of raw inputs; attacks stay inside it."
    )
    mean: list[float] | None = Field(
        None,
        description="Per-channel mean subtracted inside the model (one value or one per channel).",
    )
    std: list[float] | None = Field(
        None, description="Per-channel standard deviation divided by inside the model."
    )
    architecture: PythonName | None = Field(
        None,
        description="`module:attribute` of a class or function, called with no arguments, that "
        "builds the network the state_dict file fills. IMPORTS THAT MODULE (user code), "
        "looked up first in the profile's folder; outside failmodes it needs --trust-model.",
    )
    training_function: PythonName | None = Field(
        None,
        description="`module:attribute` of `train(X, y, seed) -> nn.Module`, for probes that "
        "train fresh copies. IMPORTS THAT MODULE (user code); outside failmodes it needs "
        "--trust-model.",
    )
    embedding_layer: str | None = Field(
        None,
        description="Name of the layer (as in `named_modules()`) whose output is the embedding.",
    )
    classes: list[int | str] | None = Field(
        None, description="Labels of the model's outputs, in order. Default: 0 … k-1."
    )
    batch_size: int = Field(
        512, ge=1, description="Inputs per forward pass (halved on GPU out of memory)."
    )


class Target(_Strict):
    """The model and data the probes run against. Optional: without it, the threat model is
    assessed on paper only."""

    model: str | None = Field(None, description="Model file, relative to the profile's folder.")
    endpoint: str | None = Field(None, description="URL of a JSON-over-HTTP prediction endpoint.")
    agent: Agent | None = Field(
        None, description="An agent and its environment, for reinforcement-learning probes."
    )
    auth: EndpointAuth | None = Field(
        None, description="A credential the endpoint needs, read from an environment variable."
    )
    torch: TorchModel | None = Field(
        None, description="The model file is a PyTorch model: how to load and feed it."
    )
    data: DataFiles = Field(default_factory=DataFiles)
    label_column: str | None = Field(None, description="Name of the label column.")
    feature_types: dict[
        str, Annotated[str, Field(pattern="^(numeric|integer|categorical|binary)$")]
    ] = Field(
        default_factory=dict,
        description="Type of each feature that is not plainly numeric: integer, categorical, "
        "binary.",
    )
    immutable_features: list[str] = Field(
        default_factory=list,
        description="Features an attacker cannot change (e.g. age, account age).",
    )
    ranges: dict[str, tuple[float, float]] = Field(
        default_factory=dict, description="Valid [min, max] of numeric features."
    )
    sensitive_attribute: str | None = Field(
        None, description="A column the model must not leak (for attribute inference)."
    )
    protected_attribute: str | None = Field(
        None,
        description="A feature column that holds a protected characteristic (sex, age band, "
        "ethnicity …); the group_fairness probe compares the model's decisions across its "
        "groups.",
    )

    @model_validator(mode="after")
    def _auth_needs_an_endpoint(self) -> Target:
        if self.auth is not None and self.endpoint is None:
            raise ValueError("`auth` is a credential for `endpoint`; name the endpoint too")
        return self

    @model_validator(mode="after")
    def _torch_needs_a_model(self) -> Target:
        if self.torch is not None and self.model is None:
            raise ValueError("`torch` says how to load `model`; name the model file too")
        return self


class Decision(StrEnum):
    MITIGATE = "mitigate"
    ACCEPT = "accept"
    TRANSFER = "transfer"
    NOT_APPLICABLE = "not_applicable"


class Residual(_Strict):
    likelihood: Annotated[int, Field(ge=1, le=5)] | None = None
    impact: Annotated[int, Field(ge=1, le=5)] | None = None


class DecisionRecord(_Strict):
    """An owner's decision on one failure mode."""

    decision: Decision
    owner: str = Field(min_length=1)
    rationale: str = Field(min_length=1)
    mitigations_in_place: list[str] = Field(default_factory=list)
    residual: Residual | None = Field(
        None,
        description="Residual likelihood and impact after the decision. When left out, "
        "`mitigate` lowers likelihood by one per mitigation in place (at most two), "
        "`transfer` lowers impact by one, and `accept` keeps the inherent risk.",
    )
    review_by: str | None = Field(None, description="Date (YYYY-MM-DD) to revisit it.")


RiskLevelName = Annotated[str, Field(pattern="^(low|medium|high|critical)$")]


class RiskSettings(_Strict):
    """The organization's risk appetite, for this system."""

    tolerance: RiskLevelName | None = Field(
        None,
        description="Highest risk level accepted without a decision; above it the threat "
        "model asks for one. Overrides the catalog's.",
    )
    matrix: list[list[RiskLevelName]] | None = Field(
        None,
        description="5×5 risk matrix: row i is likelihood i+1, column j is impact j+1. "
        "Overrides the catalog's.",
    )


class MetricThreshold(_Strict):
    """A team's own threshold for one metric, overriding the catalog's."""

    direction: Annotated[str, Field(pattern="^(above|below)$")] | None = Field(
        None, description="Which side is bad; default: the catalog's direction for the metric."
    )
    warn: float | None = None
    fail: float | None = None


class Profile(_Strict):
    """One ML system, described in facts."""

    schema_version: int = Field(PROFILE_SCHEMA_VERSION, description="Profile format version.")
    name: str = Field(min_length=1, description="Name of the system.")
    owner: str | None = Field(None, description="Team or person accountable for it.")
    description: str | None = Field(None, description="What it does, in a sentence or two.")
    task: Task = Field(
        Task.CLASSIFICATION, description="What the model does. Default: classification."
    )
    modalities: list[Modality] = Field(
        default_factory=lambda: [Modality.TABULAR],
        min_length=1,
        description="Kinds of input data. Default: tabular.",
    )
    learning: Learning = Field(default_factory=Learning)
    training_data: TrainingData = Field(default_factory=TrainingData)
    model: ModelFacts = Field(default_factory=ModelFacts)
    deployment: Deployment = Field(default_factory=Deployment)
    business_impact: BusinessImpact = Field(default_factory=BusinessImpact)
    dependencies: list[str] = Field(
        default_factory=list,
        description="Dependency files (requirements.txt, pyproject.toml, lock files), "
        "relative to the profile's folder.",
    )
    target: Target | None = None
    risk: RiskSettings = Field(default_factory=RiskSettings)
    decisions: dict[str, DecisionRecord] = Field(
        default_factory=dict, description="Decisions per failure mode id."
    )
    thresholds: dict[str, MetricThreshold] = Field(
        default_factory=dict,
        description="Thresholds per metric id (`mia_auc`) or per mode and metric "
        "(`membership_inference.mia_auc`), overriding the catalog's.",
    )

    _source: Path | None = PrivateAttr(None)

    @property
    def source(self) -> Path | None:
        """The file this profile was loaded from; relative paths in it resolve against it."""
        return self._source

    def resolve(self, relative: str) -> Path:
        """A path named in the profile, resolved against the profile's folder."""
        base = self._source.parent if self._source is not None else Path.cwd()
        return (base / relative).resolve()
