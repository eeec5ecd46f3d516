"""Registration, licences and inspections on the merchant's life-cycle timeline."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from nuanxin.merchants.models import Inspection
from nuanxin.merchants.timeline import TimelineEntry


def _at(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(0, 0)))


def timeline_entries(*, merchant: Any) -> list[TimelineEntry]:
    entries = [
        TimelineEntry(
            at=merchant.created_at,
            kind="merchant.registered",
            title=_("登记入库：%(name)s") % {"name": merchant.name},
            detail=merchant.address,
            public=True,
        )
    ]
    today = timezone.localdate()
    for licence in merchant.licences.all():
        label = licence.get_kind_display()
        entries.append(
            TimelineEntry(
                at=_at(licence.valid_from),
                kind="licence.valid_from",
                title=_("%(kind)s生效（%(number)s）") % {"kind": label, "number": licence.number},
                public=True,
            )
        )
        if licence.valid_until is not None and licence.valid_until < today:
            entries.append(
                TimelineEntry(
                    at=_at(licence.valid_until + dt.timedelta(days=1)),
                    kind="licence.expired",
                    title=_("%(kind)s已过期（%(number)s）")
                    % {"kind": label, "number": licence.number},
                    public=True,
                )
            )
    for inspection in Inspection.objects.filter(merchant=merchant).select_related("officer"):
        entries.append(
            TimelineEntry(
                at=inspection.at,
                kind=f"inspection.{inspection.result}",
                title=_("日常检查：%(result)s") % {"result": inspection.get_result_display()},
                detail=inspection.notes,
                extra={"officer": str(inspection.officer), "id": inspection.pk},
            )
        )
    return entries
