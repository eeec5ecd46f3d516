from __future__ import annotations

import datetime as dt
import io
import re
import subprocess
from typing import Any

import pytest
from django.utils import timezone
from PIL import Image

from nuanxin.laws.selectors import tag_get
from nuanxin.violations.printing import (
    DOTS,
    escpos_bitmap,
    escpos_text,
    slip_bitmap,
    slip_cpcl,
    slip_pdf,
    slip_png,
    slip_text_lines,
)
from nuanxin.violations.services import party_for_merchant, violation_record


@pytest.fixture
def slip(personas: Any, catalogue: Any) -> Any:
    party = party_for_merchant(merchant=personas.merchant_shop, by=personas.officer_a)
    v = violation_record(
        party=party, tag=tag_get("open_air_bbq"), occurred_at=timezone.now() - dt.timedelta(hours=1),
        place="人民路18号门前", lat=33.87, lng=115.75, source="field", by=personas.officer_a,
        facts={"corrected_promptly": True},
    )  # fmt: skip
    return v.slip


def test_the_slip_says_everything_it_must(slip: Any) -> None:
    text = "\n".join(slip_text_lines(slip.content)).replace("\n", "")
    for needle in [
        slip.number, "老王烧烤店", "人民路18号门前", "露天烧烤",
        "《中华人民共和国大气污染防治法》第八十一条",  # violated
        "《中华人民共和国大气污染防治法》第一百一十八条第三款“责令改正，没收烧烤工具和违法所得，并处五百元以上二万元以下罚款”",
        "立即停止露天烧烤", "立即改正", "谯城区北关中队", "0558-12319", "亳州市城市管理局",
    ]:  # fmt: skip
        assert needle in text, needle


def test_escpos_text_decodes_back_from_gb18030(slip: Any) -> None:
    data = escpos_text(slip.content)
    assert data.endswith(b"\x1dV\x00")  # full cut
    for line in slip_text_lines(slip.content):
        assert line.encode("gb18030") in data, line
    decoded = data.decode("gb18030")  # strict: every byte decodes
    assert decoded.replace("\n", "").count(slip.number) == 1
    # The printer's own QR command carries the verification URL.
    assert b"\x1d(k" in data and slip.content["verify_url"].encode() in data


def test_bitmap_variant_is_384_dots_wide(slip: Any) -> None:
    img = slip_bitmap(slip.content)
    assert img.width == DOTS == 384
    assert img.mode == "1"
    data = escpos_bitmap(slip.content)
    # GS v 0: raster bit image; width in bytes is 384 / 8 = 48.
    m = re.search(rb"\x1dv0\x00(..)(..)", data, re.S)
    assert m is not None
    assert int.from_bytes(m.group(1), "little") == 48
    assert "温馨提示单".encode("gb18030") not in data  # no text: printers without fonts


def test_cpcl_is_well_formed_gbk(slip: Any) -> None:
    data = slip_cpcl(slip.content)
    text = data.decode("gbk")
    lines = text.split("\r\n")
    head = re.fullmatch(r"! 0 200 200 (\d+) 1", lines[0])
    assert head is not None
    height = int(head.group(1))
    assert lines[-2] == "PRINT" and lines[-1] == ""
    ys = [int(m.group(1)) for m in re.finditer(r"^TEXT 24 0 0 (\d+) ", text, re.M)]
    assert ys == sorted(ys) and max(ys) < height
    assert "B QR" in text and f"MA,{slip.content['verify_url']}" in lines
    assert text.index("ENDQR") > text.index("B QR")
    assert slip.number in text


def test_slip_qr_decodes_to_the_verification_url_which_opens(slip: Any, client: Any) -> None:
    zxingcpp = pytest.importorskip("zxingcpp")
    img = Image.open(io.BytesIO(slip_png(slip.content)))
    found = [r.text for r in zxingcpp.read_barcodes(img.convert("L"))]
    assert found == [slip.content["verify_url"]]
    path = found[0].split("://", 1)[1]
    path = path[path.index("/") :]
    assert path == f"/v/slip/{slip.token}"
    page = client.get(path)
    assert page.status_code == 200
    body = page.content.decode()
    assert slip.number in body and slip.content_sha256 in body
    assert "有效" in body
    # No personal data on the public page.
    assert "老王烧烤店" not in body and "13905581234" not in body and "人民路18号" not in body


def test_pdf_preview_has_the_text_and_the_qr(slip: Any, tmp_path: Any) -> None:
    pdf = tmp_path / "slip.pdf"
    pdf.write_bytes(slip_pdf(slip.content))
    if subprocess.run(["which", "pdftotext"], capture_output=True).returncode != 0:
        pytest.skip("poppler-utils not installed")
    out = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, check=True
    ).stdout.decode()
    flat = out.replace("\n", "")
    assert slip.number in flat and "露天烧烤" in flat and "温馨提示单" in flat
    subprocess.run(["pdftoppm", "-r", "300", "-png", str(pdf), str(tmp_path / "p")], check=True)
    zxingcpp = pytest.importorskip("zxingcpp")
    page = Image.open(next(tmp_path.glob("p*.png")))
    assert [r.text for r in zxingcpp.read_barcodes(page)] == [slip.content["verify_url"]]
