"""Stub Terraform providers: serve the shipped schema snapshots over tfplugin6 so `terraform plan` runs offline.

A stub accepts every configuration at validate time and, at plan time, returns the proposed state with
every unset computed attribute unknown; data sources are filled with plausible values of the right type.
Terraform itself then checks everything that depends only on the configuration and the schema: value
types, arguments, blocks and their nesting, references to exported attributes, indexing, functions,
count/for_each, cycles, preconditions and postconditions, check and moved blocks.

What a stub cannot check (the real provider does, at plan or apply): allowed values and formats of
arguments, conflicting or mutually required arguments, plan-time validation against the cloud API,
and anything the API decides (names taken, quotas, permissions, org policies).
"""

CANNOT_CHECK = ("provider-side checks do not run against stubs: allowed values and formats of arguments, "
                "conflicting or mutually required arguments, and everything the cloud API decides "
                "(names, quotas, permissions, org policies)")
