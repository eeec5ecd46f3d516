"""The workbench's sections (`/staff/`): which pages each role is offered.

Each page still guards itself (its `access_*` helper or `require_role`); this list only
decides what to offer, so that nobody is shown a tile that answers 403. The role sets are
the ones those guards use, imported from the apps that own them, and
tests/core/test_nav.py opens every section as every persona: each section offered must
open, each section withheld must refuse.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from nuanxin.core.access import STAFF_ROLES


@dataclass(frozen=True)
class Section:
    path: str
    label: str | Promise
    group: str | Promise
    offered_to: Callable[[Any], bool]
    # What waits for this user there, as (label, count), or None where nothing is counted
    # for them; one COUNT query, run only for a section offered to the user.
    to_do: Callable[[Any], tuple[str | Promise, int] | None] | None = None


@dataclass(frozen=True)
class Tile:
    section: Section
    to_do: tuple[str | Promise, int] | None


def _roles(*roles: str) -> Callable[[Any], bool]:
    """Offered to these roles, and to a superuser (whom every `require_role` lets in)."""
    allowed = frozenset(roles)
    return lambda user: user.is_superuser or user.role in allowed


def _only(*roles: str) -> Callable[[Any], bool]:
    """Offered to these roles alone: a portal a superuser could open but has no use for."""
    allowed = frozenset(roles)
    return lambda user: user.role in allowed


def _everyone(user: Any) -> bool:
    return True


def _admin_site(user: Any) -> bool:
    return bool(user.is_staff)


STREET = _("市容与商户")
ENFORCEMENT = _("执法办案")
BIKES = _("共享单车")
COMMAND = _("指挥中心")
MINE = _("我的")
OTHER = _("其他")


def sections() -> list[Section]:
    # The apps' role sets, imported here: core is imported by every app.
    from nuanxin.bikes.access import OPERATOR_ADMIN_ROLES, OPERATOR_ROLES
    from nuanxin.insight.access import CITY_ROLES, MAP_ROLES
    from nuanxin.notices.access import PORTAL_ROLES

    staff = _roles(*STAFF_ROLES)
    return [
        Section("/portal/", _("我的店铺"), MINE, _only("merchant")),
        Section("/portal/complaints/", _("投诉处理"), MINE, _only("merchant")),
        Section("/operator/", _("企业门户"), MINE, _only(*PORTAL_ROLES), _reminders_open),
        Section("/operator/webhook/", _("推送设置"), MINE, _only(*OPERATOR_ADMIN_ROLES)),
        Section("/staff/merchants/", _("市场主体"), STREET, staff),
        Section("/staff/complaints/", _("投诉协同"), STREET, staff),
        Section("/staff/complaints/overdue/", _("超期督办"), STREET, staff, _complaints_overdue),
        Section("/staff/doorcodes/counterfeits/", _("疑似仿冒码"), STREET, staff),
        Section("/staff/violations/", _("首违普法/告诫"), ENFORCEMENT, staff),
        Section("/staff/cases/", _("执法案件"), ENFORCEMENT, staff, _chief_or_reviewer),
        Section("/staff/laws/", _("法条与行为库"), ENFORCEMENT, staff),
        Section("/staff/documents/", _("执法文书"), ENFORCEMENT, staff),
        Section("/staff/bikes/", _("运营企业总览"), BIKES, staff),
        Section("/staff/bikes/notices/", _("暖心提醒列表"), BIKES, staff, _reminders_overdue),
        Section("/assessments/", _("考核报告"), BIKES, _roles(*STAFF_ROLES, *OPERATOR_ROLES)),
        Section(
            "/dashboard/rebalance/", _("调度建议"), BIKES, _roles(*CITY_ROLES, "operator_admin")
        ),
        Section("/dashboard/fleet/", _("运演与配额"), BIKES, _roles(*CITY_ROLES)),
        Section("/dashboard/", _("城市运行驾驶舱"), COMMAND, _roles(*MAP_ROLES)),
        Section("/api/v1/docs", _("API 文档"), OTHER, _everyone),
        Section("/admin/", _("后台配置"), OTHER, _admin_site),
    ]


def sections_for(user: Any) -> list[tuple[str | Promise, list[Tile]]]:
    """The sections offered to `user`, grouped in the order of `sections()`, each with what
    waits for the user there."""
    groups: dict[str, tuple[str | Promise, list[Tile]]] = {}
    for section in sections():
        if section.offered_to(user):
            to_do = section.to_do(user) if section.to_do else None
            tile = Tile(section, to_do)
            groups.setdefault(str(section.group), (section.group, []))[1].append(tile)
    return list(groups.values())


def _chief_or_reviewer(user: Any) -> tuple[str | Promise, int] | None:
    return _chief_approvals(user) or _legal_reviews(user)


def _chief_approvals(user: Any) -> tuple[str | Promise, int] | None:
    if user.role != "chief":
        return None
    from nuanxin.cases.access import cases_visible_to
    from nuanxin.cases.selectors import AWAITING_CHIEF

    return _("待我审批"), cases_visible_to(user).filter(AWAITING_CHIEF).count()


def _legal_reviews(user: Any) -> tuple[str | Promise, int] | None:
    if user.role != "reviewer":
        return None
    from nuanxin.cases.access import cases_visible_to
    from nuanxin.cases.models import CaseStatus

    return _("待法制审核"), cases_visible_to(user).filter(status=CaseStatus.LEGAL_REVIEW).count()


def _complaints_overdue(user: Any) -> tuple[str | Promise, int] | None:
    from nuanxin.feedback.selectors import complaints_overdue

    return _("超期"), complaints_overdue(user).count()


def _reminders_overdue(user: Any) -> tuple[str | Promise, int] | None:
    from nuanxin.notices.access import notices_visible
    from nuanxin.notices.selectors import notices_filter

    return _("已超期"), notices_filter(notices_visible(user), overdue=True).count()


def _reminders_open(user: Any) -> tuple[str | Promise, int] | None:
    from nuanxin.notices.access import notices_visible
    from nuanxin.notices.models import Notice

    return _("待整改"), notices_visible(user).filter(status=Notice.Status.OPEN).count()


def offered(user: Any, *paths: str) -> list[Section]:
    """Those of these sections offered to `user`, in the order given: a page's links to
    other pages, so that none of them answers 403."""
    by_path = {s.path: s for s in sections()}
    return [by_path[p] for p in paths if by_path[p].offered_to(user)]
