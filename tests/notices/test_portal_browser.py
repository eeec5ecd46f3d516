"""The operator portal in a real browser: notice → worker reports the fix → evidence → closed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from nuanxin.compliance.services import bikes_moved
from nuanxin.notices.models import Notice
from tests.compliance.factories import moved
from tests.conftest import browser_login
from tests.notices.test_loop import violate


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_notice_fix_closed_in_the_portal(live_server, desktop_page, personas, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }
    from tests.compliance.factories import LAT0, LNG0, make_bike, make_spot, make_worker, offset

    make_spot("S1")
    bike = make_bike(personas.operator)
    worker = make_worker(personas.operator, "worker_browser", *offset(LAT0, LNG0, 100, 50))
    violate(bike)
    notice = Notice.objects.get(bike=bike)

    page = desktop_page
    browser_login(page, live_server, worker.user.username)
    page.goto(f"{live_server.url}/operator/")
    row = page.locator(f"#open-notices tr[data-number='{notice.number}']")
    assert row.count() == 1
    assert bike.plate in row.inner_text()
    row.locator("a").click()
    assert "待整改" in page.locator("#notice-status").inner_text()
    assert "S1" in page.locator("#explanation").inner_text()
    href = page.locator("#nav-bike").get_attribute("href") or ""
    assert href.startswith("https://uri.amap.com/navigation?") and "coordinate=gaode" in href
    # The worker moves the bike and reports it, with a photo.
    photo = tmp_path / "fix.png"
    from PIL import Image

    Image.new("RGB", (16, 16), "blue").save(photo)
    page.set_input_files("input[name=photo]", str(photo))
    page.click("#report-fix")
    assert page.locator("#reported").count() == 1
    assert "待整改" in page.locator("#notice-status").inner_text()
    # The operator's next MDS event (a compliance pick-up) confirms it.
    bikes_moved(observations=[moved(bike, timezone.now() + dt.timedelta(seconds=5))])
    page.reload()
    assert "已整改" in page.locator("#notice-status").inner_text()
    assert page.locator("#outcome").count() == 1
    page.goto(f"{live_server.url}/operator/")
    assert page.locator(f"#recent-notices tr[data-number='{notice.number}']").count() == 1
