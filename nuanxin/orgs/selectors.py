from __future__ import annotations

from django.db.models import QuerySet
from shapely import STRtree
from shapely.geometry import Point

from nuanxin.orgs.models import Bureau, District


def bureau_main() -> Bureau:
    """The installation's bureau (one per deployment)."""
    bureau = Bureau.objects.order_by("pk").first()
    if bureau is None:
        raise Bureau.DoesNotExist(
            "no bureau configured; run migrations and seed or create one in admin"
        )
    return bureau


def district_list() -> QuerySet[District]:
    return District.objects.select_related("bureau").order_by("code")


def district_for_point(*, lat: float, lng: float) -> District | None:
    """The district whose boundary covers the point, or None outside the city."""
    districts = list(District.objects.all())
    if not districts:
        return None
    tree = STRtree([d.geometry for d in districts])
    point = Point(lng, lat)
    for index in tree.query(point, predicate="covered_by"):
        return districts[int(index)]
    return None
