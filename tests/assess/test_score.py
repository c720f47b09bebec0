"""The self-assessment: every combination of answers maps to a level, monotonically."""

from __future__ import annotations

import itertools

import pytest

from dsaas_infra.assess.questions import QUESTIONS
from dsaas_infra.assess.score import assess, check_answers, cloud_for, level_for
from dsaas_infra.errors import UsageError

ORDER = {"reactive": 0, "proactive": 1, "managed": 2}
LEVEL_QS = [q for q in QUESTIONS if q.axis in ("data", "ml")]
CLOUD_QS = [q for q in QUESTIONS if q.axis == "cloud"]


def _answers(level_choice: tuple[int, ...], cloud_choice: tuple[int, ...] = (1, 1, 1, 1)) -> dict[str, str]:
    out = {q.key: q.choices[i].key for q, i in zip(LEVEL_QS, level_choice, strict=True)}
    out.update({q.key: q.choices[i].key for q, i in zip(CLOUD_QS, cloud_choice, strict=True)})
    return out


def test_every_level_combination_gives_a_level_and_more_mature_never_lowers_it():
    """All 3^10 combinations of the level questions, each checked against every one-step raise."""
    n = len(LEVEL_QS)
    assert n == 10 and all(len(q.choices) == 3 for q in LEVEL_QS)
    data_axis = [q.axis == "data" for q in LEVEL_QS]
    levels = {}
    for combo in itertools.product(range(3), repeat=n):
        data = sum(c for c, is_data in zip(combo, data_axis, strict=True) if is_data)
        ml = sum(combo) - data
        levels[combo] = ORDER[level_for(data, ml)]
    assert set(levels.values()) == {0, 1, 2}  # every level is reachable
    for combo, level in levels.items():
        for i, choice in enumerate(combo):
            if choice < 2:
                raised = combo[:i] + (choice + 1,) + combo[i + 1:]
                assert levels[raised] >= level, (combo, raised)


def test_assess_agrees_with_the_axis_scoring_on_samples_of_the_full_questionnaire():
    # The enumeration above uses level_for on sums; assess() must score the same way end to end.
    for combo in [(0,) * 10, (2,) * 10, (1,) * 10, (2, 2, 2, 2, 2, 0, 0, 0, 0, 0), (0, 0, 0, 0, 0, 2, 2, 2, 2, 2),
                  (2, 1, 1, 1, 1, 1, 1, 1, 1, 1), (2, 2, 1, 1, 0, 2, 1, 1, 1, 1)]:
        result = assess(_answers(combo))
        data, ml = sum(combo[:5]), sum(combo[5:])
        assert (result.data_score, result.ml_score) == (data, ml)
        assert result.level == level_for(data, ml)


@pytest.mark.parametrize("combo, level", [
    ((0,) * 10, "reactive"),
    ((2,) * 10, "managed"),
    ((1,) * 10, "proactive"),
    ((2, 2, 2, 2, 2, 0, 0, 0, 0, 0), "reactive"),  # great data, no ML yet: nothing to automate
    ((1, 1, 1, 1, 1, 2, 2, 2, 2, 2), "proactive"),  # ML ahead of data standards: not managed
    ((2, 2, 2, 1, 1, 2, 2, 1, 1, 1), "managed"),  # total 15, both axes >= 6
])
def test_levels_of_typical_clients(combo, level):
    result = assess(_answers(combo))
    assert result.level == level
    assert result.level_reasons[0].startswith(f"data management {sum(combo[:5])}/10")


def test_below_level_two_is_flagged():
    result = assess(_answers((0, 1, 0, 0, 0, 0, 0, 0, 0, 0)))
    assert result.level == "reactive" and result.below_reactive
    assert any("below the study's level 2" in r for r in result.level_reasons)


def test_cloud_advice_over_every_combination():
    for combo in itertools.product(range(3), repeat=4):
        answers = _answers((1,) * 10, combo)
        cloud, points, reasons = cloud_for(answers)
        expected = "gcp" if points["gcp"] > points["aws"] else "aws"
        assert cloud == expected
        # Moving any answer towards the GCP end never turns a GCP recommendation into AWS.
        for i, c in enumerate(combo):
            if c < 2:
                moved = combo[:i] + (c + 1,) + combo[i + 1:]
                if cloud == "gcp":
                    assert cloud_for(_answers((1,) * 10, moved))[0] == "gcp"
    assert cloud_for(_answers((1,) * 10, (0, 0, 0, 0)))[0] == "aws"
    assert cloud_for(_answers((1,) * 10, (2, 2, 2, 2)))[0] == "gcp"
    tie = cloud_for(_answers((1,) * 10, (1, 1, 1, 1)))
    assert tie[0] == "aws" and "tie" in tie[2][-1]


def test_answers_are_checked():
    good = _answers((1,) * 10)
    with pytest.raises(UsageError, match="unanswered question"):
        check_answers({k: v for k, v in good.items() if k != "budget"})
    with pytest.raises(UsageError, match="unknown question"):
        check_answers({**good, "colour": "blue"})
    with pytest.raises(UsageError, match=r"data_storage: 'lots' is not one of scattered, systems, consolidated"):
        check_answers({**good, "data_storage": "lots"})
