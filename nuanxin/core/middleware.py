"""Content-Security-Policy on every HTML page.

Django 5.2 has no CSP of its own. The pages carry no inline script (behaviours come from
static files: `static/core/nuanxin.js` and each app's), so scripts are limited to this site,
and a script injected into a page through some unescaped value would not run. Inline style
attributes stay allowed: they carry no code. Other responses (JSON, PDF, images) get no
policy: a PDF shown inline must not be stopped by `object-src`.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.policy = settings.CONTENT_SECURITY_POLICY

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            self.policy
            and response.get("Content-Type", "").startswith("text/html")
            and "Content-Security-Policy" not in response
        ):
            response["Content-Security-Policy"] = self.policy
        return response
