"""Staff pages for electronic evidence (电子证据): the case's evidence section with the phone
upload form, one item's page with its chain of custody, integrity check and file.

Thin: access goes through `access_case` / `access_evidence`, writes through the services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from nuanxin.cases.access import access_case
from nuanxin.cases.models import Case
from nuanxin.core.access import require_staff
from nuanxin.core.errors import DomainError
from nuanxin.core.http import client_ip
from nuanxin.evidence.access import access_evidence
from nuanxin.evidence.models import EvidenceKind
from nuanxin.evidence.selectors import custody_log, evidence_for_subject
from nuanxin.evidence.services import (
    EXTENSIONS,
    evidence_link,
    evidence_open,
    evidence_upload,
    evidence_verify,
)

# What the phone's file picker offers per kind; the service still sniffs the bytes.
ACCEPT = {
    EvidenceKind.PHOTO: "image/*",
    EvidenceKind.VIDEO: "video/*",
    EvidenceKind.AUDIO: "audio/*",
    EvidenceKind.DOCUMENT: "application/pdf",
}


def _float(value: str, label: str) -> float | None:
    if not value.strip():
        return None
    try:
        return float(value)
    except ValueError as exc:
        raise DomainError("bad_number", _("%(label)s格式不正确。") % {"label": label}) from exc


def _captured_at(value: str) -> dt.datetime:
    """The phone's `datetime-local` value is wall time in Asia/Shanghai; blank means now."""
    if not value.strip():
        return timezone.now()
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise DomainError("bad_time", _("拍摄时间格式不正确。")) from exc
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)


def _section_context(case: Case, **extra: Any) -> dict[str, Any]:
    return {
        "case": case,
        "items": list(evidence_for_subject(case).select_related("uploaded_by")),
        "kinds": [(kind.value, kind.label, ACCEPT[kind]) for kind in EvidenceKind],
        "now": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "error": "",
        "form": {},
        **extra,
    }


def _upload_to_case(request: HttpRequest, case: Case) -> None:
    """Upload and link in one transaction: a refused link leaves no orphan item behind."""
    user = require_staff(request.user)
    upload = request.FILES.get("file")
    if upload is None:
        raise DomainError("file_required", _("请选择要上传的证据文件。"))
    ip = client_ip(request)
    post = request.POST
    with transaction.atomic():
        item = evidence_upload(
            file=upload,
            kind=post.get("kind", ""),
            captured_at=_captured_at(post.get("captured_at", "")),
            lat=_float(post.get("lat", ""), _("纬度")),
            lng=_float(post.get("lng", ""), _("经度")),
            gps_accuracy_m=_float(post.get("gps_accuracy_m", ""), _("定位精度")),
            device_id=post.get("device_id", ""),
            note=post.get("note", ""),
            original_name=upload.name or "",
            by=user,
            source_ip=ip,
        )
        evidence_link(item=item, subject=case, by=user, source_ip=ip)


@login_required
@require_http_methods(["GET", "POST"])
def case_evidence(request: HttpRequest, case_id: int) -> HttpResponse:
    """The case's 证据 section (htmx partial) or, without htmx, a page of its own."""
    case = access_case(request.user, case_id)
    context: dict[str, Any] = {}
    status = 200
    if request.method == "POST":
        try:
            _upload_to_case(request, case)
            context["uploaded"] = True
        except DomainError as exc:
            context["error"] = exc.message
            context["form"] = request.POST
            status = 400 if not request.headers.get("HX-Request") else 200
    template = (
        "evidence/_case_section.html"
        if request.headers.get("HX-Request")
        else "evidence/case_evidence.html"
    )
    return render(request, template, _section_context(case, **context), status=status)


def _item_context(item: Any, **extra: Any) -> dict[str, Any]:
    return {"item": item, "custody": list(custody_log(item)), "verify": None, **extra}


@login_required
@require_GET
def evidence_detail(request: HttpRequest, item_id: int) -> HttpResponse:
    item = access_evidence(request.user, item_id)
    return render(request, "evidence/detail.html", _item_context(item))


@login_required
@require_POST
def evidence_check(request: HttpRequest, item_id: int) -> HttpResponse:
    """Re-hash the stored file now; the result joins the chain of custody."""
    item = access_evidence(request.user, item_id)
    _checked, problems = evidence_verify(items=[item], by=request.user)
    context = _item_context(item, verify={"ok": not problems, "problems": problems})
    template = (
        "evidence/_item_body.html" if request.headers.get("HX-Request") else "evidence/detail.html"
    )
    return render(request, template, context)


@login_required
@require_GET
def evidence_file(request: HttpRequest, item_id: int) -> FileResponse:
    """The stored file, never a media URL: every view or export is logged in custody."""
    user: Any = request.user  # access_evidence has checked the login and the role
    item = access_evidence(user, item_id)
    export = request.GET.get("export") == "1"
    handle = evidence_open(item=item, by=user, export=export, source_ip=client_ip(request))
    response = FileResponse(handle, content_type=item.mime_type, as_attachment=export)
    if export:
        extension = EXTENSIONS.get(item.mime_type, "bin")
        response["Content-Disposition"] = (
            f'attachment; filename="evidence-{item.pk}-{item.sha256[:12]}.{extension}"'
        )
    response["X-Content-Type-Options"] = "nosniff"
    response["X-Evidence-SHA256"] = item.sha256
    response["Cache-Control"] = "private, no-store"
    return response
