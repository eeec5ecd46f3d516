"""Every page answers without a server error on a seeded city: each Django admin page of
every registered model (list, search, add, an object, its history) as the superuser, and
every page a persona can reach by following links from the home page and the workbench;
and no page shows a user a link that refuses them (403) or leads nowhere (404)."""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.urls import NoReverseMatch, reverse

LINK = re.compile(r'(?:href|hx-get)="(/[^"#]*)"')
START = ["/", "/staff/"]
SKIP = ("/static/", "/media/", "/admin/", "/accounts/logout")


def _admin_pages() -> list[str]:
    pages = []
    for model, model_admin in admin.site._registry.items():
        info = (model._meta.app_label, model._meta.model_name)
        changelist = reverse("admin:{}_{}_changelist".format(*info))
        pages.append(changelist)
        if model_admin.search_fields:
            pages.append(f"{changelist}?q=1")
        with contextlib.suppress(NoReverseMatch):
            pages.append(reverse("admin:{}_{}_add".format(*info)))
        obj = model._default_manager.order_by("-pk").first()
        if obj is not None:
            pages.append(reverse("admin:{}_{}_change".format(*info), args=[obj.pk]))
            pages.append(reverse("admin:{}_{}_history".format(*info), args=[obj.pk]))
    return pages


def _pattern(path: str) -> str:
    path = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "U", path)
    return re.sub(r"\d+", "N", path.split("?")[0])


def _crawl(client: Client, limit: int = 150, per_pattern: int = 2) -> tuple[int, list]:
    """Breadth-first over same-site links; a few pages of each URL shape. A failure is a
    server error anywhere, or a link that answers 403 or 404 (with the page that showed it)."""
    queue: list[tuple[str, str | None]] = [(p, None) for p in START]
    seen: set[str] = set()
    shapes: dict[str, int] = {}
    failures = []
    while queue and len(seen) < limit:
        path, source = queue.pop(0)
        if path in seen or path.startswith(SKIP):
            continue
        shape = _pattern(path)
        if shapes.get(shape, 0) >= per_pattern:
            continue
        shapes[shape] = shapes.get(shape, 0) + 1
        seen.add(path)
        response = client.get(path)
        if response.status_code >= 500 or (
            source is not None and response.status_code in (403, 404)
        ):
            failures.append((path, response.status_code, source))
            continue
        if response.status_code == 200 and "html" in response.get("Content-Type", ""):
            body = response.content.decode("utf-8", "replace")
            queue.extend(
                (m.replace("&amp;", "&"), path) for m in LINK.findall(body) if m not in seen
            )
    return len(seen), failures


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_no_page_fails_on_a_seeded_city(tmp_path: Path) -> None:
    call_command("seed_demo", "--scale", "0.02", "--accounts-file", str(tmp_path / "a.json"))
    users = get_user_model().objects.all()
    superuser = users.filter(is_superuser=True).first()
    assert superuser is not None

    client = Client(raise_request_exception=False)
    client.force_login(superuser, backend="django.contrib.auth.backends.ModelBackend")
    pages = _admin_pages()
    failures = [(p, r.status_code) for p in pages if (r := client.get(p)).status_code >= 500]
    assert len(pages) > 150 and not failures, failures

    fetched = 0
    for user in [None, *users]:
        client = Client(raise_request_exception=False)
        if user is not None:
            client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        count, failures = _crawl(client)
        fetched += count
        assert not failures, (getattr(user, "username", "anonymous"), failures)
    assert fetched > 300
