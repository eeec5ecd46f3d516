"""Assessment pages and the PDF report: operators read their own, city staff all."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from nuanxin.opcredit.models import Assessment
from nuanxin.opcredit.services import assessment_run
from tests.compliance.factories import make_bike
from tests.notices.test_access import token_for


@dataclass
class Assessed:
    ours: Assessment
    ours_quarter: Assessment
    theirs: Assessment


@pytest.fixture
def assessed(personas) -> Assessed:
    for op in (personas.operator, personas.other_operator):
        for _ in range(3):
            make_bike(op)
    return Assessed(
        ours=assessment_run(operator=personas.operator, period="2026-10"),
        ours_quarter=assessment_run(operator=personas.operator, period="2026-Q3", kind="quarterly"),
        theirs=assessment_run(operator=personas.other_operator, period="2026-10"),
    )


def listed(client: Any, query: str = "") -> list[int]:
    response = client.get(f"/assessments/{query}")
    assert response.status_code == 200
    return [a.pk for a in response.context["page"]]


def pdf_bytes(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def test_an_operator_admin_lists_only_its_own_assessments_newest_first(
    client_for, personas, assessed
):
    client = client_for(personas.operator_admin)
    assert listed(client) == [assessed.ours.pk, assessed.ours_quarter.pk]
    body = client.get("/assessments/").content.decode()
    assert "青桔单车" in body and "哈啰单车" not in body
    assert f"/assessments/{assessed.ours.pk}/report.pdf" in body
    assert 'class="table-scroll"' in body and "outcome-" in body


def test_an_operator_admin_cannot_open_another_operators_assessment_or_report(
    client_for, personas, assessed
):
    client = client_for(personas.operator_admin)
    assert client.get(f"/assessments/{assessed.theirs.pk}/").status_code == 404
    assert client.get(f"/assessments/{assessed.theirs.pk}/report.pdf").status_code == 404
    assert assessed.theirs.pk not in listed(client, "?operator=hellobike")


@pytest.mark.parametrize("persona", ["dispatcher", "chief"])
def test_city_staff_see_every_operators_assessments(client_for, personas, assessed, persona):
    client = client_for(getattr(personas, persona))
    assert set(listed(client)) == {assessed.ours.pk, assessed.ours_quarter.pk, assessed.theirs.pk}
    assert client.get(f"/assessments/{assessed.theirs.pk}/").status_code == 200
    assert client.get(f"/assessments/{assessed.ours.pk}/report.pdf").status_code == 200


def test_the_list_filters_by_operator_and_kind(client_for, personas, assessed):
    client = client_for(personas.chief)
    assert listed(client, "?operator=hellobike") == [assessed.theirs.pk]
    assert listed(client, "?operator=qingju&kind=quarterly") == [assessed.ours_quarter.pk]
    assert len(listed(client, "?kind=monthly")) == 2
    assert len(listed(client, "?kind=nonsense")) == 3


def test_unknown_filter_values_are_named_and_everything_is_listed(client_for, personas, assessed):
    response = client_for(personas.chief).get("/assessments/?kind=yearly&operator=nobike")
    assert len(response.context["page"]) == 3
    assert response.context["notes"] == [
        "未知的运营企业代码“nobike”，已显示全部企业。",
        "未知的考核类型“yearly”，已显示全部类型。",
    ]
    assert 'id="filter-notes"' in response.content.decode()
    assert response.context["operator"] == response.context["kind"] == ""


def test_an_operator_filtering_by_another_operator_sees_its_own_and_a_note(
    client_for, personas, assessed
):
    response = client_for(personas.operator_admin).get("/assessments/?operator=hellobike")
    assert {a.pk for a in response.context["page"]} == {
        assessed.ours.pk,
        assessed.ours_quarter.pk,
    }
    assert response.context["notes"] == ["未知的运营企业代码“hellobike”，已显示全部企业。"]


def test_filter_notes_follow_the_page_language(client_for, personas, assessed):
    client = client_for(personas.chief)
    response = client.get("/assessments/?kind=yearly", HTTP_ACCEPT_LANGUAGE="en")
    assert response.context["notes"] == ['Unknown assessment kind "yearly"; all kinds are shown.']


@pytest.mark.parametrize("persona", ["merchant", "outsider"])
def test_roles_without_operator_scope_are_forbidden(client_for, personas, assessed, persona):
    client = client_for(getattr(personas, persona))
    assert client.get("/assessments/").status_code == 403
    assert client.get(f"/assessments/{assessed.ours.pk}/").status_code == 403
    assert client.get(f"/assessments/{assessed.ours.pk}/report.pdf").status_code == 403


def test_anonymous_visitors_are_sent_to_login(client, assessed):
    for path in (
        "/assessments/",
        f"/assessments/{assessed.ours.pk}/",
        f"/assessments/{assessed.ours.pk}/report.pdf",
    ):
        response = client.get(path)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_detail_page_explains_every_score_item_and_the_outcome(client_for, personas, assessed):
    a = assessed.ours
    response = client_for(personas.operator_admin).get(f"/assessments/{a.pk}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert len(a.breakdown) == 5
    for item in a.breakdown:
        assert f'data-metric="{item["metric"]}"' in body
        assert item["label"] in body and item["explain"] in body
    for reason in a.outcome_reasons:
        assert reason in body
    assert a.rules_version in body and str(a.score) in body
    assert a.get_outcome_display() in body
    assert f"/assessments/{a.pk}/report.pdf" in body


def test_the_report_is_the_stored_pdf_shown_inline(client_for, personas, assessed):
    response = client_for(personas.operator_admin).get(
        f"/assessments/{assessed.ours.pk}/report.pdf"
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'inline; filename="qingju-monthly-2026-10.pdf"'
    assert pdf_bytes(response).startswith(b"%PDF")


def test_an_assessment_without_a_pdf_has_no_report(client_for, personas, assessed):
    Assessment.objects.filter(pk=assessed.ours.pk).update(pdf="")
    client = client_for(personas.operator_admin)
    response = client.get(f"/assessments/{assessed.ours.pk}/report.pdf")
    assert response.status_code == 404
    assert "该考核没有已生成的PDF报告" in response.content.decode()
    detail = client.get(f"/assessments/{assessed.ours.pk}/").content.decode()
    assert f"/assessments/{assessed.ours.pk}/report.pdf" not in detail


def test_a_report_whose_file_is_gone_is_not_found(client_for, personas, assessed):
    assessed.ours.pdf.storage.delete(assessed.ours.pdf.name)
    response = client_for(personas.chief).get(f"/assessments/{assessed.ours.pk}/report.pdf")
    assert response.status_code == 404
    assert "该考核没有已生成的PDF报告" in response.content.decode()


def test_an_operator_token_fetches_its_own_report_from_the_api(client, personas, assessed):
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token_for(personas.operator)}"}
    url = f"/api/v1/opcredit/assessments/{assessed.ours.pk}/report.pdf"
    response = client.get(url, **auth)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert pdf_bytes(response).startswith(b"%PDF")
    theirs = f"/api/v1/opcredit/assessments/{assessed.theirs.pk}/report.pdf"
    assert client.get(theirs, **auth).status_code == 404


def test_the_api_report_without_a_pdf_is_not_found(client, personas, assessed):
    Assessment.objects.filter(pk=assessed.ours.pk).update(pdf="")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token_for(personas.operator)}"}
    response = client.get(f"/api/v1/opcredit/assessments/{assessed.ours.pk}/report.pdf", **auth)
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert "PDF" in response.json()["detail"]


def test_api_assessments_carry_a_report_url(client, personas, assessed):
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token_for(personas.operator)}"}
    data = client.get("/api/v1/opcredit/assessments", **auth).json()
    urls = {d["id"]: d["report_url"] for d in data}
    assert urls[assessed.ours.pk] == f"/api/v1/opcredit/assessments/{assessed.ours.pk}/report.pdf"
    assert client.get(urls[assessed.ours.pk], **auth).status_code == 200
    Assessment.objects.filter(pk=assessed.ours.pk).update(pdf="")
    one = client.get(f"/api/v1/opcredit/assessments/{assessed.ours.pk}", **auth).json()
    assert one["report_url"] is None


def test_a_staff_session_fetches_any_report_from_the_api(client_for, personas, assessed):
    client = client_for(personas.dispatcher)
    response = client.get(f"/api/v1/opcredit/assessments/{assessed.theirs.pk}/report.pdf")
    assert response.status_code == 200
    assert pdf_bytes(response).startswith(b"%PDF")
