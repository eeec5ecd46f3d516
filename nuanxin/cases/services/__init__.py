"""Case services: every write to a case goes through one of these (audited, keyword-only)."""

from nuanxin.cases.services.execution import (
    case_close,
    case_no_penalty,
    case_record_payment,
    case_remind,
    case_serve,
    case_withdraw,
)
from nuanxin.cases.services.filing import (
    ONSPOT_LIMITS,
    Proposal,
    case_decide_onspot,
    case_file,
    case_propose,
    onspot_check,
)
from nuanxin.cases.services.workflow import (
    case_approve,
    case_decide,
    case_notice_served,
    case_notify,
    case_record_statement,
    case_review,
    case_submit_review,
)

__all__ = [
    "ONSPOT_LIMITS",
    "Proposal",
    "case_approve",
    "case_close",
    "case_decide",
    "case_decide_onspot",
    "case_file",
    "case_no_penalty",
    "case_notice_served",
    "case_notify",
    "case_propose",
    "case_record_payment",
    "case_record_statement",
    "case_remind",
    "case_review",
    "case_serve",
    "case_submit_review",
    "case_withdraw",
    "onspot_check",
]
