from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    from nuanxin.doorcodes.selectors import _PAGES

    cache.clear()
    _PAGES.clear()


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def door_code(personas: Any) -> Any:
    from nuanxin.doorcodes.services import door_code_issue

    return door_code_issue(merchant=personas.merchant_shop, by=personas.officer_a)


def jpeg_with_gps(name: str = "photo.jpg", size: tuple[int, int] = (64, 48)) -> SimpleUploadedFile:
    """A JPEG carrying EXIF with a GPS position and a camera model."""
    image = Image.new("RGB", size, (200, 80, 20))
    exif = Image.Exif()
    exif[0x0110] = "NuanxinCam 1"  # Model
    exif[0x8825] = {1: "N", 2: (33.0, 52.0, 12.0), 3: "E", 4: (115.0, 45.0, 0.0)}  # GPS IFD
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


@pytest.fixture
def complaint(personas: Any, door_code: Any) -> Any:
    from nuanxin.feedback.services.complaints import complaint_submit

    return complaint_submit(
        category="street_occupation",
        description="店门口摆满桌椅，占用人行道",
        source="scan",
        merchant=personas.merchant_shop,
        door_code=door_code,
        phone="13912345678",
        photos=[jpeg_with_gps()],
        ip="10.1.1.1",
    )
