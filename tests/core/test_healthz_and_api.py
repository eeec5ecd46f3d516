from __future__ import annotations

import pytest


@pytest.mark.django_db
def test_healthz_reports_the_database(client: object) -> None:
    response = client.get("/healthz")  # type: ignore[attr-defined]
    assert response.status_code == 200
    assert response.json()["database"] == "ok"


@pytest.mark.django_db
def test_openapi_document_is_served(client: object) -> None:
    response = client.get("/api/v1/openapi.json")  # type: ignore[attr-defined]
    assert response.status_code == 200
    assert response.json()["info"]["title"].startswith("暖芯")


@pytest.mark.django_db
def test_interactive_docs_are_served(client: object) -> None:
    assert client.get("/api/v1/docs").status_code == 200  # type: ignore[attr-defined]


@pytest.mark.django_db
def test_migrations_are_complete() -> None:
    from django.core.management import call_command

    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
