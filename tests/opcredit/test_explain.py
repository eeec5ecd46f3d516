"""Score explanations in the reader's language, rendered from the stored parameters; the
stored text (and the PDF) stay Chinese; assessments stored before keep their text."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from nuanxin.opcredit.explain import NOTES, REASONS, ROW_TEXT, SENTENCES
from nuanxin.opcredit.models import Assessment
from nuanxin.opcredit.services import assessment_run
from tests.notices.test_access import token_for
from tests.opcredit.test_assess import SH, fleet, notice


def cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


@pytest.fixture
def assessed(personas) -> Assessment:
    op = personas.operator
    op.quota = 1000
    op.save(update_fields=["quota"])
    bikes = fleet(op, 50)
    notice(op, bikes[0], dt.datetime(2026, 10, 5, 9, tzinfo=SH), "penalised")
    return assessment_run(operator=op, period="2026-10")


@pytest.fixture
def api(client, personas):
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token_for(personas.operator)}"}

    def get(pk: int, **headers) -> dict:
        response = client.get(f"/api/v1/opcredit/assessments/{pk}", **auth, **headers)
        assert response.status_code == 200
        return response.json()

    return get


def test_every_explanation_has_an_english_translation():
    with translation.override("en"):
        for template in [ROW_TEXT, SENTENCES, *NOTES.values(), *REASONS.values()]:
            if template != SENTENCES:
                assert translation.gettext(template) != template, template
        assert translation.gettext(SENTENCES) == "%(first)s %(second)s"


def test_the_api_explains_in_the_request_language(api, assessed):
    en = api(assessed.pk, HTTP_ACCEPT_LANGUAGE="en")
    rows = {r["metric"]: r for r in en["breakdown"]}
    row = rows["response_time"]
    assert row["label"] == "Average response time (minutes)"
    assert row["text"].startswith("Average response time (minutes): actual 30.0")
    assert "1 not fixed in time (penalised), each counted as 30 minutes" in row["text"]
    assert row["explain"].startswith("Average minutes")
    assert assessed.outcome == "penalty" and en["outcome_label"] == "Penalty (quota cut)"
    assert len(en["outcome_reasons"]) == len(assessed.outcome_reasons) > 1
    assert not any(cjk(r) for r in en["outcome_reasons"])
    assert en["outcome_reasons"][0].startswith("Score below 70: quota cut 10%")
    zh = api(assessed.pk)
    assert zh["breakdown"][0]["label"] == "平均整改响应时间（分钟）"
    assert zh["outcome_reasons"] == assessed.outcome_reasons


def test_the_detail_page_explains_in_english(client_for, personas, assessed):
    client = client_for(personas.chief)
    body = client.get(f"/assessments/{assessed.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Average response time (minutes)" in body and "平均整改响应时间" not in body
    assert "Valid complaints per 100 bikes" in body
    for text in assessed.outcome_reasons:
        assert text not in body
    with translation.override("en"):
        for text in assessed.reasons_display():
            assert text in body


def test_what_is_stored_and_the_pdf_stay_chinese_whatever_the_callers_language(personas, tmp_path):
    import subprocess

    fleet(personas.operator, 10)
    with translation.override("en"):
        a = assessment_run(operator=personas.operator, period="2026-10")
    assert a.breakdown[0]["text"].startswith("平均整改响应时间（分钟）：实际")
    assert a.outcome_reasons and all(cjk(r) for r in a.outcome_reasons)
    pdf = tmp_path / "r.pdf"
    pdf.write_bytes(a.pdf.read())
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    compact = "".join(text.split())
    assert "平均整改响应时间" in compact and "月度" in compact and "Monthly" not in compact


def test_an_assessment_stored_before_keeps_its_stored_text(api, assessed):
    legacy_rows = [
        {k: v for k, v in r.items() if k not in ("v", "label_en", "explain_en", "note")}
        for r in assessed.breakdown
    ]
    Assessment.objects.filter(pk=assessed.pk).update(breakdown=legacy_rows, outcome_detail={})
    en = api(assessed.pk, HTTP_ACCEPT_LANGUAGE="en")
    assert en["outcome_reasons"] == assessed.outcome_reasons
    assert [r["text"] for r in en["breakdown"]] == [r["text"] for r in legacy_rows]
    assert en["breakdown"][0]["label"] == "平均整改响应时间（分钟）"
