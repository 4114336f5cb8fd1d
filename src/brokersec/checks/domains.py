"""Imports every check domain so that its checks register, in the order ``check list`` shows them."""

from brokersec.checks import (  # noqa: F401
    account_lifecycle,
    default_accounts,
    evidence_freshness,
    password_policy,
    password_storage,
    privileged_access,
    training,
)
