"""The anonymous device id: a signed cookie, with the IP address as the fallback."""

from __future__ import annotations

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
