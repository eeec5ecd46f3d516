from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from nuanxin.laws.selectors import tag_get
from nuanxin.violations.services import party_for_merchant, violation_record


@pytest.mark.slow
def test_a_warning_issues_a_sealed_correction_notice(
    personas: Any, catalogue: Any, settings: Any, tmp_path: Path
) -> None:
    from nuanxin.documents.keys import signing_keys_ensure

    settings.SIGNING_KEYS_DIR = tmp_path / "keys"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }
    signing_keys_ensure()
    party = party_for_merchant(merchant=personas.merchant_shop, by=personas.officer_a)
    now = timezone.now()
    args = {
        "party": party, "tag": tag_get("outside_shop_trading"), "place": "人民路18号门前",
        "lat": 33.87, "lng": 115.75, "by": personas.officer_a,
    }  # fmt: skip
    violation_record(occurred_at=now - dt.timedelta(days=30), **args)
    v = violation_record(occurred_at=now - dt.timedelta(hours=1), **args)
    w = v.warning
    assert w.notice_status == "issued", w.notice_error
    doc = w.notice_document
    assert doc.doc_type == "correction_notice" and doc.sealed
    assert doc.party_name == "老王烧烤店"
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils not installed")
    pdf = tmp_path / "notice.pdf"
    with doc.pdf.open("rb") as fh:
        pdf.write_bytes(fh.read())
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, check=True).stdout
    flat = text.decode().replace("\n", "").replace(" ", "")
    assert "店外经营" in flat
    assert w.deadline.strftime("%Y") in flat
