"""Reads for cases."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils import timezone

from nuanxin.cases.models import Case, CaseStatus
from nuanxin.lib.workdays import calendar_status

S = CaseStatus


def available_actions(case: Case, user: Any) -> list[str]:
    """What this user can do on this case now (the page shows only these forms)."""
    on_case = user.pk in case.officers()
    role = user.role
    actions: list[str] = []
    if role == "chief":
        if case.status == S.FILED or (
            case.status == S.CHIEF_APPROVAL and not case.penalty_approved_at
        ):
            actions.append("approve")
        if case.status in (S.FILED, S.INVESTIGATING):
            actions.append("withdraw")
        if case.status in (S.INVESTIGATING, S.CHIEF_APPROVAL, S.NOTIFIED, S.HEARING):
            actions.append("no_penalty")
        if case.status in (S.SERVED, S.EXECUTING, S.NO_PENALTY):
            actions.append("close")
        if case.status in (S.NOTIFIED, S.HEARING):
            actions.append("decide")
    if role == "reviewer" and case.status == S.LEGAL_REVIEW:
        actions.append("review")
    if on_case:
        if case.status == S.INVESTIGATING:
            actions.append("submit_review")
        if case.status == S.CHIEF_APPROVAL and case.penalty_approved_at:
            actions.append("notify")
        if case.status in (S.NOTIFIED, S.HEARING):
            actions += ["statement", "decide"]
        if case.status in (S.NOTIFIED, S.DECIDED):
            actions.append("send")
        if case.status == S.DECIDED:
            actions.append("serve")
        if case.status in (S.SERVED, S.EXECUTING) and not case.warning_only:
            actions += ["payment", "remind"]
    return list(dict.fromkeys(actions))


def case_detail_context(case: Case, user: Any) -> dict[str, Any]:
    from nuanxin.deliveries.selectors import deliveries_for_case

    today = timezone.localdate()
    documents = list(case.documents.all())
    try:
        from nuanxin.documents.models import Document

        by_id = Document.objects.in_bulk([d.document_id for d in documents])
    except ImportError:  # pragma: no cover
        by_id = {}
    return {
        "case": case,
        "clock": case.decision_clock(today),
        "calendar_status": calendar_status(case.decision_due.year),
        "documents": [(d, by_id.get(d.document_id)) for d in documents],
        "actions": list(case.actions.select_related("by")),
        "can": available_actions(case, user),
        "outstanding": case.amount_outstanding(today) if case.served_on else None,
        "surcharge": case.surcharge_as_of(today) if case.served_on else None,
        "payments": list(case.payments.all()),
        "deliveries": list(deliveries_for_case(case)),
        "today": today,
        "error": "",
    }


# The cases a chief has to approve: the filing, or the penalty (the list's 待我审批).
AWAITING_CHIEF = Q(status__in=[CaseStatus.FILED, CaseStatus.CHIEF_APPROVAL]) & Q(
    penalty_approved_at=None
)
