"""Write services of the violations app (parties, violations, slips)."""

from __future__ import annotations

from nuanxin.violations.services_party import party_create, party_for_merchant, party_for_operator
from nuanxin.violations.services_slip import slip_issue, slip_revoke
from nuanxin.violations.services_violation import (
    violation_case_link,
    violation_record,
    warning_notice_issue,
)

__all__ = [
    "party_create",
    "party_for_merchant",
    "party_for_operator",
    "slip_issue",
    "slip_revoke",
    "violation_case_link",
    "violation_record",
    "warning_notice_issue",
]
