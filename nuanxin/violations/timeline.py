"""Education, warnings and case proposals on a merchant's life-cycle timeline."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from nuanxin.merchants.timeline import TimelineEntry
from nuanxin.violations.models import Outcome, Violation


def _entry(v: Violation) -> TimelineEntry:
    if v.outcome == Outcome.EDUCATION:
        title = _("首违普法教育：%(tag)s") % {"tag": v.tag.name}
    elif v.outcome == Outcome.WARNING:
        title = _("告诫并责令限期改正：%(tag)s") % {"tag": v.tag.name}
    else:
        title = _("建议立案：%(tag)s") % {"tag": v.tag.name}
    slip = getattr(v, "slip", None) if hasattr(v, "slip") else None
    extra: dict[str, Any] = {
        "violation_id": v.pk,
        "outcome": v.outcome,
        "tag": v.tag_code,
        "catalogue_version": v.catalogue_version,
    }
    if slip is not None:
        extra["slip_number"] = slip.number
    return TimelineEntry(
        at=v.occurred_at,
        kind=v.outcome,
        title=title,
        detail=v.reason,
        url=v.get_absolute_url(),
        public=False,
        extra=extra,
    )


def timeline_entries(*, merchant: Any) -> list[TimelineEntry]:
    qs = (
        Violation.objects.filter(party__merchant=merchant)
        .select_related("tag", "slip")
        .order_by("-occurred_at")
    )
    return [_entry(v) for v in qs]


def party_timeline_entries(*, party: Any) -> list[TimelineEntry]:
    qs = (
        Violation.objects.filter(party=party).select_related("tag", "slip").order_by("-occurred_at")
    )
    return [_entry(v) for v in qs]
