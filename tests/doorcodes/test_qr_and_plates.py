"""The QR is read back by a real decoder (zxing-cpp) from the PNG and from the door-plate
PDF rendered by poppler, and the URL it holds opens the right merchant."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from django.core.management import call_command
from PIL import Image

zxingcpp = pytest.importorskip("zxingcpp")
pytestmark = pytest.mark.django_db


def _decode(image: Image.Image) -> list[str]:
    return [r.text for r in zxingcpp.read_barcodes(image)]


def _opens_merchant(client: Any, url: str, name: str) -> None:
    parsed = urlparse(url)
    assert parsed.scheme in ("http", "https")
    response = client.get(parsed.path)
    assert response.status_code == 200
    assert name in response.content.decode()


def test_png_decodes_to_the_scan_url(
    client_for: Any, client: Any, personas: Any, door_code: Any
) -> None:
    staff = client_for(personas.officer_a)
    response = staff.get(f"/staff/doorcodes/{personas.merchant_shop.pk}/qr.png")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    texts = _decode(Image.open(io.BytesIO(response.content)))
    assert texts == [door_code.url]
    client.logout()
    _opens_merchant(client, texts[0], "老王烧烤店")


def test_svg_is_served(client_for: Any, personas: Any, door_code: Any) -> None:
    response = client_for(personas.officer_a).get(
        f"/staff/doorcodes/{personas.merchant_shop.pk}/qr.svg"
    )
    assert response.status_code == 200
    assert response.content.lstrip().startswith(b"<?xml") and b"<svg" in response.content


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")
def test_door_plate_pdf_decodes_after_rendering(
    client_for: Any, client: Any, personas: Any, door_code: Any, tmp_path: Path
) -> None:
    response = client_for(personas.officer_a).get(
        f"/staff/doorcodes/{personas.merchant_shop.pk}/plate.pdf"
    )
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    pdf = tmp_path / "plate.pdf"
    pdf.write_bytes(response.content)
    subprocess.run(["pdftoppm", "-r", "150", "-png", str(pdf), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page*.png"))
    assert len(pages) == 1
    texts = _decode(Image.open(pages[0]))
    assert texts == [door_code.url]
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "老王烧烤店" in text and "扫码查看证照信用" in text and "亳州市城市管理局" in text
    fonts = subprocess.run(
        ["pdffonts", str(pdf)], capture_output=True, text=True, check=True
    ).stdout
    assert "yes yes" in fonts  # embedded, subset
    client.logout()
    _opens_merchant(client, texts[0], "老王烧烤店")


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")
def test_merchant_plates_command_prints_one_plate_per_page(
    personas: Any, door_code: Any, tmp_path: Path
) -> None:
    from nuanxin.doorcodes.services import door_code_issue
    from nuanxin.merchants.models import Merchant

    other = Merchant.objects.create(
        uscc="91341600MA2N7YJ87X",
        name="南京巷面馆",
        kind=Merchant.Kind.ENTERPRISE,
        district=personas.district_b,
        address="南京巷1号",
        lat=33.82,
        lng=115.75,
        contact_name="李四",
        contact_phone="13800000000",
    )
    other_code = door_code_issue(merchant=other, by=personas.chief)
    out = tmp_path / "all.pdf"
    call_command("merchant_plates", "--out", str(out))
    subprocess.run(["pdftoppm", "-r", "150", "-png", str(out), str(tmp_path / "p")], check=True)
    decoded = [_decode(Image.open(p)) for p in sorted(tmp_path.glob("p*.png"))]
    assert decoded == [[door_code.url], [other_code.url]]
    one = tmp_path / "qcs.pdf"
    call_command("merchant_plates", "--out", str(one), "--district", "QC-S")
    text = subprocess.run(
        ["pdftotext", str(one), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "南京巷面馆" in text and "老王烧烤店" not in text
    single = tmp_path / "one.pdf"
    call_command(
        "merchant_plates", "--out", str(single), "--merchant", str(personas.merchant_shop.pk)
    )
    text = subprocess.run(
        ["pdftotext", str(single), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "老王烧烤店" in text and "南京巷面馆" not in text


def test_merchant_plates_refuses_an_unknown_district(personas: Any, tmp_path: Path) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("merchant_plates", "--out", str(tmp_path / "x.pdf"), "--district", "NOPE")
