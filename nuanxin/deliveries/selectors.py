"""Reads for deliveries."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from nuanxin.deliveries.models import Channel, Delivery


def inbox_for(*, merchant: Any = None, operator: Any = None) -> QuerySet[Delivery]:
    """Deliveries placed in a merchant's or operator's portal inbox, newest first."""
    queryset = Delivery.objects.filter(attempts__channel=Channel.PORTAL).distinct()
    if operator is not None:
        return queryset.filter(operator=operator)
    if merchant is not None:
        return queryset.filter(merchant=merchant)
    return queryset.none()


def deliveries_for_case(case: Any) -> QuerySet[Delivery]:
    return Delivery.objects.filter(case=case).prefetch_related("attempts", "events")
