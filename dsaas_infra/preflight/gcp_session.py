"""Google clients (REST, short timeouts) and Google errors said in one line; shared by preflight and bootstrap."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import google.auth
from google.api_core import exceptions as gexc
from google.auth import exceptions as auth_exc

SCOPES = ["https://www.googleapis.com/auth/cloud-platform"]
TIMEOUT = 20  # seconds per call
RETRY_SECONDS = 10  # all retries of one call: the libraries' defaults wait up to two minutes
NO_CREDENTIALS = ("no Google credentials found (run `gcloud auth application-default login`, "
                  "or set GOOGLE_APPLICATION_CREDENTIALS)")
GOOGLE_ERRORS = (gexc.GoogleAPIError, auth_exc.GoogleAuthError)


@dataclass
class Connection:
    """Credentials and, for tests or private endpoints, an API endpoint override."""

    credentials: Any = None
    endpoint: str | None = None

    def resolve_credentials(self) -> Any:
        if self.credentials is None:
            # Application Default Credentials: the same chain Terraform's google provider uses.
            self.credentials, _ = google.auth.default(scopes=SCOPES)
        return self.credentials

    def options(self) -> dict[str, str]:
        return {"api_endpoint": self.endpoint} if self.endpoint else {}

    def projects(self):
        from google.cloud import resourcemanager_v3

        # REST rather than gRPC: one HTTP stack for every call, and an endpoint anyone can fake.
        return resourcemanager_v3.ProjectsClient(
            transport="rest", credentials=self.resolve_credentials(), client_options=self.options())

    def storage(self, project: str):
        import google.cloud.storage as storage

        return storage.Client(project=project, credentials=self.resolve_credentials(),
                              client_options=self.options())


def retry():
    """Retry transient errors briefly: a preflight must fail fast when Google is unreachable."""
    from google.api_core.retry import Retry

    return Retry(timeout=RETRY_SECONDS)


def storage_retry():
    from google.cloud.storage.retry import DEFAULT_RETRY

    return DEFAULT_RETRY.with_timeout(RETRY_SECONDS)


def describe(e: Exception) -> str:
    if isinstance(e, auth_exc.DefaultCredentialsError):
        return NO_CREDENTIALS
    if isinstance(e, gexc.GoogleAPICallError):
        code = getattr(e.code, "name", e.code)
        return f"{code}: {e.message}"
    first = str(e).splitlines()[0] if str(e) else ""
    return f"{type(e).__name__}: {first}"
