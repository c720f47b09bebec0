"""AWS keys: one per service family at managed level, each policy naming exactly its roles and services."""

from __future__ import annotations

import re
from fnmatch import fnmatchcase

import pytest

from dsaas_infra.render.aws import kms as aws_kms
from tests.render.aws.test_aws_serving import Blueprint, render, spec_text, statements
from tests.render.parsed_blueprint import parse_tf

FAMILIES = ("data", "training", "logs", "serving", "pipeline")
CRYPTO = ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncrypt", "kms:*")


@pytest.fixture(scope="module")
def managed() -> Blueprint:
    return render(spec_text(maturity="managed", retention=731))


@pytest.fixture(scope="module")
def proactive() -> Blueprint:
    return render(spec_text())


def key_ref(family: str) -> str:
    return f"${{aws_kms_key.{family}.arn}}"


def sids(policy: str) -> dict[str, str]:
    """Statement text by Sid, from the rendered jsonencode(...) of a key policy."""
    parts = re.split(r'\bSid\s*=\s*"([^"]+)"', policy)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def principals(statement: str) -> set[str]:
    match = re.search(r"Principal\s*=\s*\{\s*AWS\s*=\s*\[([^\]]*)\]", statement)
    return {m for m in re.findall(r"aws_iam_role\.([a-z_]+)\.arn", match.group(1))} if match else set()


def test_managed_has_one_rotating_protected_key_per_family_and_no_shared_key(managed):
    keys = managed.of_type("aws_kms_key")
    assert set(keys) == set(FAMILIES)
    for family, key in keys.items():
        assert key["enable_key_rotation"] is True
        assert key["lifecycle"][0]["prevent_destroy"] is True
        alias = managed.resources[("aws_kms_alias", family)]
        assert alias["target_key_id"] == f"${{aws_kms_key.{family}.key_id}}"
        assert alias["name"].endswith(f"-{family}")
    assert "aws_kms_key.main" not in "".join(managed.text(f) for f in managed.files if f.endswith(".tf"))


def test_the_account_administers_each_key_but_uses_it_only_through_the_familys_services(managed):
    for family, key in managed.of_type("aws_kms_key").items():
        policy = sids(key["policy"])
        admin = policy["AccountAdministersKey"]
        assert not any(action in admin for action in CRYPTO), (family, admin)
        via = policy["AccountUsesKeyThroughFamilyServices"]
        assert '"kms:CallerAccount" = local.account_id' in via
        services = re.findall(r'"([a-z0-9.]+)\.\$\{local\.region\}\.\$\{local\.dns_suffix\}"', via)
        expected = list(aws_kms.FAMILIES[family].services)
        if family == "training" and managed.spec.phases.training.workspace == "studio":
            expected = [*expected, "elasticfilesystem", "ec2"]
        assert services == expected, family


def test_no_administrative_wildcard_lets_an_iam_policy_grant_itself_the_key(managed):
    # kms:Create* includes kms:CreateGrant: a principal allowed CreateGrant by IAM alone (the CI
    # apply role through PowerUserAccess) could then grant itself Decrypt.
    for family, key in managed.of_type("aws_kms_key").items():
        admin = sids(key["policy"])["AccountAdministersKey"]
        actions = re.findall(r'"(kms:[A-Za-z*]+)"', admin)
        assert actions, family
        for use in ("kms:CreateGrant", *CRYPTO):
            assert not [a for a in actions if fnmatchcase(use, a)], (family, use, actions)


def via_services(bp, family: str) -> list[str]:
    via = sids(bp.resources[("aws_kms_key", family)]["policy"])["AccountUsesKeyThroughFamilyServices"]
    return re.findall(r'"([a-z0-9.]+)\.\$\{local\.region\}\.\$\{local\.dns_suffix\}"', via)


def test_the_studio_domains_key_lets_efs_and_ebs_use_it_on_the_callers_behalf(managed):
    """CreateDomain's KmsKeyId encrypts the EFS home volume and the spaces' EBS volumes: EFS and
    EC2 call KMS with the creating principal's credentials (kms:ViaService elasticfilesystem/ec2)."""
    assert managed.spec.phases.training.workspace == "studio"
    domain = managed.resources[("aws_sagemaker_domain", "main")]
    family = re.fullmatch(r"\$\{aws_kms_key\.([a-z]+)\.arn\}", domain["kms_key_id"]).group(1)
    assert {"elasticfilesystem", "ec2", "sagemaker"} <= set(via_services(managed, family))
    # Only the key the domain uses: the other families stay with their own services.
    for other in FAMILIES:
        if other != family:
            assert not {"elasticfilesystem", "ec2"} & set(via_services(managed, other)), other


