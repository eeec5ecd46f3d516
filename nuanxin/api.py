"""The JSON API under /api/v1/ (OpenAPI at /api/v1/openapi.json, docs at /api/v1/docs)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError

from nuanxin.core.errors import DomainError

api = NinjaAPI(
    title="暖芯 Nuanxin API",
    version="1",
    description="城市管理非接触执法与服务平台 / non-contact urban-management platform",
    urls_namespace="api-v1",
)


@api.exception_handler(DomainError)
def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return api.create_response(request, exc.as_dict(), status=exc.status_code)


@api.exception_handler(PermissionDenied)
def on_permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return api.create_response(
        request, {"code": "forbidden", "detail": str(exc) or _("无权访问。")}, status=403
    )


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(
        request, {"code": "not_found", "detail": str(exc) or _("对象不存在。")}, status=404
    )


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(
        request,
        {"code": "unauthorized", "detail": _("未认证：请登录或提供有效的API令牌。")},
        status=401,
    )


def _field_problem(error: dict) -> str:
    kind = str(error.get("type", ""))
    if kind == "missing":
        return _("必填")
    if kind.startswith(("int_", "float_")):
        return _("应为数字")
    if kind.startswith("string_"):
        return _("应为文本")
    if kind.startswith("list_"):
        return _("应为列表")
    return _("格式不正确")


@api.exception_handler(ValidationError)
def on_invalid_input(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    """Request shapes refused before any service runs: name each field and what is wrong in
    the user's language; `errors` keeps the machine-readable list."""
    problems = []
    for error in exc.errors:
        location = [str(p) for p in error.get("loc", ()) if p not in ("body", "form", "query")]
        field = ".".join(location[1:] or location) or "?"
        problems.append(
            _("%(field)s（%(problem)s）") % {"field": field, "problem": _field_problem(error)}
        )
    return api.create_response(
        request,
        {
            "code": "invalid_input",
            "detail": _("请求内容有误：%(fields)s") % {"fields": _("；").join(problems)},
            "errors": [
                {"loc": list(e.get("loc", ())), "type": e.get("type", "")} for e in exc.errors
            ],
        },
        status=422,
    )


def _mount() -> None:
    # Each app owns its router; the prefix is fixed here so paths never collide.
    from nuanxin.bikes.api import router as bikes
    from nuanxin.cases.api import router as cases
    from nuanxin.compliance.api import router as compliance
    from nuanxin.credit.api import router as credit
    from nuanxin.dashboard.api import router as dashboard
    from nuanxin.deliveries.api import router as deliveries
    from nuanxin.documents.api import router as documents
    from nuanxin.doorcodes.api import router as doorcodes
    from nuanxin.evidence.api import router as evidence
    from nuanxin.feedback.api import router as feedback
    from nuanxin.insight.api import router as insight
    from nuanxin.laws.api import router as laws
    from nuanxin.merchants.api import router as merchants
    from nuanxin.notices.api import router as notices
    from nuanxin.opcredit.api import router as opcredit
    from nuanxin.violations.api import router as violations

    api.add_router("/merchants/", merchants)
    api.add_router("/doorcodes/", doorcodes)
    api.add_router("/feedback/", feedback)
    api.add_router("/credit/", credit)
    api.add_router("/laws/", laws)
    api.add_router("/violations/", violations)
    api.add_router("/documents/", documents)
    api.add_router("/evidence/", evidence)
    api.add_router("/deliveries/", deliveries)
    api.add_router("/cases/", cases)
    api.add_router("/bikes/", bikes)
    api.add_router("/compliance/", compliance)
    api.add_router("/operator/", notices)
    api.add_router("/opcredit/", opcredit)
    api.add_router("/insight/", insight)
    api.add_router("/dashboard/", dashboard)


_mount()
