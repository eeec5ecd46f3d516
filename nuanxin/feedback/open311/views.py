"""Open311 GeoReport v2 under /open311/v2/ (JSON only; the spec's error list on bad input).

Spec: http://wiki.open311.org/GeoReport_v2 (frozen). Extensions: `page` / `page_size`.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.conf import settings
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from nuanxin.core.errors import DomainError
from nuanxin.feedback.catalog import category_by_code
from nuanxin.feedback.models import Complaint, ComplaintEvent
from nuanxin.feedback.open311.serializers import (
    MERCHANT_ATTRIBUTE,
    request_json,
    service_definition_json,
    services_json,
)
from nuanxin.feedback.ratelimit import rate_limit_hit
from nuanxin.lib.env import envint

MAX_SPAN = dt.timedelta(days=90)
MAX_PAGE_SIZE = 1000
# An integration relays many citizens from one address, so it is limited per key, not per IP.
OPEN311_MAX_PER_KEY_HOUR = envint("OPEN311_MAX_PER_KEY_HOUR", 600)
CHANGESET = "2026-11-01T00:00:00+08:00"


def _json(data: Any, status: int = 200) -> HttpResponse:
    return HttpResponse(
        json.dumps(data, ensure_ascii=False),
        status=status,
        content_type="application/json; charset=utf-8",
    )


def _error(status: int, description: str) -> HttpResponse:
    return _json([{"code": status, "description": description}], status=status)


class Open311Error(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


def _check_format(fmt: str) -> None:
    if fmt != "json":
        raise Open311Error(400, f"format '{fmt}' is not supported; use .json")


def _handle(func: Any) -> Any:
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            _check_format(kwargs.pop("fmt", "json"))
            return func(request, *args, **kwargs)
        except Open311Error as exc:
            return _error(exc.status, exc.description)

    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    return wrapper


@require_GET
def discovery(request: HttpRequest) -> HttpResponse:
    base = f"{settings.SITE_ROOT}/open311/v2"
    return _json(
        {
            "changeset": CHANGESET,
            "contact": f"{settings.BUREAU_NAME} {settings.BUREAU_CONTACT}",
            "key_service": f"{settings.BUREAU_NAME}：API 密钥由系统管理员在后台签发（集成 open311）",
            "endpoints": [
                {
                    "specification": "http://wiki.open311.org/GeoReport_v2",
                    "url": base,
                    "changeset": CHANGESET,
                    "type": "production",
                    "formats": ["application/json"],
                }
            ],
        }
    )


@require_GET
@_handle
def services(request: HttpRequest) -> HttpResponse:
    return _json(services_json())


@require_GET
@_handle
def service_definition(request: HttpRequest, code: str) -> HttpResponse:
    category = category_by_code(code)
    if category is None:
        raise Open311Error(404, f"service_code '{code}' not found")
    return _json(service_definition_json(category))


def _parse_when(name: str, raw: str) -> dt.datetime:
    value = parse_datetime(raw.replace(" ", "+")) if "T" in raw else None
    if value is None:
        day = parse_date(raw)
        if day is None:
            raise Open311Error(
                400, f"{name} must be a W3C datetime, e.g. 2026-11-01T00:00:00+08:00"
            )
        value = dt.datetime.combine(day, dt.time.min)
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def _positive_int(name: str, raw: str | None, default: int, maximum: int) -> int:
    if raw in (None, ""):
        return default
    try:
        value = int(raw)  # type: ignore[arg-type]
    except ValueError:
        raise Open311Error(400, f"{name} must be a positive integer") from None
    if value < 1:
        raise Open311Error(400, f"{name} must be a positive integer")
    if value > maximum:
        raise Open311Error(400, f"{name} must be at most {maximum}")
    return value


def _with_notes(qs: Any) -> Any:
    return qs.select_related("district", "merchant").prefetch_related(
        Prefetch(
            "events",
            queryset=ComplaintEvent.objects.filter(public=True)
            .exclude(note="")
            .order_by("at", "pk"),
            to_attr="public_notes",
        )
    )


def _requests_get(request: HttpRequest) -> HttpResponse:
    q = request.GET
    qs = Complaint.objects.all()
    ids = [s.strip() for s in q.get("service_request_id", "").split(",") if s.strip()]
    if ids:
        # The spec: a list of ids overrides every other filter.
        rows = _with_notes(qs.filter(tracking_no__in=ids)).order_by("-created_at")
        return _json([request_json(c) for c in rows])
    codes = [s.strip() for s in q.get("service_code", "").split(",") if s.strip()]
    for code in codes:
        if category_by_code(code) is None:
            raise Open311Error(400, f"service_code '{code}' is not a known service")
    if codes:
        qs = qs.filter(category__in=codes)
    statuses = [s.strip().lower() for s in q.get("status", "").split(",") if s.strip()]
    for status in statuses:
        if status not in ("open", "closed"):
            raise Open311Error(400, "status must be open, closed or both (comma-separated)")
    if statuses == ["open"]:
        qs = qs.exclude(status="closed")
    elif statuses == ["closed"]:
        qs = qs.filter(status="closed")
    start = _parse_when("start_date", q["start_date"]) if q.get("start_date") else None
    end = _parse_when("end_date", q["end_date"]) if q.get("end_date") else None
    if start and end and end < start:
        raise Open311Error(400, "end_date must not be before start_date")
    if start and end and end - start > MAX_SPAN:
        raise Open311Error(400, "start_date and end_date may span at most 90 days")
    if start is None:
        end = end or timezone.now()
        start = end - MAX_SPAN
    elif end is None:
        end = start + MAX_SPAN
    qs = qs.filter(created_at__gte=start, created_at__lte=end)
    page = _positive_int("page", q.get("page"), 1, 10**6)
    page_size = _positive_int("page_size", q.get("page_size"), MAX_PAGE_SIZE, MAX_PAGE_SIZE)
    offset = (page - 1) * page_size
    rows = _with_notes(qs).order_by("-created_at", "-pk")[offset : offset + page_size]
    return _json([request_json(c) for c in rows])


def _float(name: str, raw: str) -> float:
    try:
        return float(raw)
    except ValueError:
        raise Open311Error(400, f"{name} must be a number") from None


def _requests_post(request: HttpRequest) -> HttpResponse:
    from nuanxin.accounts.models import ApiToken
    from nuanxin.accounts.selectors import api_token_authenticate
    from nuanxin.feedback.services.complaints import complaint_submit

    p = request.POST
    token = api_token_authenticate(p.get("api_key"))
    if token is None or token.kind != ApiToken.Kind.INTEGRATION or token.integration != "open311":
        raise Open311Error(403, "api_key was not provided or is not valid")
    if not rate_limit_hit(
        bucket="open311", key=f"token:{token.pk}", limit=OPEN311_MAX_PER_KEY_HOUR
    ):
        raise Open311Error(429, "too many requests for this api_key; retry within the hour")
    code = p.get("service_code", "").strip()
    if not code:
        raise Open311Error(400, "service_code was not provided")
    if category_by_code(code) is None:
        raise Open311Error(404, f"service_code '{code}' not found")
    lat_raw, lng_raw = p.get("lat", "").strip(), p.get("long", "").strip()
    address = p.get("address_string", "").strip()
    if not (lat_raw and lng_raw) and not address and not p.get("address_id"):
        raise Open311Error(
            400, "a location is required: lat and long, address_string or address_id"
        )
    lat = _float("lat", lat_raw) if lat_raw else None
    lng = _float("long", lng_raw) if lng_raw else None
    merchant = None
    uscc = (p.get(f"attribute[{MERCHANT_ATTRIBUTE}]") or p.get("address_id") or "").strip().upper()
    if uscc:
        from nuanxin.merchants.models import Merchant

        merchant = Merchant.objects.filter(uscc=uscc).first()
        if merchant is None:
            raise Open311Error(400, f"no merchant with {MERCHANT_ATTRIBUTE} '{uscc}'")
    name = f"{p.get('last_name', '')}{p.get('first_name', '')}".strip()
    try:
        complaint = complaint_submit(
            category=code,
            description=p.get("description", ""),
            source=Complaint.Source.OPEN311,
            merchant=merchant,
            phone=p.get("phone", ""),
            contact_name=name,
            lat=lat,
            lng=lng,
            address=address,
            ip=None,  # limited per key above, not per IP
            device_key=f"open311:{token.pk}:{p.get('device_id', '')}"[:64],
            external_id=p.get("account_id", ""),
            media_url=p.get("media_url", "").strip(),
        )
    except DomainError as exc:
        raise Open311Error(400, exc.message) from None
    return _json(
        [
            {
                "service_request_id": complaint.tracking_no,
                "service_notice": request_json(complaint)["service_notice"],
                "account_id": p.get("account_id") or None,
            }
        ]
    )


@csrf_exempt
@require_http_methods(["GET", "POST"])
@_handle
def requests_view(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _requests_post(request)
    return _requests_get(request)


@require_GET
@_handle
def request_detail(request: HttpRequest, request_id: str) -> HttpResponse:
    complaint = _with_notes(Complaint.objects.filter(tracking_no=request_id)).first()
    if complaint is None:
        raise Open311Error(404, f"service_request_id '{request_id}' not found")
    return _json([request_json(complaint)])
