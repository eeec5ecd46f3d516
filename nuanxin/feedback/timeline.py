"""Ratings and complaints on the merchant's life-cycle timeline (nuanxin.merchants.timeline)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from nuanxin.feedback.catalog import category_name
from nuanxin.feedback.models import Complaint, Rating
from nuanxin.merchants.timeline import TimelineEntry


def timeline_entries(*, merchant: Any) -> list[TimelineEntry]:
    entries: list[TimelineEntry] = []
    for rating in Rating.objects.filter(merchant=merchant).order_by("-created_at")[:200]:
        entries.append(
            TimelineEntry(
                at=rating.created_at,
                kind="rating",
                title=_("公众评价 %(stars)s") % {"stars": "★" * rating.stars},
                detail=(
                    "、".join(rating.tags)
                    + (" · " if rating.tags and rating.text else "")
                    + rating.text
                )
                if not rating.hidden
                else _("（已屏蔽）"),
                public=not rating.hidden,
                extra={"stars": rating.stars, "rating_id": rating.pk},
            )
        )
    for complaint in Complaint.objects.filter(merchant=merchant).order_by("-created_at")[:200]:
        title = _("投诉 %(no)s：%(category)s（%(status)s）") % {
            "no": complaint.tracking_no,
            "category": category_name(complaint.category),
            "status": complaint.get_status_display(),
        }
        if complaint.substantiated is not None:
            title += " · " + (_("属实") if complaint.substantiated else _("不属实"))
        entries.append(
            TimelineEntry(
                at=complaint.created_at,
                kind="complaint",
                title=title,
                detail=complaint.description[:200],
                url=f"/staff/complaints/{complaint.pk}/",
                public=False,
                extra={"complaint_id": complaint.pk, "status": complaint.status},
            )
        )
    return entries
