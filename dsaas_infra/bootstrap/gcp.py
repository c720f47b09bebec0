"""GCP state storage: a GCS bucket with versioning, uniform access and public access prevention.
An existing bucket is only inspected, never changed. (GCS locks state itself: no lock table.)"""

from __future__ import annotations

from google.api_core import exceptions as gexc

from dsaas_infra.bootstrap.steps import Step
from dsaas_infra.errors import OperationError
from dsaas_infra.preflight.gcp_session import GOOGLE_ERRORS, TIMEOUT, Connection, describe, storage_retry
from dsaas_infra.spec.resolved import GcpSpec


def _weaknesses(bucket) -> list[str]:
    missing = []
    if not bucket.versioning_enabled:
        missing.append("versioning")
    iam = bucket.iam_configuration
    if not iam.uniform_bucket_level_access_enabled:
        missing.append("uniform bucket-level access")
    if iam.public_access_prevention != "enforced":
        missing.append("public access prevention")
    return missing


def ensure_bucket(conn: Connection, spec: GcpSpec) -> Step:
    name = spec.state.bucket
    resource = f"gcs bucket {name}"
    client = conn.storage(spec.gcp.project_id)
    try:
        existing = client.get_bucket(name, timeout=TIMEOUT, retry=storage_retry())
    except gexc.NotFound:
        pass
    else:
        missing = _weaknesses(existing)
        if missing:
            return Step(resource, "warn", f"already existed, left unchanged; it lacks: {', '.join(missing)}")
        return Step(resource, "exists", "already existed with versioning; left unchanged")
    bucket = client.bucket(name)
    bucket.versioning_enabled = True
    bucket.iam_configuration.uniform_bucket_level_access_enabled = True
    bucket.iam_configuration.public_access_prevention = "enforced"
    bucket.labels = {"managed-by": "dsaas-infra", "client": spec.client.name,
                     "environment": spec.client.environment}
    try:
        client.create_bucket(bucket, location=spec.gcp.region, timeout=TIMEOUT, retry=storage_retry())
    except gexc.Conflict as e:
        # Bucket names are global: someone else has it (we could not see it above).
        raise OperationError(f"{name}: the name is taken by another project; set state.bucket") from e
    return Step(resource, "created", f"in {spec.gcp.region}: versioning, uniform access, public access prevention")


def bootstrap(spec: GcpSpec, connection: Connection | None = None) -> list[Step]:
    conn = connection or Connection()
    try:
        conn.resolve_credentials()
        return [ensure_bucket(conn, spec)]
    except GOOGLE_ERRORS as e:
        raise OperationError(f"bootstrap failed: {describe(e)} (it is safe to run it again)") from e
