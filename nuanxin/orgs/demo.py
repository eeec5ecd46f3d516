"""The demo bureau and its districts around Bozhou (centre about 33.85°N, 115.78°E).

The boundaries are simplified rectangles tiling the demo city, not the real
administrative lines; a bureau replaces them with its surveyed polygons.
"""

from __future__ import annotations

from nuanxin.core.demo import DemoContext
from nuanxin.orgs.models import Bureau, District

CITY_WEST, CITY_EAST = 115.70, 115.86
CITY_SOUTH, CITY_NORTH = 33.80, 33.90

DISTRICTS = [
    # code, name, west, south, east, north
    ("QC-N", "谯城区北关中队", 115.70, 33.85, 115.78, 33.90),
    ("QC-S", "谯城区南京中队", 115.70, 33.80, 115.78, 33.85),
    ("GX-E", "高新区执法中队", 115.78, 33.85, 115.86, 33.90),
    ("JK-E", "经开区执法中队", 115.78, 33.80, 115.86, 33.85),
]


def box(west: float, south: float, east: float, north: float) -> dict:
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


def seed(ctx: DemoContext) -> None:
    bureau, _ = Bureau.objects.get_or_create(
        code="341600-CGJ",
        defaults={
            "name": "亳州市城市管理局",
            "short_name": "亳城管",
            "address": "安徽省亳州市谯城区希夷大道",
            "phone": "0558-12319",
            "boundary": box(CITY_WEST, CITY_SOUTH, CITY_EAST, CITY_NORTH),
        },
    )
    for code, name, west, south, east, north in DISTRICTS:
        District.objects.get_or_create(
            code=code,
            defaults={
                "bureau": bureau,
                "name": name,
                "kind": District.Kind.BRIGADE,
                "boundary": box(west, south, east, north),
            },
        )
    ctx.say(f"orgs: {bureau.name}, {District.objects.count()} districts")
