"""Public, city-published MDS Policy / Geography and GBFS endpoints (no authentication)."""

from __future__ import annotations

import uuid

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from nuanxin.mds import gbfs
from nuanxin.mds.agency import MDS_VERSION, mds_error, mds_response, mds_versioned
from nuanxin.mds.models import Policy
from nuanxin.mds.policy import geographies_all, geography_one, ms, policy_json
from nuanxin.mds.requirements import requirements_document


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _window(request: HttpRequest, name: str) -> int | None:
    raw = request.GET.get(name)
    if raw in (None, ""):
        return None
    if not raw.isdigit():
        raise ValueError(name)
    return int(raw)


@require_GET
@mds_versioned
def policies(request: HttpRequest) -> HttpResponse:
    """Policies active in [start_date, end_date] (default: now)."""
    try:
        start, end = _window(request, "start_date"), _window(request, "end_date")
    except ValueError as exc:
        return mds_error(400, "bad_param", _("时间参数必须是毫秒时间戳。"), [str(exc)])
    now = ms(timezone.now())
    lo = start if start is not None else now
    hi = end if end is not None else lo
    out = []
    for p in Policy.objects.order_by("published_date"):
        p_start, p_end = ms(p.start_date), ms(p.end_date)
        if p_start <= hi and (p_end is None or p_end > lo):  # type: ignore[operator]
            out.append(policy_json(p))
    latest = (
        Policy.objects.order_by("-published_date").values_list("published_date", flat=True).first()
    )
    return mds_response(
        {"version": MDS_VERSION, "last_updated": ms(latest) or now, "policies": out}
    )


@require_GET
@mds_versioned
def policy_detail(request: HttpRequest, policy_id: str) -> HttpResponse:
    pid = _uuid(policy_id)
    policy = Policy.objects.filter(policy_id=pid).first() if pid else None
    if policy is None:
        return mds_error(404, "not_found", _("政策不存在。"), ["policy_id"])
    return mds_response(
        {
            "version": MDS_VERSION,
            "last_updated": ms(policy.published_date),
            "policies": [policy_json(policy)],
        }
    )


@require_GET
@mds_versioned
def requirements(request: HttpRequest) -> HttpResponse:
    """MDS Policy Requirements (models/requirements.yaml), versioned by `file_version`."""
    document = requirements_document(base=request.build_absolute_uri("/").rstrip("/"))
    if document is None:
        return mds_error(404, "not_found", _("尚无运营企业，暂无数据要求。"), ["requirements"])
    return mds_response({"version": MDS_VERSION, "requirements": document})


@require_GET
@mds_versioned
def geographies(request: HttpRequest) -> HttpResponse:
    return mds_response(
        {
            "version": MDS_VERSION,
            "last_updated": ms(timezone.now()),
            "geographies": geographies_all(),
        }
    )


@require_GET
@mds_versioned
def geography_detail(request: HttpRequest, geography_id: str) -> HttpResponse:
    gid = _uuid(geography_id)
    doc = geography_one(gid) if gid else None
    if doc is None:
        return mds_error(404, "not_found", _("地理区域不存在。"), ["geography_id"])
    return mds_response(
        {"version": MDS_VERSION, "last_updated": ms(timezone.now()), "geography": doc}
    )


def _gbfs(body: dict) -> HttpResponse:
    response = JsonResponse(body, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = f"public, max-age={gbfs.TTL}"
    return response


@require_GET
def gbfs_manifest(request: HttpRequest) -> HttpResponse:
    return _gbfs(gbfs.gbfs_manifest(request.build_absolute_uri("/").rstrip("/")))


@require_GET
def gbfs_feed(request: HttpRequest, feed: str) -> HttpResponse:
    builder = gbfs.BUILDERS.get(feed)
    if builder is None:
        raise Http404(_("没有这个 GBFS 数据文件。"))
    return _gbfs(builder())
