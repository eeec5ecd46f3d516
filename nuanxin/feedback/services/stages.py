"""Complaint state changes: the one place a complaint moves between stages (transition table
checked on the model, stage deadline from the SLA data, history event, audit row)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from nuanxin.audit.services import audit_record
from nuanxin.core.errors import Conflict
from nuanxin.feedback.catalog import stage_deadline
from nuanxin.feedback.models import Complaint, ComplaintEvent, ComplaintStatus

S = ComplaintStatus
_SNAPSHOT = ["status", "district_id", "handler_id", "overdue", "substantiated", "feedback"]


def complaint_snapshot(c: Complaint) -> dict[str, Any]:
    return {name: getattr(c, name) for name in _SNAPSHOT}


def actor_text(actor: Any) -> str:
    if getattr(actor, "is_authenticated", False):
        return str(actor)[:60]
    return ""


def complaint_move(
    complaint: Complaint,
    to: str,
    *,
    actor: Any,
    kind: str,
    note: str = "",
    public: bool = True,
    actor_label: str = "",
    source_ip: str | None = None,
    extra_fields: list[str] | None = None,
    before: dict[str, Any] | None = None,
) -> Complaint:
    """Change state (checked against the model's transition table), set the new stage's
    deadline, write the history event and the audit row. Caller holds the transaction."""
    before = before or complaint_snapshot(complaint)
    if not complaint.can_transition_to(to):
        raise Conflict(
            "bad_transition",
            _("当前状态“%(from)s”不能转为“%(to)s”。")
            % {"from": complaint.get_status_display(), "to": S(to).label},
        )
    now = timezone.now()
    from_status = complaint.status
    complaint.status = to
    complaint.stage_entered_at = now
    complaint.stage_deadline = stage_deadline(to, entered_at=now) if to != S.CLOSED else None
    complaint.overdue = False
    complaint.overdue_flagged_at = None
    complaint.updated_at = now
    if to == S.CLOSED:
        complaint.closed_at = now
    fields = [
        "status",
        "stage_entered_at",
        "stage_deadline",
        "overdue",
        "overdue_flagged_at",
        "updated_at",
        "closed_at",
        *(extra_fields or []),
    ]
    complaint.save(update_fields=list(dict.fromkeys(fields)))
    user = actor if getattr(actor, "is_authenticated", False) else None
    ComplaintEvent.objects.create(
        complaint=complaint,
        at=now,
        actor=user,
        actor_label=actor_label or actor_text(actor),
        kind=kind,
        from_status=from_status,
        to_status=to,
        note=note,
        public=public,
    )
    audit_record(
        actor=user,
        actor_label=actor_label,
        action=f"complaint.{kind}",
        obj=complaint,
        before=before,
        after=complaint_snapshot(complaint) | ({"note": note} if note else {}),
        source_ip=source_ip,
    )
    return complaint
