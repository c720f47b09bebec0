"""The GitHub Actions the fleet workflows use, pinned to full commit SHAs (the tag in a comment).

A tag can be moved to other code; a commit SHA cannot. Update both columns together, from the
action's repository (`git rev-parse vX.Y.Z^{commit}`), never one without the other.
"""

from __future__ import annotations

PINNED: dict[str, tuple[str, str]] = {
    "actions/checkout": ("3d3c42e5aac5ba805825da76410c181273ba90b1", "v7.0.1"),
    "actions/setup-python": ("5fda3b95a4ea91299a34e894583c3862153e4b97", "v7.0.0"),
    "hashicorp/setup-terraform": ("dfe3c3f87815947d99a8997f908cb6525fc44e9e", "v4.0.1"),
    "aws-actions/configure-aws-credentials": ("e6de054238d6b7531b4efff3b6587d9aade6a06c", "v6.2.3"),
    "google-github-actions/auth": ("7c6bc770dae815cd3e89ee6cdf493a5fab2cc093", "v3.0.0"),
    "actions/upload-artifact": ("bbbca2ddaa5d8feaa63e36b76fdaad77386f024f", "v7.0.0"),
    "actions/download-artifact": ("3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c", "v8.0.1"),
}


def uses(action: str) -> str:
    sha, _ = PINNED[action]
    return f"{action}@{sha}"


def tag(action: str) -> str:
    return PINNED[action][1]
