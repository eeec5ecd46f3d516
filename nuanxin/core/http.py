"""Request helpers shared by views and APIs."""

from __future__ import annotations

from django.http import HttpRequest

from nuanxin.lib.env import envint

# How many reverse proxies sit in front of the app and append to X-Forwarded-For.
TRUSTED_PROXY_COUNT = envint("TRUSTED_PROXY_COUNT", 0)


def client_ip(request: HttpRequest) -> str | None:
    """The caller's IP for audit rows: the proxy-appended X-Forwarded-For entry when
    TRUSTED_PROXY_COUNT proxies are configured, else REMOTE_ADDR (never a client-set header)."""
    if TRUSTED_PROXY_COUNT:
        forwarded = [
            p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()
        ]
        if len(forwarded) >= TRUSTED_PROXY_COUNT:
            return forwarded[-TRUSTED_PROXY_COUNT]
    return request.META.get("REMOTE_ADDR") or None
