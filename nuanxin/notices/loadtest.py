"""Synthetic expiring notices for the deadline benchmark and the kill/restart test.

Everything is written through bulk inserts of real rows (bikes, decisions, notices), so the
penalty job sees exactly what production would. Only for scratch databases.
"""

from __future__ import annotations

import statistics
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from nuanxin.bikes.models import Bike, Operator
from nuanxin.compliance.models import ParkingCheck
from nuanxin.notices.models import Notice, PenaltyDecision

LAT0, LNG0 = 33.85, 115.78


def enforcement_setup() -> None:
    """Bureau, law catalogue, seal keys and the operator's e-service consent."""
    from nuanxin.deliveries.services import delivery_consent_record
    from nuanxin.documents.keys import signing_keys_ensure
    from nuanxin.laws.loader import catalogue_load
    from nuanxin.laws.models import CatalogueVersion
    from nuanxin.orgs.models import Bureau
    from nuanxin.violations.services_party import party_for_operator

    Bureau.objects.get_or_create(
        code="341600-CGJ", defaults={"name": "亳州市城市管理局", "short_name": "亳城管"}
    )
    signing_keys_ensure()
    if not CatalogueVersion.objects.exists():
        catalogue_load(path=Path(settings.BASE_DIR) / "data/law/catalogue.yaml")
    operator = _operator()
    with transaction.atomic():
        party = party_for_operator(operator=operator, by=None)
        from nuanxin.deliveries.models import DeliveryConsent

        if not DeliveryConsent.objects.filter(operator=operator, revoked_at__isnull=True).exists():
            from nuanxin.notices.enforcement import system_user

            delivery_consent_record(
                party=party, channels=["portal"], addresses={}, by=system_user()
            )


def _operator() -> Operator:
    op, _ = Operator.objects.get_or_create(
        code="loadtest", defaults={"name": "压测单车", "quota": 1_000_000, "plate_letter": "Z"}
    )
    return op


def notices_create(*, count: int, due_in_s: float) -> datetime:
    """`count` open violation notices of distinct bikes, all due at now + due_in_s."""
    op = _operator()
    now = timezone.now()
    due = now + timedelta(seconds=due_in_s)
    start = Bike.objects.filter(operator=op).count()
    bikes = Bike.objects.bulk_create(
        [
            Bike(operator=op, plate=f"亳Z{start + i:07d}", device_id=uuid.uuid4())
            for i in range(count)
        ],
        batch_size=2000,
    )
    checks = ParkingCheck.objects.bulk_create(
        [
            ParkingCheck(
                bike=b,
                operator=op,
                observed_at=now,
                lat=LAT0,
                lng=LNG0,
                accuracy_m=3.0,
                accuracy_used_m=3.0,
                tolerance_m=1.0,
                source="event",
                source_id=str(uuid.uuid4()),
                verdict="outside",
                rule="no_spot_nearby",
            )
            for b in bikes
        ],
        batch_size=2000,
    )
    day = timezone.localtime(now).strftime("%Y%m%d")
    Notice.objects.bulk_create(
        [
            Notice(
                number=f"LT{day}{uuid.uuid4().hex[:12].upper()}",
                kind=Notice.Kind.VIOLATION,
                operator=op,
                bike=b,
                check_ref=c,
                lat=LAT0,
                lng=LNG0,
                observed_at=now,
                issued_at=now,
                deadline=due,
                due_at=due,
            )
            for b, c in zip(bikes, checks, strict=True)
        ],
        batch_size=2000,
    )
    return due


def _pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def _documents_served() -> dict[str, int]:
    from nuanxin.deliveries.models import Delivery
    from nuanxin.documents.models import Document

    numbers = list(
        Document.objects.filter(doc_type="penalty_decision").values_list("number", flat=True)
    )
    return {
        "documents": len(numbers),
        "distinct_document_numbers": len(set(numbers)),
        "deliveries": Delivery.objects.filter(document_number__in=numbers).count()
        if len(numbers) < 30000
        else -1,
    }


def _latency(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    return {
        "n": len(values),
        "p50": round(statistics.median(values), 3),
        "p99": round(_pct(values, 99), 3),
        "max": round(max(values), 3),
    }


def notices_watch(*, timeout_s: float, poll_s: float = 0.25) -> dict[str, Any]:
    """Poll until every due notice has a sealed decision (or timeout); record when each
    decision first became visible to a reader, and when its sealed document did."""
    due_of = dict(Notice.objects.filter(kind="violation").values_list("pk", "due_at"))
    seen: dict[int, datetime] = {}
    sealed: dict[int, datetime] = {}
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        now = timezone.now()
        for nid, status in PenaltyDecision.objects.values_list("notice_id", "status"):
            seen.setdefault(nid, now)
            if status == PenaltyDecision.Status.ISSUED:
                sealed.setdefault(nid, now)
        if len(sealed) >= len(due_of):
            break
        time.sleep(poll_s)
    return notices_report(seen=seen, sealed=sealed)


def notices_report(
    *, seen: dict[int, datetime] | None = None, sealed: dict[int, datetime] | None = None
) -> dict[str, Any]:
    due_of = dict(Notice.objects.filter(kind="violation").values_list("pk", "due_at"))
    decisions = list(
        PenaltyDecision.objects.values_list(
            "notice_id", "issued_at", "status", "sealed_at", "number_serial", "number"
        )
    )
    per_notice: dict[int, int] = {}
    for nid, *_rest in decisions:
        per_notice[nid] = per_notice.get(nid, 0) + 1
    serials = sorted(d[4] for d in decisions if d[4] is not None)
    out: dict[str, Any] = {
        "notices": len(due_of),
        "open": Notice.objects.filter(status="open", kind="violation").count(),
        "decisions": len(decisions),
        "notices_with_decision": len(per_notice),
        "notices_with_two_or_more": sum(1 for v in per_notice.values() if v > 1),
        "distinct_numbers": len({d[5] for d in decisions}),
        # Reserved 罚决字 serials: gap-free means exactly 1..n (one series in a scratch DB).
        "serials_gap_free": serials == list(range(1, len(serials) + 1)),
        "issued": sum(1 for d in decisions if d[2] == "issued"),
        "document_pending": sum(1 for d in decisions if d[2] == "document_pending"),
        **_documents_served(),
    }
    known = [d for d in decisions if d[0] in due_of]
    out["decision_issued_at_s"] = _latency([(d[1] - due_of[d[0]]).total_seconds() for d in known])
    out["sealed_at_s"] = _latency(
        [(d[3] - due_of[d[0]]).total_seconds() for d in known if d[3] is not None]
    )
    if seen:
        out["visible_latency_s"] = _latency(
            [(t - due_of[n]).total_seconds() for n, t in seen.items() if n in due_of]
        )
    if sealed:
        out["sealed_visible_latency_s"] = _latency(
            [(t - due_of[n]).total_seconds() for n, t in sealed.items() if n in due_of]
        )
    return out
