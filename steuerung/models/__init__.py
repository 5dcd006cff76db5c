"""All models; importing this package registers every table on ``Base.metadata``."""

from steuerung.models.agenda import ActionField, Agenda, AgendaStatus, Goal
from steuerung.models.api import ApiToken
from steuerung.models.audit import AuditEntry, ChangeRequest, ChangeRequestStatus
from steuerung.models.base import Base
from steuerung.models.budget import (
    BudgetAmount,
    BudgetKind,
    BudgetLine,
    CommitmentAuthorization,
    CostPlanEntry,
    CoverageRing,
    CoverageRingMember,
    FundingSource,
)
from steuerung.models.jobs import DataGeneration, Job, JobStatus
from steuerung.models.maturity import (
    RATING_LABELS,
    MaturityAssessment,
    MaturityRating,
    MaturityStatement,
    MaturityTopic,
)
from steuerung.models.measure import (
    STATUS_LABELS,
    KeyFigure,
    KeyFigureValue,
    Measure,
    MeasureCategory,
    MeasureComment,
    MeasureKind,
    MeasureStatus,
    Milestone,
    OzgImplementation,
    StatusChange,
    StatusReport,
    TrafficLight,
    measure_dependencies,
    measure_goals,
)
from steuerung.models.notification import NotificationLog, NotificationStatus
from steuerung.models.organisation import Department, Role, User
from steuerung.models.scoring import BudgetScenario, CriterionKind, Score, ScoringCriterion
from steuerung.models.settings import PLANNING_YEARS, Settings

__all__ = [
    "PLANNING_YEARS",
    "RATING_LABELS",
    "STATUS_LABELS",
    "ActionField",
    "Agenda",
    "AgendaStatus",
    "ApiToken",
    "AuditEntry",
    "Base",
    "BudgetAmount",
    "BudgetKind",
    "BudgetLine",
    "BudgetScenario",
    "ChangeRequest",
    "ChangeRequestStatus",
    "CommitmentAuthorization",
    "CostPlanEntry",
    "CoverageRing",
    "CoverageRingMember",
    "CriterionKind",
    "DataGeneration",
    "Department",
    "FundingSource",
    "Goal",
    "Job",
    "JobStatus",
    "KeyFigure",
    "KeyFigureValue",
    "MaturityAssessment",
    "MaturityRating",
    "MaturityStatement",
    "MaturityTopic",
    "Measure",
    "MeasureCategory",
    "MeasureComment",
    "MeasureKind",
    "MeasureStatus",
    "Milestone",
    "NotificationLog",
    "NotificationStatus",
    "OzgImplementation",
    "Role",
    "Score",
    "ScoringCriterion",
    "Settings",
    "StatusChange",
    "StatusReport",
    "TrafficLight",
    "User",
    "measure_dependencies",
    "measure_goals",
]
