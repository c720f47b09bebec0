"""Version constraints of the Terraform providers the blueprints use: one per provider, for both clouds."""

from __future__ import annotations

AWS = "~> 6.0"
# google and google-beta (the cdktn-provider-google 21.x snapshots validate against 8.x).
GOOGLE = "~> 8.0"
ARCHIVE = "~> 2.7"
TIME = "~> 0.12"
