"""The workbench offers each role exactly the pages it can open."""

from __future__ import annotations

from typing import Any

import pytest

from nuanxin.accounts.models import Role, User
from nuanxin.bikes.models import MaintenanceWorker
from nuanxin.core.nav import sections

PERSONAS = [
    "officer_a",
    "reviewer",
    "chief",
    "dispatcher",
    "analyst",
    "admin",
    "merchant",
    "operator_admin",
    "outsider",
]


def offered_paths(client: Any) -> list[str]:
    response = client.get("/staff/")
    assert response.status_code == 200
    return [t.section.path for _label, group in response.context["groups"] for t in group]


def maintenance_user(personas: Any) -> User:
    user = User.objects.create_user(
        username="mw01", password=personas.PASSWORD, role=Role.MAINTENANCE
    )
    MaintenanceWorker.objects.create(user=user, operator=personas.operator, name="运维一号")
    return user


def assert_offers_exactly_what_opens(client: Any, user: Any) -> list[str]:
    """Offered opens; withheld refuses, except for a superuser, whom every role check lets
    in and who is simply not offered the merchants' and operators' own portals."""
    offered = offered_paths(client)
    for section in sections():
        status = client.get(section.path).status_code
        if section.path in offered:
            assert status == 200, f"{section.path} offered but answers {status}"
        elif not user.is_superuser:
            assert status in (302, 403, 404), f"{section.path} withheld but answers {status}"
    return offered


@pytest.mark.parametrize("name", PERSONAS)
def test_every_section_offered_opens_and_every_section_withheld_refuses(client_for, personas, name):
    user = getattr(personas, name)
    assert_offers_exactly_what_opens(client_for(user), user)


def test_a_maintenance_worker_is_offered_the_operator_portal(client_for, personas):
    user = maintenance_user(personas)
    offered = assert_offers_exactly_what_opens(client_for(user), user)
    assert "/operator/" in offered
    assert "/staff/cases/" not in offered


def test_a_merchant_is_offered_its_shop_and_no_staff_page(client_for, personas):
    offered = offered_paths(client_for(personas.merchant))
    assert offered[:2] == ["/portal/", "/portal/complaints/"]
    assert not [p for p in offered if p.startswith(("/staff/", "/dashboard/"))]


def test_an_officer_gets_the_street_and_bike_pages_but_not_the_quota_simulation(
    client_for, personas
):
    offered = offered_paths(client_for(personas.officer_a))
    assert {"/staff/cases/", "/staff/bikes/", "/dashboard/"} <= set(offered)
    assert "/dashboard/fleet/" not in offered
    assert "/admin/" not in offered


def test_a_user_without_a_role_is_told_so(client_for, personas):
    response = client_for(personas.outsider).get("/staff/")
    assert [t.section.path for _l, g in response.context["groups"] for t in g] == ["/api/v1/docs"]
    assert "尚未分配角色" in response.content.decode()
    assert "尚未分配角色" not in client_for(personas.officer_a).get("/staff/").content.decode()


def test_the_workbench_needs_a_login(client):
    response = client.get("/staff/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def to_do(client: Any, path: str) -> tuple[str, int] | None:
    """The to-do badge on the workbench tile for `path`, as (label, count)."""
    groups = client.get("/staff/").context["groups"]
    tile = next(t for _label, group in groups for t in group if t.section.path == path)
    return None if tile.to_do is None else (str(tile.to_do[0]), tile.to_do[1])


def test_a_chief_sees_how_many_cases_wait_for_approval(client_for, personas, file_case):
    file_case()
    client = client_for(personas.chief)
    assert to_do(client, "/staff/cases/") == ("待我审批", 1)
    assert "待我审批 1" in client.get("/staff/").content.decode()
    assert to_do(client_for(personas.officer_a), "/staff/cases/") is None


def test_a_reviewer_sees_how_many_cases_wait_for_legal_review(client_for, personas, file_case):
    from nuanxin.cases.models import Case, CaseStatus

    case = file_case()
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.LEGAL_REVIEW)  # setup only
    assert to_do(client_for(personas.reviewer), "/staff/cases/") == ("待法制审核", 1)


def test_operators_see_their_open_reminders_and_staff_the_overdue_ones(client_for, personas):
    import datetime as dt

    from django.utils import timezone

    from nuanxin.notices.models import Notice
    from tests.compliance.factories import make_bike, make_spot
    from tests.notices.test_loop import violate

    make_spot("S1")
    violate(make_bike(personas.operator))
    violate(make_bike(personas.other_operator))
    assert to_do(client_for(personas.operator_admin), "/operator/") == ("待整改", 1)
    dispatcher = client_for(personas.dispatcher)
    assert to_do(dispatcher, "/staff/bikes/notices/") == ("已超期", 0)
    assert "已超期 0" not in dispatcher.get("/staff/").content.decode()  # no badge for none
    past = timezone.now() - dt.timedelta(minutes=1)
    Notice.objects.filter(operator=personas.other_operator).update(deadline=past)  # setup only
    assert to_do(dispatcher, "/staff/bikes/notices/") == ("已超期", 1)
