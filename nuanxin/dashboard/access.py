"""Who may open the city operations dashboard (and in which scope)."""

from __future__ import annotations

from typing import Any

from nuanxin.core.access import not_found
from nuanxin.insight.access import access_city_view
from nuanxin.orgs.models import District


def access_dashboard(user: Any) -> District | None:
    """The district the viewer is confined to (None: whole city). Others are refused (403)."""
    scope = access_city_view(user)
    if scope is None:
        return None
    return District.objects.get(pk=scope)


def access_dashboard_notice(user: Any, notice_id: int) -> Any:
    """A notice opened from the dashboard, within the viewer's district."""
    from nuanxin.dashboard.selectors import _in_district, _notice_qs
    from nuanxin.insight.sources import SourceAbsent

    district = access_dashboard(user)
    try:
        qs = _in_district(_notice_qs(None), district)
    except SourceAbsent:
        raise not_found() from None
    notice = qs.filter(pk=notice_id).first()
    if notice is None:
        raise not_found()
    return notice
