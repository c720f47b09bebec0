"""Naming rules of the clouds, checked before anything is rendered."""

from __future__ import annotations

import re

CLIENT_NAME = re.compile(r"^[a-z][a-z0-9-]*[a-z0-9]$")
EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
# Usernames become SageMaker user profiles, IAM-safe suffixes and GCP instance names:
# the intersection of those rules.
USER_NAME = re.compile(r"^[a-z][a-z0-9-]{0,22}[a-z0-9]$")
# Variant and consumer names end up in SageMaker variant names, API keys and Apigee apps.
SHORT_NAME = re.compile(r"^[a-z][a-z0-9-]{0,30}[a-z0-9]$")
# Raw datasets: a prefix of the raw bucket (AWS raw/<dataset>/, GCP incoming/<dataset>/) and the name
# of the dataset's curated table (Glue table, BigQuery table; AWS's ETL snake_cases prefixes, so a
# snake_case name is its own table name). 1-40 characters leave room for "_quarantine".
DATASET_NAME = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
DATASET_NAME_MAX = 40
AWS_TAG_KEY = re.compile(r"^[\w .:/=+\-@]{1,128}$")
AWS_TAG_VALUE = re.compile(r"^[\w .:/=+\-@]{0,256}$")
S3_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
GCS_BUCKET = re.compile(r"^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$")
STATE_PREFIX = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,200}[A-Za-z0-9]$")
IAM_ROLE_NAME_MAX = 64


def check_client_name(name: str) -> str:
    if not 3 <= len(name) <= 20:
        raise ValueError("must be 3 to 20 characters long")
    if not CLIENT_NAME.fullmatch(name):
        raise ValueError(
            "must start with a lowercase letter and hold only lowercase letters, digits "
            "and '-', not ending with '-'"
        )
    if "--" in name:
        raise ValueError("must not contain '--'")
    return name


def check_dns_like(name: str, pattern: re.Pattern[str], what: str) -> str:
    if not pattern.fullmatch(name) or "--" in name:
        raise ValueError(
            f"{what} must match {pattern.pattern} and not contain '--'"
        )
    return name


def check_s3_bucket(name: str) -> str:
    if not S3_BUCKET.fullmatch(name):
        raise ValueError(
            "S3 bucket names are 3-63 characters of lowercase letters, digits, '.' and '-', "
            "starting and ending with a letter or digit"
        )
    if ".." in name or re.fullmatch(r"^\d+\.\d+\.\d+\.\d+$", name):
        raise ValueError("S3 bucket names must not contain '..' or look like an IP address")
    if name.startswith(("xn--", "sthree-", "amzn-s3-demo-")) or name.endswith(
        ("-s3alias", "--ol-s3", "--x-s3", ".mrap")
    ):
        raise ValueError("S3 bucket name uses a prefix or suffix reserved by AWS")
    return name


def check_gcs_bucket(name: str) -> str:
    if not GCS_BUCKET.fullmatch(name):
        raise ValueError(
            "GCS bucket names are 3-63 characters of lowercase letters, digits, '.', '_' "
            "and '-', starting and ending with a letter or digit"
        )
    if name.startswith("goog") or "google" in name or "g00gle" in name:
        raise ValueError("GCS bucket names must not start with 'goog' or contain 'google'")
    return name

# CI identity references in the spec (`dsaas-infra fleet`).
IAM_ROLE_ARN = r"^arn:aws(-[a-z]+)*:iam::\d{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$"
IAM_OIDC_PROVIDER_ARN = r"^arn:aws(-[a-z]+)*:iam::\d{12}:oidc-provider/token\.actions\.githubusercontent\.com$"
GCP_WIF_PROVIDER = (r"^projects/\d{1,20}/locations/global/workloadIdentityPools/[a-z0-9-]{4,32}"
                    r"/providers/[a-z0-9-]{4,32}$")
GCP_SERVICE_ACCOUNT = r"^[a-z][a-z0-9-]{4,28}[a-z0-9]@[a-z][a-z0-9-]{4,28}[a-z0-9]\.iam\.gserviceaccount\.com$"
GCP_IAM_MEMBER = r"^(user|group|serviceAccount):[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$"
GITHUB_REPOSITORY = r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$"
# A branch name that needs no quoting in a CEL string or a ref (no "..", no leading "-" or "/").
GIT_BRANCH = r"^[A-Za-z0-9_][A-Za-z0-9._/-]{0,99}$"
