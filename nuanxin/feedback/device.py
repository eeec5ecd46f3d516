"""The anonymous device id: a signed cookie, with the IP address as the fallback."""

from __future__ import annotations

import hashlib
import re
import secrets

from django.http import HttpRequest, HttpResponse

from nuanxin.core.http import client_ip

COOKIE = "nx_device"
SALT = "nuanxin.feedback.device"
MAX_AGE = 3 * 365 * 24 * 3600


def device_cookie_id(request: HttpRequest) -> str | None:
    value = request.get_signed_cookie(COOKIE, default=None, salt=SALT, max_age=MAX_AGE)
    return value or None


def device_key(request: HttpRequest) -> str:
    """`d:<cookie id>` when the browser keeps our cookie, else `ip:<address>`."""
    cookie_id = device_cookie_id(request)
    if cookie_id:
        return f"d:{cookie_id}"
    return f"ip:{client_ip(request) or 'unknown'}"


def ensure_device_cookie(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    if device_cookie_id(request) is None:
        response.set_signed_cookie(
            COOKIE,
            secrets.token_urlsafe(16),
            salt=SALT,
            max_age=MAX_AGE,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure(),
        )
    return response


API_DEVICE_HEADER = "HTTP_X_DEVICE_ID"
_API_DEVICE_RE = re.compile(r"^[A-Za-z0-9_\-]{8,64}$")


def api_device_key(request: HttpRequest) -> str:
    """The device for JSON clients: our signed cookie when the client keeps it, else the
    app's own install id from `X-Device-Id` (hashed, so the raw id is never stored), else
    the IP address. Like a cleared cookie, a changed id only evades the per-day rule; the
    per-IP rate limit still applies."""
    cookie_id = device_cookie_id(request)
    if cookie_id:
        return f"d:{cookie_id}"
    offered = request.META.get(API_DEVICE_HEADER, "").strip()
    if _API_DEVICE_RE.match(offered):
        return "a:" + hashlib.sha256(offered.encode()).hexdigest()[:32]
    return f"ip:{client_ip(request) or 'unknown'}"