def test_without_studio_the_training_key_allows_no_efs_or_ec2():
    bp = render(spec_text(maturity="managed", retention=731, training=", workspace: notebooks"))
    assert ("aws_sagemaker_domain", "main") not in bp.resources
    assert via_services(bp, "training") == list(aws_kms.FAMILIES["training"].services)


@pytest.mark.parametrize("family,roles", [
    ("data", {"glue", "sagemaker_execution", "sagemaker_pipeline"}),
    ("training", {"glue", "sagemaker_execution", "sagemaker_pipeline", "pipeline", "deploy"}),
    ("logs", {"glue"}),
    # The notebooks host no model: only the pipeline's role (the endpoint's variants) and the deploy
    # and predict functions use the serving key.
    ("serving", {"sagemaker_pipeline", "deploy", "predict"}),
    ("pipeline", {"pipeline", "scheduler", "deploy", "deploy_pipeline", "model_approved"}),
])
def test_each_key_policy_names_exactly_the_roles_of_its_family(managed, family, roles):
    policy = sids(managed.resources[("aws_kms_key", family)]["policy"])
    assert principals(policy["RolesOfThisFamilyUseKey"]) == roles
    assert principals(policy["RolesOfThisFamilyGrantKeyToAwsResources"]) == roles
    grant = policy["RolesOfThisFamilyGrantKeyToAwsResources"].replace(" ", "")
    assert 'Bool={"kms:GrantIsForAWSResource"="true"}' in grant


def test_each_roles_iam_policy_names_exactly_the_keys_whose_policy_names_the_role(managed):
    key_roles = {family: principals(sids(managed.resources[("aws_kms_key", family)]["policy"])
                                    ["RolesOfThisFamilyUseKey"]) for family in FAMILIES}
    for role in aws_kms.ROLE_FAMILIES:
        document = managed.data[("aws_iam_policy_document", role)]
        named = {res for s in statements(document) for res in s.get("resources", [])
                 if res.startswith("${aws_kms_key.")}
        expected = {key_ref(f) for f, roles in key_roles.items() if role in roles}
        assert named == expected, role


def test_only_the_logs_and_pipeline_keys_trust_aws_service_principals(managed):
    services = {family: set(re.findall(r'Service = "([a-z.]+)\.', managed.resources[("aws_kms_key", family)]["policy"]))
                for family in FAMILIES}
    assert services == {"data": set(), "training": set(), "serving": set(),
                        "logs": {"logs", "cloudtrail"}, "pipeline": {"cloudwatch", "events", "delivery.logs"}}


@pytest.mark.parametrize("rtype,name,attribute,family", [
    ("aws_s3_bucket_server_side_encryption_configuration", "raw", None, "data"),
    ("aws_s3_bucket_server_side_encryption_configuration", "curated", None, "data"),
    ("aws_s3_bucket_server_side_encryption_configuration", "artifacts", None, "training"),
    ("aws_s3_object", "glue_etl_script", "kms_key_id", "data"),
    ("aws_cloudwatch_log_group", "glue_etl", "kms_key_id", "logs"),
    ("aws_cloudwatch_log_group", "flow_logs", "kms_key_id", "logs"),
    ("aws_cloudtrail", "audit", "kms_key_id", "logs"),
    ("aws_ecr_repository", "models", None, "training"),
    ("aws_sagemaker_domain", "main", "kms_key_id", "training"),
    ("aws_lambda_function", "predict", "kms_key_arn", "serving"),
    ("aws_lambda_function", "deploy", "kms_key_arn", "pipeline"),
    ("aws_sns_topic", "alerts", "kms_master_key_id", "pipeline"),
    ("aws_sqs_queue", "model_approved_dlq", "kms_master_key_id", "pipeline"),
    ("aws_sfn_state_machine", "pipeline", None, "pipeline"),
])
def test_each_resource_is_encrypted_with_its_familys_key(managed, rtype, name, attribute, family):
    body = managed.resources[(rtype, name)]
    text = str(body[attribute]) if attribute else str(body)
    assert key_ref(family) in text
    assert all(key_ref(f) not in text for f in FAMILIES if f != family), (rtype, name)


def test_jobs_and_endpoints_get_the_training_and_serving_keys(managed):
    definition = str(managed.locals["pipeline_definition"])
    assert key_ref("training") in definition
    assert {key_ref(f) for f in FAMILIES if key_ref(f) in definition} == {key_ref("training")}
    assert managed.locals["deploy_config"]["kms_key_arn"] == key_ref("serving")


