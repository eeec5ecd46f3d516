"""A citizen on a phone: scan → rate → complain (with a photo) → track, in headless Chromium."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from nuanxin.feedback.models import Complaint, Rating

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_scan_rate_complain_track_on_a_phone(
    personas: Any, door_code: Any, live_server: Any, phone_page: Any, tmp_path: Path
) -> None:
    page = phone_page
    scan_url = f"{live_server.url}/q/{door_code.token}"

    # Scan: the merchant page, made for a phone.
    page.goto(scan_url)
    assert page.text_content("#merchant-name") == "老王烧烤店"
    assert "官方认证" in page.content()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # no sideways scrolling on a 390 px wide phone

    # Rate: four stars and a tag.
    page.click("#btn-rate")
    page.click("label[for=star4]")
    page.click("text=服务热情")
    page.fill("textarea[name=text]", "老板很热情")
    page.click("#rate-submit")
    page.wait_for_selector("#rated")
    rating = Rating.objects.get()
    assert rating.stars == 4 and rating.tags == ["服务热情"]
    assert rating.device_key.startswith("d:")  # the signed device cookie, not the IP
    page.goto(scan_url)
    assert page.text_content("#rating-average") == "4.0"

    # Complain, with a photo taken on the phone (EXIF and all).
    photo = tmp_path / "IMG_0001.jpg"
    image = Image.new("RGB", (320, 240), (180, 60, 30))
    exif = Image.Exif()
    exif[0x0110] = "PhoneCam"
    buf = io.BytesIO()
    image.save(buf, format="JPEG", exif=exif)
    photo.write_bytes(buf.getvalue())
    page.click("#btn-complain")
    page.select_option("select[name=category]", "street_occupation")
    page.fill("textarea[name=description]", "晚上在店门口摆满桌椅，行人只能走机动车道")
    page.fill("input[name=phone]", "13912345678")
    page.set_input_files("input[name=photos]", str(photo))
    page.click("#complain-submit")
    page.wait_for_selector("#tracking-no")
    complaint = Complaint.objects.get()
    assert page.text_content("#tracking-no") == complaint.tracking_no
    assert page.text_content("#status") == "已分派"
    assert complaint.photos.count() == 1 and complaint.district == personas.district_a
    assert "13912345678" not in page.content()
    shown = page.locator("img.complaint-photo")
    assert shown.count() == 1
    assert shown.evaluate("img => img.naturalWidth") == 320  # the display copy loads

    # Track: later, from the lookup form.
    page.goto(f"{live_server.url}/c/")
    page.fill("input[name=no]", complaint.tracking_no)
    page.click("button.btn")
    page.wait_for_selector("#tracking-no")
    assert page.text_content("#tracking-no") == complaint.tracking_no
    assert "按位置自动分派" in page.content()
