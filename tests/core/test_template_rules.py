"""Rules every template keeps, checked on their source: nothing for the Content-Security-
Policy to refuse, and a CSRF token in every form that posts (the test client skips CSRF
checks, so a form without one passes every view test and fails in every browser)."""

from __future__ import annotations

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def templates() -> list[tuple[Path, str]]:
    return [
        (p.relative_to(TEMPLATES), p.read_text(encoding="utf-8"))
        for p in sorted(TEMPLATES.glob("**/*.html"))
    ]


def test_no_template_has_an_inline_script_an_inline_handler_or_a_js_expression():
    found = []
    for name, text in templates():
        for tag in re.findall(r"<script\b[^>]*>", text):
            if "src=" not in tag and 'type="application/json"' not in tag:
                found.append(f"{name}: {tag}")
        found += [f"{name}: {h}" for h in re.findall(r"\son[a-z]+=\"", text)]
        found += [f"{name}: js:" for _ in re.findall(r"hx-vals='js:", text)]
    assert not found, found


def test_every_form_that_posts_carries_a_csrf_token():
    found = []
    for name, text in templates():
        for form in re.finditer(r"(<form\b[^>]*>)(.*?)</form>", text, re.S | re.I):
            if re.search(r'method="post"', form.group(1), re.I) and "csrf_token" not in form.group(
                2
            ):
                found.append(f"{name}: {form.group(1)}")
    assert not found, found


def test_both_page_bases_link_the_favicon_that_exists():
    icon = TEMPLATES.parent / "static" / "favicon.svg"
    assert icon.read_text(encoding="utf-8").startswith("<svg")
    for base in ("base.html", "doorcodes/public_base.html"):
        assert "{% static 'favicon.svg' %}" in (TEMPLATES / base).read_text(encoding="utf-8")
