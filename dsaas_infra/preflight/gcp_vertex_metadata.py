"""GCP preflight: the project's Vertex AI metadata store `default`, which the pipeline's runs record their lineage in.

The blueprint does not create the store: a project that already has one (any earlier Vertex AI
pipeline run or experiment creates it) would fail the apply with 409. Where there is none, the
first pipeline run creates it with the run's key (the blueprint's Vertex AI key); where there is
one, the runs use it with the key it was created with, which cannot be changed. This check says
which of the two the apply will meet.
"""

from __future__ import annotations

from dsaas_infra.preflight.gcp_limits import ApiError, _call
from dsaas_infra.preflight.results import Outcome
from dsaas_infra.spec.resolved import GcpSpec

STORE = "default"


def store_name(project: str, region: str) -> str:
    return f"projects/{project}/locations/{region}/metadataStores/{STORE}"


def blueprint_key(spec: GcpSpec) -> str:
    """The Vertex AI key the pipeline's runs are encrypted with (kms.tf: keys["vertex"])."""
    from dsaas_infra.render.gcp import build as gcp

    assert spec.gcp is not None
    kms = gcp.build_context(spec).kms
    return (f"projects/{spec.gcp.project_id}/locations/{spec.gcp.region}/keyRings/{kms.key_ring}"
            f"/cryptoKeys/{kms.keys['vertex'].name}" if "vertex" in kms.keys else "")


def check(spec: GcpSpec, connection) -> Outcome:
    assert spec.gcp is not None
    if not spec.phases.data.enabled:
        return ("pass", "no data phase: the blueprint runs no pipeline")
    project, region = spec.gcp.project_id, spec.gcp.region
    name = store_name(project, region)
    key = blueprint_key(spec)
    try:
        store = _call(connection, "GET", f"https://{region}-aiplatform.googleapis.com", f"/v1/{name}")
    except ApiError as e:
        if str(e).startswith("NOT_FOUND"):
            return ("pass", f"no metadata store yet: the first pipeline run creates {name} encrypted with {key}")
        return ("warn", f"cannot read {name} ({e}): if it exists, the pipeline's runs record their metadata "
                        "there under the key it was created with")
    found = (store.get("encryptionSpec") or {}).get("kmsKeyName", "")
    if found == key:
        return ("pass", f"{name} exists, encrypted with the blueprint's key {key}")
    held = f"key {found}" if found else "Google-managed encryption"
    return ("warn", f"{name} already exists (an earlier pipeline run or experiment created it) with {held}: "
                    f"the pipeline's runs record their metadata (lineage, artifact URIs, parameters) there, "
                    f"not under {key}, and a store's key cannot be changed. To have it under the blueprint's "
                    f"key, delete it before the first run (DELETE https://{region}-aiplatform.googleapis.com/v1/"
                    f"{name}; it deletes the metadata of every earlier run) and let the first run create it again")
