"""Two response rules for every page: a Content-Security-Policy on HTML, and a login
redirect that htmx follows with the whole page.

Content-Security-Policy.

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
from django.http.response import HttpResponseRedirectBase


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


class HtmxLoginRedirectMiddleware:
    """A fragment request (htmx) whose session has expired gets the login page as a whole
    page. The login redirect would otherwise be followed inside the request and the login
    form swapped into the fragment's place (a search box's options list, say); htmx instead
    loads the page that `HX-Redirect` names."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            request.headers.get("HX-Request") == "true"
            and isinstance(response, HttpResponseRedirectBase)
            and response["Location"].startswith(str(settings.LOGIN_URL))
        ):
            redirect = HttpResponse(status=204)
            redirect["HX-Redirect"] = response["Location"]
            return redirect
        return response
