"""Staff pages for shared bikes (/staff/bikes/): the operators at a glance."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from nuanxin.bikes.selectors import operators_overview
from nuanxin.core.access import require_staff
from nuanxin.core.nav import offered

OVERVIEW_DAYS = 30


@login_required
@require_GET
def staff_overview(request: HttpRequest) -> HttpResponse:
    user = require_staff(request.user)
    now = timezone.now()
    return render(
        request,
        "bikes/overview.html",
        {
            "rows": operators_overview(now=now, days=OVERVIEW_DAYS),
            "now": now,
            "days": OVERVIEW_DAYS,
            "links": offered(
                user, "/staff/bikes/notices/", "/assessments/", "/dashboard/", "/dashboard/fleet/"
            ),
        },
    )
