"""The maturity self-assessment: one table of questions, their choices and what each choice scores.

Two axes decide the level, as in the study's data-maturity scale (Gartner's enterprise information
management model: 2 reactive, 3 proactive, 4 managed) and the published ML-maturity models
(Google's MLOps levels 0-2, Microsoft's MLOps maturity model 0-4):
- ``data``: how the company collects, manages and uses its data;
- ``ml``: how models are built, shipped, consumed and watched.
A third group, ``cloud``, does not change the level: it feeds the study's cloud advice (AWS for
early-stage companies: flexible pricing, easy start; GCP for companies in expansion: AI/ML and
analytics strength; weighed with team skills, existing systems and budget).

Choices are ordered from least to most mature and score 0, 1, 2: a more mature answer never scores
less (the mapping to a level is monotone, see ``score.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Axis = Literal["data", "ml", "cloud"]


@dataclass(frozen=True)
class Choice:
    key: str
    text: str


@dataclass(frozen=True)
class Question:
    key: str
    axis: Axis
    text: str
    choices: tuple[Choice, ...]  # data/ml: least to most mature, scoring 0, 1, 2

    def choice(self, key: str) -> Choice:
        for c in self.choices:
            if c.key == key:
                return c
        raise KeyError(key)

    def points(self, key: str) -> int:
        return [c.key for c in self.choices].index(key)


def _q(key: str, axis: Axis, text: str, *choices: tuple[str, str]) -> Question:
    return Question(key, axis, text, tuple(Choice(k, t) for k, t in choices))


QUESTIONS: tuple[Question, ...] = (
    # Data management (the study: reactive collects data but struggles to turn it into insight;
    # proactive has information-management systems; managed has standards and policies).
    _q(
        "data_storage", "data",
        "Where does the company's business data live today?",
        ("scattered", "spreadsheets, exports and mailboxes"),
        ("systems", "in business systems (CRM, ERP, shop), each on its own"),
        ("consolidated", "consolidated in a warehouse or data lake with named owners"),
    ),
    _q(
        "data_pipelines", "data",
        "How is data collected and prepared for analysis?",
        ("manual", "by hand, when someone needs it"),
        ("scheduled", "some scheduled scripts or jobs"),
        ("automated", "automated, monitored pipelines"),
    ),
    _q(
        "data_governance", "data",
        "Are there data-quality standards and data owners?",
        ("none", "no"),
        ("informal", "some rules, informal ownership"),
        ("policies", "documented standards, policies and owners"),
    ),
    _q(
        "data_decisions", "data",
        "How are business decisions informed by data?",
        ("adhoc", "rarely: occasional reports"),
        ("reports", "regular reports and dashboards"),
        ("kpis", "data-driven KPIs across the business, analytics used to optimise"),
    ),
    _q(
        "data_compliance", "data",
        "How strict are security and compliance requirements on the data?",
        ("basic", "basic: nothing regulated"),
        ("some", "some personal or regulated data"),
        ("strict", "strict: audits, long retention, separation of duties"),
    ),
    # ML operations (Google MLOps level 0 manual -> 1 pipeline automation -> 2 CI/CD; Microsoft:
    # no MLOps -> DevOps without MLOps -> automated training -> automated deployment -> full).
    _q(
        "ml_models", "ml",
        "Does the company use predictive models today?",
        ("none", "not yet"),
        ("experiments", "a few, built by hand in notebooks"),
        ("production", "several models in production"),
    ),
    _q(
        "ml_training", "ml",
        "How are models trained and released?",
        ("manual", "manually, from notebooks (MLOps level 0)"),
        ("pipeline", "by an automated training pipeline with a model registry (level 1)"),
        ("cicd", "pipelines themselves built and tested by CI/CD, retraining on triggers (level 2)"),
    ),
    _q(
        "ml_consumption", "ml",
        "How do applications use the predictions?",
        ("batch", "batch files or reports"),
        ("api", "an API for a few internal applications"),
        ("realtime", "real-time APIs with SLAs for many consumers"),
    ),
    _q(
        "ml_monitoring", "ml",
        "How are models watched once deployed?",
        ("none", "they are not"),
        ("health", "errors and latency"),
        ("drift", "data and prediction drift with alerts, dashboards"),
    ),
    _q(
        "ml_experiments", "ml",
        "How are new model versions compared with the current one?",
        ("none", "they are not compared"),
        ("offline", "offline metrics before release"),
        ("ab", "A/B tests on live traffic (champion/challenger)"),
    ),
    # Cloud advice (never changes the level).
    _q(
        "company_stage", "cloud",
        "Which stage is the company in?",
        ("early", "early stage: small, cost-sensitive, wants an easy start"),
        ("stable", "established and stable"),
        ("expansion", "in expansion: scaling analytics and AI"),
    ),
    _q(
        "team_skills", "cloud",
        "Which cloud does the team (or its partner) know best?",
        ("aws", "AWS"),
        ("neither", "neither, or both equally"),
        ("gcp", "Google Cloud"),
    ),
    _q(
        "existing_systems", "cloud",
        "Where do the company's existing systems run?",
        ("aws", "on AWS"),
        ("other", "on premises or elsewhere"),
        ("gcp", "on Google Cloud or Google Workspace / BigQuery"),
    ),
    _q(
        "budget", "cloud",
        "What matters most in the budget?",
        ("flexible", "flexible pay-as-you-go pricing, lowest start"),
        ("balanced", "balanced"),
        ("analytics", "investing in analytics and AI capabilities"),
    ),
)

BY_KEY = {q.key: q for q in QUESTIONS}