def test_every_log_group_uses_the_logs_key(managed):
    for name, group in managed.of_type("aws_cloudwatch_log_group").items():
        assert group["kms_key_id"] == key_ref("logs"), name


def test_outputs_name_every_familys_key(managed):
    outputs = {name: body for item in parse_tf(managed.files["outputs.tf"])["output"] for name, body in item.items()}
    assert outputs["kms_key_arn"]["value"] == key_ref("data")
    assert outputs["kms_key_arns"]["value"] == {f: key_ref(f) for f in FAMILIES}


def test_below_managed_one_key_serves_every_family(proactive):
    assert set(proactive.of_type("aws_kms_key")) == {"main"}
    policy = sids(proactive.resources[("aws_kms_key", "main")]["policy"])
    assert '"kms:*"' in policy["AccountAdministersKeyAndDelegatesToIam"]
    glue = proactive.data[("aws_iam_policy_document", "glue")]
    named = {res for s in statements(glue) for res in s.get("resources", []) if res.startswith("${aws_kms_key.")}
    assert named == {"${aws_kms_key.main.arn}"}


def test_the_readme_names_each_key_and_the_roles_its_policy_names(managed):
    readme = managed.text("README.md")
    for family in FAMILIES:
        alias = managed.resources[("aws_kms_alias", family)]["name"]
        assert f"`{alias}`" in readme
    assert "logs: `glue`;" in readme and "pipeline: `deploy`, `deploy_pipeline`" in readme


def _context_arns(statement: str, key: str) -> set[str]:
    """The ARNs a key statement allows as encryption context `key` ([for suffix in [...] : "..."])."""
    match = re.search(rf'"{re.escape(key)}"\s*=\s*\[for suffix in (\[[^\]]*\])\s*:\s*"([^"]+)"\]', statement)
    assert match, statement
    return {match.group(2).replace("${suffix}", s) for s in parse_tf(f"x = {match.group(1)}")["x"]}


@pytest.mark.parametrize("maturity,family", [("proactive", "main"), ("managed", "pipeline")])
def test_eventbridge_uses_the_pipeline_key_only_for_this_blueprints_encrypted_targets(maturity, family):
    """No aws:SourceAccount / aws:SourceArn on the events.amazonaws.com key statements: the SNS
    developer guide does not support them in a KMS key policy for EventBridge-to-encrypted topics,
    so the drift alerts never arrived (senior AWS review). The previous version of this test asserted
    exactly those conditions. The key is scoped instead by the encryption context SNS and SQS pass:
    exactly the topics and queues this blueprint's rules target (drift -> alerts topic,
    model-approved -> its dead-letter queue), whose own resource policies keep aws:SourceArn."""
    bp = render(spec_text(maturity=maturity, retention=731,
                          deployment="    drift_detection: true\n" if maturity == "proactive" else ""))
    policy = sids(bp.resources[("aws_kms_key", family)]["policy"])
    events = {sid: text for sid, text in policy.items() if '"events.${local.dns_suffix}"' in text}
    assert set(events) == {"EventBridgePublishesToThisBlueprintsEncryptedTopics",
                           "EventBridgeSendsToThisBlueprintsEncryptedQueues"}
    for text in events.values():
        assert "aws:SourceAccount" not in text and "aws:SourceArn" not in text, text
    # Every encrypted topic or queue a rule writes to (its target or its dead-letter queue), by name.
    written: dict[str, set[str]] = {"aws_sns_topic": set(), "aws_sqs_queue": set()}
    for target in bp.of_type("aws_cloudwatch_event_target").values():
        refs = [target["arn"]] + [dlq["arn"] for dlq in target.get("dead_letter_config", [])]
        for ref in refs:
            kind, label = ref.removeprefix("${").split(".")[:2]
            if kind in written:
                written[kind].add(bp.resources[(kind, label)]["name"])
    prefix = "arn:${{local.partition}}:{service}:${{local.region}}:${{local.account_id}}:"
    topics = _context_arns(events["EventBridgePublishesToThisBlueprintsEncryptedTopics"],
                           "kms:EncryptionContext:aws:sns:topicArn")
    queues = _context_arns(events["EventBridgeSendsToThisBlueprintsEncryptedQueues"],
                           "kms:EncryptionContext:aws:sqs:arn")
    assert topics == {prefix.format(service="sns") + n for n in written["aws_sns_topic"]} and len(topics) == 1
    assert queues == {prefix.format(service="sqs") + n for n in written["aws_sqs_queue"]} and len(queues) == 1
