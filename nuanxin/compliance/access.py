"""Who may see which compliance decision: city staff all; an operator only its own bikes."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from nuanxin.bikes.access import operator_ids_for
from nuanxin.compliance.models import OverflowAlert, ParkingCheck
from nuanxin.core.access import not_found


def parking_checks_visible(principal: Any) -> QuerySet[ParkingCheck]:
    scope = operator_ids_for(principal)
    qs = ParkingCheck.objects.select_related("bike", "spot", "spot_version")
    return qs if scope is None else qs.filter(operator_id__in=scope)


def access_parking_check(principal: Any, check_id: int) -> ParkingCheck:
    check = parking_checks_visible(principal).filter(pk=check_id).first()
    if check is None:
        raise not_found()
    return check


def overflow_alerts_visible(principal: Any) -> tuple[QuerySet[OverflowAlert], set[int] | None]:
    """All alerts; an operator sees its own share and the total, not competitors' shares."""
    return OverflowAlert.objects.select_related("spot"), operator_ids_for(principal)
