"""Credit changes on the merchant's life-cycle timeline."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from nuanxin.credit.models import CreditScore
from nuanxin.merchants.timeline import TimelineEntry


def timeline_entries(*, merchant: Any) -> list[TimelineEntry]:
    entries = []
    for row in CreditScore.objects.filter(merchant=merchant).select_related("trigger"):
        if row.previous_level and row.previous_level != row.level:
            title = _("信用等级 %(old)s → %(new)s（%(score)s分）") % {
                "old": row.previous_level,
                "new": row.level,
                "score": row.score,
            }
        elif row.previous_score is None:
            title = _("信用评定：%(level)s（%(score)s分）") % {
                "level": row.level,
                "score": row.score,
            }
        else:
            title = _("信用分 %(old)s → %(new)s") % {
                "old": row.previous_score,
                "new": row.score,
            }
        trigger_line = ""
        if row.trigger_id is not None:
            trigger_line = next(
                (line["text"] for line in row.breakdown if line.get("event_id") == row.trigger_id),
                "",
            )
        entries.append(
            TimelineEntry(
                at=row.computed_at,
                kind="credit.change",
                title=title,
                detail=trigger_line or row.reason,
                extra={"rules_version": row.rules_version},
            )
        )
    return entries
