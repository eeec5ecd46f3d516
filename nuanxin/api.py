"""The JSON API under /api/v1/ (OpenAPI at /api/v1/openapi.json, docs at /api/v1/docs)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError

from nuanxin.core.errors import DomainError
from nuanxin.notices.webhooks import VERIFY_SNIPPET

WEBHOOKS_DESCRIPTION = """
## 运营企业推送 / Operator webhooks

暖心提醒开具、整改、处罚和关闭时，平台向运营企业的回调地址发送 `POST` 请求（UTF-8 JSON 正文
`{"event": …, "notice": {…}}`，`notice` 的字段与 `/api/v1/operator/notices/{number}` 相同）。回调地址和签名密钥由企业管理员在
企业门户「推送设置」（`/operator/webhook/`）中设置；未设置签名密钥时不发送任何请求。

When a warm reminder is opened, fixed, penalised or closed, Nuanxin sends a `POST` with a
UTF-8 JSON body (`{"event": ..., "notice": {...}}`, the notice with the fields
`/api/v1/operator/notices/{number}` returns) to the operator's webhook URL. The operator's
admin sets the URL and rotates the signing secret in the operator portal (推送设置,
`/operator/webhook/`); nothing is sent while no secret is set.

| header | value |
| --- | --- |
| `X-Nuanxin-Event` | `notice.opened`, `notice.fixed`, `notice.penalised`, `notice.closed` |
| `X-Nuanxin-Delivery` | delivery id, the same on every retry: de-duplicate on it (at-least-once) |
| `X-Nuanxin-Timestamp` | Unix seconds when signed |
| `X-Nuanxin-Signature` | `sha256=` + lowercase hex HMAC-SHA256, key = the signing secret (UTF-8), message = `<X-Nuanxin-Timestamp>.<raw body>` |

Verify over the raw body bytes as received (do not re-serialise the JSON), compare in
constant time, and reject a timestamp more than 5 minutes from now. Answer 2xx once the
request is stored; anything else, or no answer within 5 s, is retried after 10 s, 20 s,
40 s … (at most 1 h apart), 8 attempts in all.

```python
{snippet}```
""".replace("{snippet}", VERIFY_SNIPPET)

api = NinjaAPI(
    title="暖芯 Nuanxin API",
    version="1",
    description="城市管理非接触执法与服务平台 / non-contact urban-management platform\n"
    + WEBHOOKS_DESCRIPTION,
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
