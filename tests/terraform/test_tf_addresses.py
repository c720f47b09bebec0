"""Resource addresses -> declaring file -> phase."""

from __future__ import annotations

import pytest

from dsaas_infra.phases import phase_of_file
from dsaas_infra.terraform.addresses import declaration_of, declarations, file_of


@pytest.mark.parametrize("address, expected", [
    ("aws_s3_bucket.raw", "aws_s3_bucket.raw"),
    ("null_resource.notebook[1]", "null_resource.notebook"),
    ('null_resource.api["partner-a"]', "null_resource.api"),
    ('null_resource.api["a.b[0]"]', "null_resource.api"),
    ("data.aws_iam_policy_document.glue", "data.aws_iam_policy_document.glue"),
    ("data.aws_iam_policy_document.x[0]", "data.aws_iam_policy_document.x"),
    ("module.lambda.aws_lambda_function.this", "module.lambda"),
    ('module.api["v1"].aws_api_gateway_rest_api.main', "module.api"),
])
def test_declaration_of(address, expected):
    assert declaration_of(address) == expected


@pytest.mark.parametrize("file, phase", [
    ("data.tf", "data"), ("training.tf", "training"), ("network.tf", "training"),
    ("deployment.tf", "deployment"), ("monitoring.tf", "deployment"), ("access.tf", "access"),
    ("main.tf", "shared"), ("kms.tf", "shared"), ("outputs.tf", "shared"),
])
def test_phase_of_file(file, phase):
    assert phase_of_file(file) == phase


def test_declarations_are_read_from_the_files(tmp_path):
    (tmp_path / "data.tf").write_text(
        'resource "aws_s3_bucket" "raw" {\n  bucket = "x"\n  policy = <<EOF\n'
        'resource "not" "real" {\nEOF\n}\n\ndata "aws_region" "current" {}\n'
    )
    (tmp_path / "deployment.tf").write_text('module "pipeline" {\n  source = "./modules/pipeline"\n}\n')
    (tmp_path / "notes.txt").write_text('resource "ignored" "file" {\n}\n')
    decls = declarations(tmp_path)
    assert decls == {
        "aws_s3_bucket.raw": "data.tf",
        "data.aws_region.current": "data.tf",
        "module.pipeline": "deployment.tf",
    }
    assert file_of("module.pipeline.aws_sfn_state_machine.main", decls) == "deployment.tf"
    assert file_of("aws_glue_job.etl", decls) is None


def test_declarations_of_the_blueprint_fixture(null_fixtures):
    assert declarations(null_fixtures / "phases") == {
        "null_resource.api": "access.tf",
        "null_resource.raw": "data.tf",
        "null_resource.curated": "data.tf",
        "null_resource.pipeline": "deployment.tf",
        "null_resource.key": "main.tf",
        "null_resource.notebook": "training.tf",
    }
