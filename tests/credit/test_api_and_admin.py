import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from nuanxin.credit.models import CreditState
from nuanxin.credit.rules import rules_current
from nuanxin.credit.services import credit_event_record


def _penalise(personas) -> None:
    credit_event_record(
        merchant=personas.merchant_shop,
        kind="complaint_substantiated",
        source=personas.outsider,
        occurred_at=timezone.now() - dt.timedelta(days=2),
        by=personas.officer_a,
    )


def test_public_api_shows_the_level_only(personas, client) -> None:
    _penalise(personas)
    data = client.get(f"/api/v1/credit/public/{personas.merchant_shop.pk}").json()
    assert set(data) == {"merchant_id", "level", "label", "rules_version"}
    assert data["level"] == "B"


def test_public_api_does_not_know_unknown_merchants(personas, client) -> None:
    assert client.get("/api/v1/credit/public/999999").status_code == 404


def test_staff_api_explains_every_point(personas, client_for) -> None:
    _penalise(personas)
    data = (
        client_for(personas.officer_a)
        .get(f"/api/v1/credit/merchants/{personas.merchant_shop.pk}")
        .json()
    )
    assert float(data["score"]) == float(rules_current().base_score - 5)
    texts = [line["text"] for line in data["breakdown"]]
    assert any(t.startswith("−5: 投诉属实 #") for t in texts)
    assert data["history"][0]["level"] == "B"


@pytest.mark.parametrize(
    ("who", "status"), [("officer_b", 404), ("merchant", 403), ("outsider", 403)]
)
def test_staff_api_refuses_wrong_personas(personas, client_for, who, status) -> None:
    url = f"/api/v1/credit/merchants/{personas.merchant_shop.pk}"
    assert client_for(getattr(personas, who)).get(url).status_code == status


def test_rules_endpoint_and_admin_show_the_loaded_version(personas, client_for) -> None:
    version = rules_current().version
    assert client_for(personas.outsider).get("/api/v1/credit/rules").json()["version"] == version
    page = client_for(personas.admin).get("/admin/credit/creditstate/")
    assert page.status_code == 200
    assert version in page.content.decode()


def test_the_command_matches_incremental_updates(personas) -> None:
    _penalise(personas)
    incremental = CreditState.objects.get()
    CreditState.objects.all().delete()
    call_command("credit_recompute")
    again = CreditState.objects.get()
    assert (again.score, again.level) == (incremental.score, incremental.level)


def test_an_edited_rules_file_takes_effect_on_recompute(personas, tmp_path, monkeypatch) -> None:
    _penalise(personas)
    from nuanxin.credit.rules import rules_path

    text = rules_path().read_text(encoding="utf-8")
    edited = text.replace('version: "2026.1"', 'version: "2026.2"').replace(
        "    points: -5\n    window_days: 365\n    cap_min: -30",
        "    points: -8\n    window_days: 365\n    cap_min: -30",
    )
    assert edited != text
    path = tmp_path / "rules.yaml"
    path.write_text(edited, encoding="utf-8")
    monkeypatch.setenv("NUANXIN_CREDIT_RULES", str(path))
    call_command("credit_recompute")
    state = CreditState.objects.get()
    assert state.rules_version == "2026.2"
    assert state.score == rules_current().base_score - 8
