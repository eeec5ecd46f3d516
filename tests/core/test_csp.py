"""Pages carry a Content-Security-Policy that allows scripts from this site only; the
templates give it nothing to refuse (the browser tests' page fixtures fail on any refusal)."""

from __future__ import annotations

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def test_an_html_page_allows_scripts_from_this_site_only(client):
    policy = client.get("/")["Content-Security-Policy"]
    assert "script-src 'self';" in policy
    assert "unsafe-inline" not in policy.split("style-src")[0]
    assert "unsafe-eval" not in policy
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy


def test_json_answers_carry_no_policy(client):
    assert "Content-Security-Policy" not in client.get("/healthz")
    assert "Content-Security-Policy" not in client.get("/api/v1/openapi.json")


def test_the_policy_can_be_switched_off(settings):
    from django.http import HttpResponse

    from nuanxin.core.middleware import ContentSecurityPolicyMiddleware

    def page(request):
        return HttpResponse("<p>x</p>")

    assert "Content-Security-Policy" in ContentSecurityPolicyMiddleware(page)(None)
    settings.CONTENT_SECURITY_POLICY = ""
    assert "Content-Security-Policy" not in ContentSecurityPolicyMiddleware(page)(None)


def test_no_template_has_an_inline_script_an_inline_handler_or_a_js_expression():
    found = []
    for path in sorted(TEMPLATES.glob("**/*.html")):
        text = path.read_text(encoding="utf-8")
        name = path.relative_to(TEMPLATES)
        for tag in re.findall(r"<script\b[^>]*>", text):
            if "src=" not in tag and 'type="application/json"' not in tag:
                found.append(f"{name}: {tag}")
        found += [f"{name}: {h}" for h in re.findall(r"\son[a-z]+=\"", text)]
        found += [f"{name}: js:" for _ in re.findall(r"hx-vals='js:", text)]
    assert not found, found
