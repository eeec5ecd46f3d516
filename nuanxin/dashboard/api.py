"""/api/v1/dashboard/: the panels of the operations screen, scoped to the viewer."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from nuanxin.accounts.auth import staff_auth
from nuanxin.dashboard.access import access_dashboard
from nuanxin.dashboard.selectors import PANELS, summary
from nuanxin.insight.selectors import parse_district
from nuanxin.insight.sources import source_status

router = Router(tags=["dashboard"], auth=staff_auth)


@router.get("/summary")
def dashboard_summary(request: HttpRequest, district: str | None = None) -> Any:
    """Every panel; a district officer always gets their own district only."""
    own = access_dashboard(request.user)
    chosen = parse_district(district, scope_id=own.pk if own else None)
    data = summary(chosen)
    data["sources"] = source_status()
    return data


@router.get("/panels/{name}")
def dashboard_panel(request: HttpRequest, name: str, district: str | None = None) -> Any:
    from django.utils.translation import gettext as _

    from nuanxin.core.errors import DomainError

    own = access_dashboard(request.user)
    if name not in PANELS:
        raise DomainError("unknown_panel", _("未知的面板：%(n)s。") % {"n": name})
    chosen = parse_district(district, scope_id=own.pk if own else None)
    return PANELS[name](chosen)
