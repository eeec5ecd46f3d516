from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from nuanxin.cases.models import Case, CaseStatus
from nuanxin.cases.services.common import party_resolve


def test_case_pages_refuse_officers_of_another_district(
    personas: Any, client_for: Any, file_case: Any
) -> None:
    case = file_case()
    url = reverse("cases:detail", args=[case.pk])
    assert client_for(personas.officer_b).get(url).status_code == 404
    assert client_for(personas.officer_a).get(url).status_code == 200
    assert client_for(personas.reviewer).get(url).status_code == 200
    assert client_for(personas.merchant).get(url).status_code == 403
    listing = client_for(personas.officer_b).get(reverse("cases:list"))
    assert case.number not in listing.content.decode()


def test_anonymous_is_sent_to_login(client: Any, personas: Any, file_case: Any) -> None:
    case = file_case()
    response = client.get(reverse("cases:detail", args=[case.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_reviewer_posing_as_chief_cannot_approve_through_the_page(
    personas: Any, client_for: Any, file_case: Any
) -> None:
    case = file_case()
    response = client_for(personas.reviewer).post(
        reverse("cases:act", args=[case.pk, "approve"]),
        {"decision": "approve"},
        HTTP_HX_REQUEST="true",
    )
    assert "负责人" in response.content.decode()
    assert Case.objects.get(pk=case.pk).filing_approved_at is None


@pytest.mark.slow
def test_chief_approves_from_the_phone_page_with_a_signed_filing_form(
    personas: Any, client_for: Any, file_case: Any, signing_keys: Any
) -> None:
    case = file_case()
    client = client_for(personas.chief)
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "同意立案并电子签名" in page
    response = client.post(
        reverse("cases:act", args=[case.pk, "approve"]),
        {"decision": "approve", "opinion": "同意"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    case.refresh_from_db()
    assert case.status == CaseStatus.INVESTIGATING and case.chief == personas.chief
    assert "立案审批表" in response.content.decode()


def test_officer_files_a_case_on_the_phone_form(personas: Any, client_for: Any) -> None:
    client = client_for(personas.officer_a)
    from pathlib import Path

    from nuanxin.laws.loader import catalogue_load

    catalogue_load(path=Path(__file__).resolve().parents[2] / "data" / "law" / "catalogue.yaml")
    form = client.get(reverse("cases:new") + "?tag=open_air_bbq")
    assert form.status_code == 200 and "裁量基准建议" in form.content.decode()
    response = client.post(
        reverse("cases:new"),
        {
            "tag_code": "open_air_bbq",
            "party_kind": "person",
            "party_name": "赵六",
            "party_id_number": "341602199203041234",
            "place": "人民路夜市",
            "facts": "在禁止区域露天烧烤。",
            "second_officer": personas.officer_a2.pk,
        },
    )
    assert response.status_code == 302, response.content.decode()[:500]
    case = Case.objects.get()
    assert case.party.name == "赵六" and case.status == CaseStatus.FILED
    refused = client_for(personas.reviewer).get(reverse("cases:new"))
    assert refused.status_code == 403


def test_report_page_api_and_excel(personas: Any, client_for: Any) -> None:
    for who in ("reviewer", "chief", "officer_a"):
        client = client_for(getattr(personas, who))
        assert client.get(reverse("cases:report")).status_code == 200
        xlsx = client.get(reverse("cases:report_xlsx"))
        assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
        assert client.get("/api/v1/cases/report").status_code == 200
    assert client_for(personas.merchant).get(reverse("cases:report")).status_code == 403
    assert client_for(personas.merchant).get("/api/v1/cases/report").status_code == 403


def test_party_timeline_page_api_and_pdf(personas: Any, client_for: Any, file_case: Any) -> None:
    case = file_case()
    party = case.party
    client = client_for(personas.officer_a)
    page = client.get(reverse("cases:party", args=[party.pk]))
    assert page.status_code == 200 and case.number in page.content.decode()
    api = client.get(f"/api/v1/cases/parties/{party.pk}/timeline")
    assert api.status_code == 200
    body = api.json()
    assert body["name"] == party.name and any(e["kind"] == "case.file" for e in body["entries"])
    pdf = client.get(f"/api/v1/cases/parties/{party.pk}/timeline.pdf")
    assert pdf.status_code == 200 and pdf.content[:5] == b"%PDF-"
    import subprocess
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(pdf.content)
        f.flush()
        try:
            text = subprocess.run(
                ["pdftotext", f.name, "-"], capture_output=True, text=True, check=True
            ).stdout
        except FileNotFoundError:
            text = None
    if text is not None:
        assert "当事人全生命周期记录" in text and case.number in text
    other = party_resolve(personas.operator, by=personas.chief)
    assert (
        client_for(personas.officer_b).get(reverse("cases:party", args=[party.pk])).status_code
        == 404
    )
    assert (
        client_for(personas.officer_a).get(f"/api/v1/cases/parties/{other.pk}/timeline").status_code
        == 404
    )
    assert (
        client_for(personas.chief).get(f"/api/v1/cases/parties/{other.pk}/timeline").status_code
        == 200
    )


def test_case_api_scopes_by_district(personas: Any, client_for: Any, file_case: Any) -> None:
    case = file_case()
    assert client_for(personas.officer_b).get(f"/api/v1/cases/{case.pk}").status_code == 404
    ok = client_for(personas.officer_a).get(f"/api/v1/cases/{case.pk}")
    assert ok.status_code == 200 and ok.json()["number"] == case.number
    assert [c["id"] for c in client_for(personas.officer_b).get("/api/v1/cases/").json()] == []
    refused = client_for(personas.reviewer).post(
        f"/api/v1/cases/{case.pk}/approve", {"approve": True}, content_type="application/json"
    )
    assert refused.status_code == 403


def test_officer_files_from_a_violation_proposal_prefilled(personas: Any, client_for: Any) -> None:
    from pathlib import Path

    from django.utils import timezone

    from nuanxin.laws.loader import catalogue_load
    from nuanxin.laws.selectors import tag_get
    from nuanxin.violations.models import Violation

    catalogue_load(path=Path(__file__).resolve().parents[2] / "data" / "law" / "catalogue.yaml")
    party = party_resolve(personas.merchant_shop, by=personas.officer_a)
    tag = tag_get("outside_shop_trading")
    violation = Violation.objects.create(
        party=party,
        tag=tag,
        tag_code=tag.code,
        catalogue_version=tag.catalogue.version,
        occurred_at=timezone.now(),
        place="人民路18号门前",
        district=personas.district_a,
        source="field",
        outcome="propose_case",
        reason="一年内第三次",
        prior_count=2,
        recorded_by=personas.officer_a,
    )
    client = client_for(personas.officer_a)
    form = client.get(reverse("cases:new") + f"?violation={violation.pk}").content.decode()
    assert "人民路18号门前" in form and "裁量基准建议" in form and tag.name in form
    assert (
        client_for(personas.officer_b)
        .get(reverse("cases:new") + f"?violation={violation.pk}")
        .status_code
        == 404
    )
    client = client_for(personas.officer_a)
    response = client.post(
        reverse("cases:new"),
        {
            "violation": violation.pk,
            "facts": "店外经营，第三次。",
            "second_officer": personas.officer_a2.pk,
        },
    )
    assert response.status_code == 302, response.content.decode()[-800:]
    case = Case.objects.get()
    assert case.party == party and case.tag_code == tag.code and case.violation_ref == violation.pk
    violation.refresh_from_db()
    assert violation.case_ref == case.number
    again = client.post(
        reverse("cases:new"),
        {
            "violation": violation.pk,
            "facts": "重复",
            "second_officer": personas.officer_a2.pk,
        },
    )
    assert again.status_code == 400 and "已立案" in again.content.decode()
