"""Reads for violations: a party's history, lists for officers."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from nuanxin.violations.access import violations_visible
from nuanxin.violations.models import Party, Violation


def party_history(*, party: Party) -> QuerySet[Violation]:
    return (
        Violation.objects.filter(party=party)
        .select_related("tag", "recorded_by")
        .order_by("-occurred_at")
    )


def violation_list(*, user: Any, q: str = "", outcome: str = "") -> QuerySet[Violation]:
    qs = violations_visible(user).select_related("party", "tag", "district")
    if outcome:
        qs = qs.filter(outcome=outcome)
    if q:
        qs = qs.filter(
            Q(party__name__icontains=q) | Q(tag__name__icontains=q) | Q(place__icontains=q)
        )
    return qs.order_by("-occurred_at", "-pk")


def party_search(*, user: Any, q: str, limit: int = 10) -> list[dict[str, Any]]:
    """Merchants (in the user's scope) and known parties matching a name, USCC or phone.

    Returns choices for the recording form: {"value": "merchant:ID" | "party:ID", "label"}.
    """
    from nuanxin.core.access import filter_by_district
    from nuanxin.merchants.models import Merchant

    q = (q or "").strip()
    if len(q) < 1:
        return []
    out: list[dict[str, Any]] = []
    merchants = filter_by_district(user, Merchant.objects.all()).filter(
        Q(name__icontains=q) | Q(uscc__iexact=q) | Q(address__icontains=q)
    )
    for m in merchants.order_by("name")[:limit]:
        out.append({"value": f"merchant:{m.pk}", "label": f"{m.name}（{m.address}）"})
    parties = (
        filter_by_district(user, Party.objects.filter(merchant__isnull=True))
        .filter(Q(name__icontains=q) | Q(id_number__iexact=q) | Q(phone=q))
        .order_by("name")[:limit]
    )
    for p in parties:
        out.append(
            {
                "value": f"party:{p.pk}",
                "label": f"{p.name}（{p.get_kind_display()} {p.id_number_masked}）",
            }
        )
    return out[:limit]
