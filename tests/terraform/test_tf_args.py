"""The argument builders, table by table: every flag Terraform gets is decided here."""

from __future__ import annotations

import pytest

from dsaas_infra.terraform import args


@pytest.mark.parametrize("kwargs, expected", [
    ({}, ["init", "-input=false", "-no-color"]),
    ({"color": True}, ["init", "-input=false"]),
    ({"backend": False}, ["init", "-input=false", "-backend=false", "-no-color"]),
])
def test_init_args(kwargs, expected):
    assert args.init_args(**kwargs) == expected


@pytest.mark.parametrize("plan_file, kwargs, expected", [
    ("p.tfplan", {}, ["plan", "-input=false", "-out=p.tfplan", "-no-color"]),
    ("/d/.dsaas/destroy.tfplan", {"destroy": True},
     ["plan", "-input=false", "-out=/d/.dsaas/destroy.tfplan", "-destroy", "-no-color"]),
    ("p.tfplan", {"color": True}, ["plan", "-input=false", "-out=p.tfplan"]),
])
def test_plan_args(plan_file, kwargs, expected):
    assert args.plan_args(plan_file, **kwargs) == expected


@pytest.mark.parametrize("kwargs, expected", [
    ({}, ["apply", "-input=false", "-no-color", "p.tfplan"]),
    ({"color": True}, ["apply", "-input=false", "p.tfplan"]),
])
def test_apply_args_always_apply_a_saved_plan(kwargs, expected):
    assert args.apply_args("p.tfplan", **kwargs) == expected


def test_show_json_args():
    assert args.show_json_args("x/p.tfplan") == ["show", "-json", "x/p.tfplan"]


@pytest.mark.parametrize("is_tty, environ, expected", [
    (True, {}, True),
    (False, {}, False),
    (True, {"NO_COLOR": "1"}, False),
    (True, {"NO_COLOR": ""}, True),  # no-color.org: only a non-empty value disables colour
    (True, {"TERM": "dumb"}, False),
    (False, {"NO_COLOR": "1"}, False),
])
def test_color_wanted(is_tty, environ, expected):
    assert args.color_wanted(is_tty, environ) is expected
