from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.django_db


def test_tracking_api_shows_the_stage_but_no_personal_data(client: Any, complaint: Any) -> None:
    response = client.get(f"/api/v1/feedback/complaints/{complaint.tracking_no.lower()}")
    assert response.status_code == 200
    body = response.json()
    assert body["tracking_no"] == complaint.tracking_no
    assert body["status"] == complaint.status and body["steps"]
    text = response.content.decode()
    assert "13912345678" not in text and "占用人行道" not in text


def test_an_unknown_tracking_number_is_404(client: Any, personas: Any) -> None:
    response = client.get("/api/v1/feedback/complaints/TS00000000XXXX")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
