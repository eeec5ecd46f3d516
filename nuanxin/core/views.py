from __future__ import annotations

import time

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone

from nuanxin.core.health import health_report
from nuanxin.core.nav import sections_for


def healthz(request: HttpRequest) -> JsonResponse:
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        db_ok = True
    except Exception as exc:  # the point of a health check is to report, not to raise
        return JsonResponse({"status": "error", "database": f"error: {exc}"}, status=503)
    checks = health_report(timezone.now())
    degraded = any(check.get("problem") for check in checks.values())
    return JsonResponse(
        {
            "status": "degraded" if degraded else "ok",
            "database": "ok" if db_ok else "error",
            "database_vendor": connection.vendor,
            "database_ms": round((time.perf_counter() - started) * 1000, 2),
            "checks": checks,
        }
    )


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html")


@login_required
def staff_home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/staff_home.html", {"groups": sections_for(request.user)})
