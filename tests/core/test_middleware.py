"""nuanxin/core/middleware.py: HTML pages carry a Content-Security-Policy that allows scripts
from this site only (the templates give it nothing to refuse: test_template_rules.py; the
browser tests' page fixtures fail on any refusal), and an htmx request whose session has
expired is sent to the login page as a whole page."""

from __future__ import annotations


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


def test_an_expired_session_sends_an_htmx_request_to_the_login_page_whole(client, db):
    fragment = client.get("/staff/violations/tags?q=sk", HTTP_HX_REQUEST="true")
    assert fragment.status_code == 204
    assert fragment["HX-Redirect"].startswith("/accounts/login/?next=/staff/violations/tags")
    plain = client.get("/staff/violations/tags?q=sk")
    assert plain.status_code == 302  # a page load keeps Django's redirect
