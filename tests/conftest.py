"""Shared fixtures: the named personas every view's ownership test uses, and the browser.

Personas (healthchecks' alice/bob/charlie, in our roles):
- officer_a, officer_a2 — officers of district A (QC-N); officer_b — district B (QC-S)
- reviewer (法制审核), chief (负责人), dispatcher, analyst, admin (bureau admin)
- merchant — portal login owning `merchant_shop` in district A
- operator_admin / other_operator_admin — one per bike operator (operator, other_operator)
- outsider — logged in, no role, owns nothing
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs a loop

pytest_plugins = ["tests.case_fixtures"]


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """A request in English activates English for the thread and LocaleMiddleware does not
    switch back: reset after every test so no test depends on the one before it."""
    yield
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)


@dataclass
class Personas:
    bureau: Any
    district_a: Any
    district_b: Any
    officer_a: Any
    officer_a2: Any
    officer_b: Any
    reviewer: Any
    chief: Any
    dispatcher: Any
    analyst: Any
    admin: Any
    merchant: Any
    merchant_shop: Any
    operator: Any
    operator_admin: Any
    other_operator: Any
    other_operator_admin: Any
    outsider: Any

    PASSWORD = "persona-pass-123"


def _box(west: float, south: float, east: float, north: float) -> dict:
    return {
        "type": "Polygon",
        "coordinates": [
            [[west, south], [east, south], [east, north], [west, north], [west, south]]
        ],
    }


@pytest.fixture
def personas(db: Any) -> Personas:
    from nuanxin.accounts.models import Role, User
    from nuanxin.bikes.models import Operator
    from nuanxin.merchants.models import Licence, Merchant
    from nuanxin.orgs.models import Bureau, District

    bureau = Bureau.objects.create(
        code="341600-CGJ",
        name="亳州市城市管理局",
        short_name="亳城管",
        phone="0558-12319",
        boundary=_box(115.70, 33.80, 115.86, 33.90),
    )
    district_a = District.objects.create(
        bureau=bureau,
        code="QC-N",
        name="谯城区北关中队",
        boundary=_box(115.70, 33.85, 115.78, 33.90),
    )
    district_b = District.objects.create(
        bureau=bureau,
        code="QC-S",
        name="谯城区南京中队",
        boundary=_box(115.70, 33.80, 115.78, 33.85),
    )

    def make(username: str, role: str, district: Any = None, **extra: Any) -> Any:
        user = User.objects.create(
            username=username,
            role=role,
            district=district,
            display_name=extra.pop("display_name", username),
            **extra,
        )
        user.set_password(Personas.PASSWORD)
        user.save(update_fields=["password"])
        return user

    merchant_user = make("merchant", Role.MERCHANT, display_name="王老板")
    shop = Merchant.objects.create(
        uscc="92341602MA2TE8K028",
        name="老王烧烤店",
        kind=Merchant.Kind.INDIVIDUAL,
        category="餐饮",
        district=district_a,
        street="北关街道",
        address="亳州市谯城区北关街道人民路18号",
        lat=33.87,
        lng=115.75,
        contact_name="王大明",
        contact_phone="13905581234",
    )
    shop.owners.add(merchant_user)
    Licence.objects.create(
        merchant=shop,
        kind=Licence.Kind.BUSINESS,
        number="BL-TEST-0001",
        issuer="亳州市市场监督管理局",
        valid_from="2020-01-01",
    )
    operator = Operator.objects.create(code="qingju", name="青桔单车", quota=8000)
    other_operator = Operator.objects.create(code="hellobike", name="哈啰单车", quota=8000)
    operator_admin = make("op_admin", Role.OPERATOR_ADMIN)
    operator.members.add(operator_admin)
    other_operator_admin = make("other_op_admin", Role.OPERATOR_ADMIN)
    other_operator.members.add(other_operator_admin)
    return Personas(
        bureau=bureau,
        district_a=district_a,
        district_b=district_b,
        officer_a=make(
            "officer_a", Role.OFFICER, district_a, display_name="张明", badge_no="34160101"
        ),
        officer_a2=make(
            "officer_a2", Role.OFFICER, district_a, display_name="刘洋", badge_no="34160102"
        ),
        officer_b=make(
            "officer_b", Role.OFFICER, district_b, display_name="陈静", badge_no="34160201"
        ),
        reviewer=make("reviewer", Role.REVIEWER, display_name="李法审"),
        chief=make("chief", Role.CHIEF, display_name="王建国", badge_no="34160001"),
        dispatcher=make("dispatcher", Role.DISPATCHER),
        analyst=make("analyst", Role.ANALYST),
        admin=make("admin", Role.BUREAU_ADMIN, is_staff=True, is_superuser=True),
        merchant=merchant_user,
        merchant_shop=shop,
        operator=operator,
        operator_admin=operator_admin,
        other_operator=other_operator,
        other_operator_admin=other_operator_admin,
        outsider=make("outsider", Role.NONE),
    )


@pytest.fixture
def client_for(client: Any) -> Any:
    """`client_for(user)` returns the test client logged in as that persona."""

    def login(user: Any) -> Any:
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return login


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    # Module scope, not session: Playwright's sync API keeps an event loop running in this
    # thread while it is alive, and code that calls asyncio.run() (pyHanko's signing and
    # validation) must not run in a later module while that loop is still open.
    playwright_sync = pytest.importorskip("playwright.sync_api")
    chromium = "/usr/bin/chromium"
    if not os.path.exists(chromium):
        pytest.skip("Debian chromium is not installed (scripts/system-deps.sh installs it)")
    with playwright_sync.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


# A phone (390×844, touch) in Chinese: `browser.new_context(**PHONE, …)` for a test that needs
# more than `phone_page` gives (two users at once, a located phone).
PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
}


@pytest.fixture
def phone_page(browser: Any) -> Iterator[Any]:
    """A phone-sized page (`PHONE`)."""
    yield from _policed_page(browser.new_context(**PHONE))


@pytest.fixture
def desktop_page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    yield from _policed_page(context)


def _policed_page(context: Any) -> Iterator[Any]:
    page = context.new_page()
    refused = csp_refusals(page)
    yield page
    context.close()
    assert not refused, refused


def csp_refusals(page: Any) -> list[str]:
    """What the browser refuses on `page` under the site's Content-Security-Policy (an inline
    script or handler, an eval, a foreign source), collected as it happens: the refusal is
    only a console message, and the page looks fine until it does not. The page fixtures
    fail their test on any; a test that makes its own pages asserts the list is empty."""
    refused: list[str] = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return refused


def browser_login(
    page: Any, live_server: Any, username: str, password: str = Personas.PASSWORD
) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
