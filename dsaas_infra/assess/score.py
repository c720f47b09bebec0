"""Score a complete set of assessment answers: a maturity level and a cloud, each with its reasons.

The level is a monotone function of the two axis scores: a more mature answer never gives a lower
level. Thresholds (axis scores 0-10, total 0-20):
- managed:   total >= 14, and at least 6 on each axis (established standards AND operated ML);
- proactive: total >= 7, and at least 2 on ML operations (some models exist to automate);
- reactive:  everything else (the study's level 2: storage, ETL, a place to explore, batch results).
A data score of 0-1 is below the study's level 2: DSaaS fits levels 2-4, so the advice is to start
reactive and collect data first.
"""

from __future__ import annotations

from dataclasses import dataclass

from dsaas_infra.assess.questions import BY_KEY, QUESTIONS
from dsaas_infra.errors import UsageError

MANAGED_TOTAL, MANAGED_AXIS = 14, 6
PROACTIVE_TOTAL, PROACTIVE_ML = 7, 2
BELOW_REACTIVE_DATA = 1

# Cloud advice: which end of each cloud question favours which cloud, and how strongly.
CLOUD_WEIGHTS = {"company_stage": 2, "team_skills": 2, "existing_systems": 2, "budget": 1}
CLOUD_REASONS = {
    ("company_stage", "aws"): "early-stage companies: AWS's flexible pricing and easy start (the study)",
    ("company_stage", "gcp"): "companies in expansion: GCP's AI/ML and analytics strength (the study)",
    ("team_skills", "aws"): "the team knows AWS",
    ("team_skills", "gcp"): "the team knows Google Cloud",
    ("existing_systems", "aws"): "existing systems run on AWS",
    ("existing_systems", "gcp"): "existing systems run on Google Cloud / BigQuery",
    ("budget", "aws"): "pay-as-you-go with the lowest start",
    ("budget", "gcp"): "budget aimed at analytics and AI",
}


@dataclass(frozen=True)
class Result:
    data_score: int
    ml_score: int
    level: str
    below_reactive: bool
    level_reasons: tuple[str, ...]
    cloud: str
    cloud_points: dict[str, int]
    cloud_reasons: tuple[str, ...]


def check_answers(answers: dict[str, str]) -> dict[str, str]:
    """Every question answered with one of its choices; nothing else. Raises UsageError."""
    unknown = sorted(set(answers) - set(BY_KEY))
    if unknown:
        raise UsageError(f"assessment: unknown question(s): {', '.join(unknown)}; known: {', '.join(BY_KEY)}")
    missing = [q.key for q in QUESTIONS if q.key not in answers]
    if missing:
        raise UsageError(f"assessment: unanswered question(s): {', '.join(missing)}")
    for key, value in answers.items():
        choices = [c.key for c in BY_KEY[key].choices]
        if value not in choices:
            raise UsageError(f"assessment: {key}: {value!r} is not one of {', '.join(choices)}")
    return {q.key: answers[q.key] for q in QUESTIONS}


def axis_score(answers: dict[str, str], axis: str) -> int:
    return sum(q.points(answers[q.key]) for q in QUESTIONS if q.axis == axis)


def level_for(data: int, ml: int) -> str:
    total = data + ml
    if total >= MANAGED_TOTAL and min(data, ml) >= MANAGED_AXIS:
        return "managed"
    if total >= PROACTIVE_TOTAL and ml >= PROACTIVE_ML:
        return "proactive"
    return "reactive"


def _level_reasons(data: int, ml: int, level: str) -> tuple[str, ...]:
    total = data + ml
    reasons = [f"data management {data}/10, ML operations {ml}/10 (total {total}/20)"]
    if level == "managed":
        reasons.append(
            f"managed: total >= {MANAGED_TOTAL} with at least {MANAGED_AXIS} on each axis "
            "(standards established, models operated: scale, monitor for drift, A/B, HA)"
        )
    elif level == "proactive":
        reasons.append(
            f"proactive: total >= {PROACTIVE_TOTAL} with ML operations >= {PROACTIVE_ML} "
            "(a data culture is emerging: automate the pipeline, registry, real-time API)"
        )
        if total >= MANAGED_TOTAL:
            reasons.append(f"not managed: an axis is below {MANAGED_AXIS}")
        else:
            reasons.append(f"not managed: total below {MANAGED_TOTAL}")
    else:
        reasons.append(
            "reactive: storage, ETL, a workspace to explore and train, batch results, lowest cost"
        )
        if ml < PROACTIVE_ML:
            reasons.append(f"not proactive: ML operations below {PROACTIVE_ML}")
        else:
            reasons.append(f"not proactive: total below {PROACTIVE_TOTAL}")
    if data <= BELOW_REACTIVE_DATA:
        reasons.append(
            "data management is below the study's level 2: DSaaS fits levels 2-4; start reactive "
            "and collect data before investing further"
        )
    return tuple(reasons)


def cloud_for(answers: dict[str, str]) -> tuple[str, dict[str, int], tuple[str, ...]]:
    points = {"aws": 0, "gcp": 0}
    reasons: list[str] = []
    for key, weight in CLOUD_WEIGHTS.items():
        position = BY_KEY[key].points(answers[key])
        side = {0: "aws", 2: "gcp"}.get(position)
        if side:
            points[side] += weight
            reasons.append(f"{side.upper()} +{weight}: {CLOUD_REASONS[(key, side)]}")
    if points["gcp"] > points["aws"]:
        cloud = "gcp"
    else:
        cloud = "aws"
        if points["gcp"] == points["aws"]:
            reasons.append("a tie goes to AWS: the study's advice for an easy, flexible start")
    return cloud, points, tuple(reasons)


def assess(answers: dict[str, str]) -> Result:
    answers = check_answers(answers)
    data, ml = axis_score(answers, "data"), axis_score(answers, "ml")
    level = level_for(data, ml)
    cloud, points, cloud_reasons = cloud_for(answers)
    return Result(
        data_score=data,
        ml_score=ml,
        level=level,
        below_reactive=data <= BELOW_REACTIVE_DATA,
        level_reasons=_level_reasons(data, ml, level),
        cloud=cloud,
        cloud_points=points,
        cloud_reasons=cloud_reasons,
    )
