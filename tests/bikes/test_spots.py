from __future__ import annotations

import io
import json
from typing import Any

import pytest
from openpyxl import Workbook

from nuanxin.bikes.models import Spot, SpotVersion
from nuanxin.bikes.services_spots import SpotIn, spot_save, spots_import
from nuanxin.bikes.spot_files import EXCEL_COLUMNS, spots_from_excel, spots_from_geojson
from nuanxin.core.errors import DomainError


def box(west: float, south: float, east: float, north: float) -> dict:
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


def feature(code: str, **props: Any) -> dict:
    geometry = props.pop("geometry", box(115.75, 33.87, 115.7502, 33.8701))
    return {
        "type": "Feature",
        "geometry": geometry,
        "properties": {
            "code": code,
            "name": f"{code} 停放点",
            "category": "学校",
            "capacity": 12,
            **props,
        },
    }


def test_geojson_import_stores_all_rows(personas: Any) -> None:
    doc = {
        "type": "FeatureCollection",
        "features": [feature("G1"), feature("G2", beacon_ids=["B1"])],
    }
    versions = spots_import(
        rows=spots_from_geojson(json.dumps(doc)), by=personas.admin, source="t.geojson"
    )
    assert [v.spot.code for v in versions] == ["G1", "G2"]
    assert SpotVersion.objects.get(spot__code="G2").beacon_ids == ["B1"]
    assert SpotVersion.objects.get(spot__code="G1").category == "school"
    assert Spot.objects.get(code="G1").district == personas.district_a


def test_a_bad_row_reports_every_error_and_stores_nothing(personas: Any) -> None:
    doc = {
        "type": "FeatureCollection",
        "features": [
            feature("OK1"),
            feature("BAD1", category="公园"),
            feature("BAD2", capacity=0),
            feature("BAD3", geometry=box(121.47, 31.23, 121.4702, 31.2301)),  # Shanghai
            feature(
                "BAD4",
                geometry={
                    "type": "Polygon",
                    "coordinates": [
                        [
                            [115.75, 33.87],
                            [115.76, 33.88],
                            [115.75, 33.88],
                            [115.76, 33.87],
                            [115.75, 33.87],
                        ]
                    ],
                },
            ),
            feature("OK1"),
        ],
    }
    with pytest.raises(DomainError) as err:
        spots_import(rows=spots_from_geojson(json.dumps(doc)), by=personas.admin)
    rows = err.value.details["rows"]
    assert [r.split("：")[0] for r in rows] == [  # GeoJSON rows are named by feature
        "第 2 个要素",
        "第 3 个要素",
        "第 4 个要素",
        "第 5 个要素",
        "第 6 个要素",
    ]
    assert ("不在本市" in rows[2] and "自相交" in rows[3]) or "Self-intersection" in rows[3]
    assert Spot.objects.count() == 0


def test_excel_import(personas: Any) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(EXCEL_COLUMNS)
    sheet.append(
        [
            "X1",
            "魏武大道停放点",
            "道路",
            15,
            json.dumps(box(115.75, 33.87, 115.7502, 33.8701)),
            "BT-9，BT-10",
            "魏武大道",
        ]
    )
    sheet.append(
        [
            "X2",
            "医院停放点",
            "医院",
            "30",
            json.dumps(box(115.76, 33.86, 115.7602, 33.8601)),
            None,
            None,
        ]
    )
    buffer = io.BytesIO()
    book.save(buffer)
    versions = spots_import(rows=spots_from_excel(buffer.getvalue()), by=personas.admin)
    assert [(v.spot.code, v.capacity, v.category, v.beacon_ids) for v in versions] == [
        ("X1", 15, "road", ["BT-9", "BT-10"]),
        ("X2", 30, "hospital", []),
    ]


def test_excel_without_required_columns_is_refused(personas: Any) -> None:
    book = Workbook()
    book.active.append(["编号", "名称"])
    buffer = io.BytesIO()
    book.save(buffer)
    with pytest.raises(DomainError, match="表头缺少列"):
        spots_from_excel(buffer.getvalue())
    with pytest.raises(DomainError):
        spots_from_excel(b"not an xlsx")


def test_a_change_is_a_new_version_and_the_old_one_is_closed(personas: Any) -> None:
    data = SpotIn(
        code="V1",
        name="学校门口",
        polygon=box(115.75, 33.87, 115.7502, 33.8701),
        capacity=10,
        category="school",
    )
    v1 = spot_save(data=data, by=personas.admin)
    v2 = spot_save(data=SpotIn(**{**data.__dict__, "capacity": 25}), by=personas.admin)
    v1.refresh_from_db()
    assert (v1.version, v2.version) == (1, 2)
    assert v1.effective_to == v2.effective_from and v2.effective_to is None
    assert v1.capacity == 10  # history is never rewritten


def test_admin_edit_writes_a_version_and_import_page_shows_bad_rows(
    personas: Any, client_for: Any
) -> None:
    client = client_for(personas.admin)
    polygon = json.dumps(box(115.75, 33.87, 115.7502, 33.8701))
    form = {
        "code": "A1",
        "name": "人民路停放点",
        "address": "",
        "polygon": polygon,
        "capacity": "10",
        "category": "road",
        "status": "active",
        "beacon_ids": "BT-1, BT-2",
        "change_note": "新建",
        "versions-TOTAL_FORMS": "0",
        "versions-INITIAL_FORMS": "0",
    }
    response = client.post("/admin/bikes/spot/add/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    spot = Spot.objects.get(code="A1")
    response = client.post(f"/admin/bikes/spot/{spot.pk}/change/", {**form, "capacity": "20"})
    assert response.status_code == 302
    assert list(spot.versions.values_list("capacity", flat=True).order_by("version")) == [10, 20]
    doc = {"type": "FeatureCollection", "features": [feature("I1", capacity=-1)]}
    upload = io.BytesIO(json.dumps(doc).encode())
    upload.name = "spots.geojson"
    page = client.post("/admin/bikes/spot/import/", {"file": upload})
    assert page.status_code == 200
    assert "第 1 个要素" in page.content.decode()
    assert not Spot.objects.filter(code="I1").exists()


def test_only_staff_reach_the_spot_admin(personas: Any, client_for: Any) -> None:
    response = client_for(personas.operator_admin).get("/admin/bikes/spot/import/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
