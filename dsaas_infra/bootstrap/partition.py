"""The AWS partition of a region (aws, aws-cn, aws-us-gov, ...), for the ARNs bootstrap writes into policies."""

from __future__ import annotations

# Region name prefixes of the partitions other than the commercial one (botocore's endpoints data).
_PREFIXES = (("cn-", "aws-cn"), ("us-gov-", "aws-us-gov"), ("us-isob-", "aws-iso-b"), ("us-iso-", "aws-iso"),
             ("eu-isoe-", "aws-iso-e"), ("us-isof-", "aws-iso-f"))


def partition_of(region: str) -> str:
    """``aws`` for commercial regions, the region's own partition otherwise."""
    for prefix, partition in _PREFIXES:
        if region.startswith(prefix):
            return partition
    return "aws"
