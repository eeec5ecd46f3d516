"""The access contract of a page for city staff only, shared by those pages' tests: every
staff persona opens it, everyone else is refused, an anonymous visitor is sent to log in."""

from __future__ import annotations

from typing import Any

STAFF = ["officer_a", "reviewer", "chief", "dispatcher", "analyst", "admin"]
NOT_STAFF = ["merchant", "operator_admin", "outsider"]


def opened_by(client_for: Any, personas: Any, persona: str, url: str) -> str:
    """The page as `persona` sees it (asserting that it opens)."""
    response = client_for(getattr(personas, persona)).get(url)
    assert response.status_code == 200
    return response.content.decode()


def refuses(client_for: Any, personas: Any, persona: str, url: str) -> bool:
    return client_for(getattr(personas, persona)).get(url).status_code == 403


def sends_to_login(client: Any, url: str) -> bool:
    response = client.get(url)
    return response.status_code == 302 and response["Location"].startswith(
        f"/accounts/login/?next={url}"
    )
