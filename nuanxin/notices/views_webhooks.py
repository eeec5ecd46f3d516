"""The operator portal's webhook settings (/operator/webhook/): an operator admin sees and
sets where its notices are pushed, rotates the signing secret (shown once, then only a
masked hint), reads how requests are signed and its recent delivery log.

No test delivery: a `WebhookDelivery` belongs to a notice (`notice` is not nullable), and a
made-up notice would reach the operator's systems as a real one.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from nuanxin.bikes.access import access_operator_administered, operators_administered
from nuanxin.bikes.models import Operator, webhook_https_required
from nuanxin.bikes.services import operator_webhook_secret_rotate, operator_webhook_set
from nuanxin.core.errors import DomainError
from nuanxin.core.http import client_ip
from nuanxin.notices.webhooks import (
    VERIFY_SNIPPET,
    backoff_seconds,
    max_attempts,
    webhook_deliveries_recent,
)


def _page(
    request: HttpRequest,
    operator: Operator,
    *,
    new_secret: str | None = None,
    url: str | None = None,
    status: int = 200,
) -> HttpResponse:
    deliveries = webhook_deliveries_recent(operator_id=operator.pk)
    attempts = sorted((a for d in deliveries for a in d.log.all()), key=lambda a: a.at)
    context = {
        "operator": operator,
        "operators": operators_administered(request.user),
        "url": operator.webhook_url if url is None else url,
        "new_secret": new_secret,
        "https_required": webhook_https_required(),
        "deliveries": deliveries,
        "attempts": list(reversed(attempts))[:50],
        "snippet": VERIFY_SNIPPET,
        "max_attempts": max_attempts(),
        "first_retry_s": backoff_seconds(1),
    }
    response = render(request, "notices/portal_webhook.html", context, status=status)
    if new_secret:
        response["Cache-Control"] = "no-store"  # the one page that shows the secret in full
    return response


@login_required
@never_cache
def webhook_home(request: HttpRequest) -> HttpResponse:
    operators = operators_administered(request.user)
    if not operators:
        raise PermissionDenied(_("您的账号未关联运营企业，请联系城市管理局开通。"))
    return _page(request, operators[0])


@login_required
@never_cache
def webhook_settings(request: HttpRequest, code: str) -> HttpResponse:
    return _page(request, access_operator_administered(request.user, code))


@login_required
@require_POST
def webhook_url_set(request: HttpRequest, code: str) -> HttpResponse:
    operator = access_operator_administered(request.user, code)
    url = request.POST.get("url", "")
    try:
        operator, generated = operator_webhook_set(
            operator=operator, url=url, by=request.user, source_ip=client_ip(request)
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return _page(request, operator, url=url, status=400)
    if generated:
        messages.success(request, _("回调地址已保存，并已生成签名密钥。"))
        return _page(request, operator, new_secret=generated)
    messages.success(request, _("回调地址已保存。") if url.strip() else _("已停用推送。"))
    return redirect("notices:webhook_settings", code=operator.code)


@login_required
@require_POST
def webhook_secret_rotate(request: HttpRequest, code: str) -> HttpResponse:
    operator = access_operator_administered(request.user, code)
    secret = operator_webhook_secret_rotate(
        operator=operator, by=request.user, source_ip=client_ip(request)
    )
    operator.webhook_secret = secret
    messages.success(request, _("已生成新的签名密钥，此后的推送均用新密钥签名。"))
    return _page(request, operator, new_secret=secret)
