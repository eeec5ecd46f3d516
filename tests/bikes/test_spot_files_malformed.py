"""Malformed spot files give a clear error naming the feature or the Excel row, never a 500,
and nothing is stored."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from openpyxl import Workbook

from nuanxin.bikes.models import Spot, SpotVersion
from tests.bikes.test_spots import box, feature

GOOD = feature("OK1")
POLYGON_TEXT = json.dumps(box(115.75, 33.87, 115.7502, 33.8701))


def _props(**props: Any) -> dict:
    return {**GOOD, "properties": {**GOOD["properties"], **props}}


def _collection(*features: Any) -> dict:
    return {"type": "FeatureCollection", "features": list(features)}


def _geojson(doc: Any) -> tuple[str, bytes]:
    return "spots.geojson", (doc if isinstance(doc, bytes) else json.dumps(doc).encode())


def _excel(*rows: list[Any], header: list[Any] | None = None) -> tuple[str, bytes]:
    book = Workbook()
    sheet = book.active
    sheet.append(header or ["编号", "名称", "类别", "容量", "范围GeoJSON", "蓝牙道钉", "位置描述"])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return "spots.xlsx", buffer.getvalue()


def _row(**over: Any) -> list[Any]:
    values = {
        "编号": "X1",
        "名称": "魏武大道停放点",
        "类别": "道路",
        "容量": 15,
        "范围GeoJSON": POLYGON_TEXT,
        "蓝牙道钉": None,
        "位置描述": None,
        **over,
    }
    return list(values.values())


# (file, what the message must name, a word of the problem)
MALFORMED: list[tuple[str, tuple[str, bytes], str, str]] = [
    ("features a number list", _geojson(_collection(1)), "第 1 个要素", "JSON 对象"),
    (
        "features a string",
        _geojson({"type": "FeatureCollection", "features": "abc"}),
        "features",
        "数组",
    ),
    (
        "features an object",
        _geojson({"type": "FeatureCollection", "features": {}}),
        "features",
        "数组",
    ),
    ("features missing", _geojson({"type": "FeatureCollection"}), "features", "数组"),
    ("feature null", _geojson(_collection(GOOD, None)), "第 2 个要素", "JSON 对象"),
    ("feature a list", _geojson(_collection(GOOD, [GOOD])), "第 2 个要素", "JSON 对象"),
    (
        "properties a list",
        _geojson(_collection({**GOOD, "properties": [1]})),
        "第 1 个要素",
        "properties",
    ),
    (
        "properties a string",
        _geojson(_collection({**GOOD, "properties": "x"})),
        "第 1 个要素",
        "properties",
    ),
    ("properties null", _geojson(_collection({**GOOD, "properties": None})), "第 1 个要素", "编号"),
    (
        "geometry a string",
        _geojson(_collection(GOOD, {**GOOD, "geometry": "abc"})),
        "第 2 个要素",
        "Polygon",
    ),
    (
        "geometry a point",
        _geojson(
            _collection({**GOOD, "geometry": {"type": "Point", "coordinates": [115.75, 33.87]}})
        ),
        "第 1 个要素",
        "Polygon",
    ),
    (
        "coordinates a string",
        _geojson(_collection({**GOOD, "geometry": {"type": "Polygon", "coordinates": "abc"}})),
        "第 1 个要素",
        "范围",
    ),
    (
        "coordinates of text",
        _geojson(
            _collection(
                {
                    **GOOD,
                    "geometry": {
                        "type": "Polygon",
                        "coordinates": [[["a", "b"], ["c", "d"], ["e", "f"], ["a", "b"]]],
                    },
                }
            )
        ),
        "第 1 个要素",
        "范围",
    ),
    (
        "coordinates empty",
        _geojson(_collection({**GOOD, "geometry": {"type": "Polygon", "coordinates": []}})),
        "第 1 个要素",
        "范围",
    ),
    (
        "coordinates nested numbers",
        _geojson(_collection({**GOOD, "geometry": {"type": "Polygon", "coordinates": [1, 2, 3]}})),
        "第 1 个要素",
        "范围",
    ),
    ("code an object", _geojson(_collection(_props(code={"a": 1}))), "第 1 个要素", "编号"),
    ("name a list", _geojson(_collection(feature("OK1", name=["x"]))), "第 1 个要素", "名称"),
    ("category a number", _geojson(_collection(feature("OK1", category=3))), "第 1 个要素", "类别"),
    (
        "capacity an object",
        _geojson(_collection(feature("OK1", capacity={"n": 1}))),
        "第 1 个要素",
        "容量",
    ),
    ("capacity true", _geojson(_collection(feature("OK1", capacity=True))), "第 1 个要素", "容量"),
    (
        "capacity huge",
        _geojson(_collection(feature("OK1", capacity=10**30))),
        "第 1 个要素",
        "容量",
    ),
    ("code too long", _geojson(_collection(feature("C" * 40))), "第 1 个要素", "编号"),
    (
        "name too long",
        _geojson(_collection(feature("OK1", name="名" * 101))),
        "第 1 个要素",
        "名称",
    ),
    (
        "beacons objects",
        _geojson(_collection(feature("OK1", beacon_ids=[{"id": 1}]))),
        "第 1 个要素",
        "蓝牙道钉",
    ),
    (
        "beacons a number",
        _geojson(_collection(feature("OK1", beacon_ids=7))),
        "第 1 个要素",
        "蓝牙道钉",
    ),
    ("nested too deep", _geojson(b"[" * 100_000 + b"]" * 100_000), "GeoJSON", "无法解析"),
    ("not utf-8", _geojson(b"\xff\xfe\x00{"), "GeoJSON", "无法解析"),
    ("a bare list", _geojson([GOOD]), "GeoJSON", "FeatureCollection"),
    ("empty collection", _geojson(_collection()), "没有停放点", "没有停放点"),
    (
        "excel polygon a number",
        _excel(_row(), _row(编号="X2", 范围GeoJSON=5)),
        "第 3 行",
        "范围GeoJSON",
    ),
    ("excel polygon bad json", _excel(_row(范围GeoJSON="{not json")), "第 2 行", "范围GeoJSON"),
    ("excel polygon a list", _excel(_row(范围GeoJSON="[1, 2]")), "第 2 行", "Polygon"),
    ("excel polygon empty", _excel(_row(范围GeoJSON=None)), "第 2 行", "范围GeoJSON"),
    ("excel capacity text", _excel(_row(容量="很多")), "第 2 行", "容量"),
    ("excel capacity fraction", _excel(_row(容量=2.5)), "第 2 行", "容量"),
    ("excel duplicate codes", _excel(_row(), _row(编号="X1 ")), "第 3 行", "重复"),
    (
        "excel blank row kept in numbering",
        _excel(_row(), [None] * 7, _row(编号="X3", 类别="公园")),
        "第 4 行",
        "类别",
    ),
    ("excel no header", _excel(header=["a", "b"]), "表头", "缺少列"),
    ("excel not a workbook", ("spots.xlsx", b"PK\x03\x04 broken"), "Excel", "无法读取"),
]


@pytest.mark.parametrize(
    ("upload", "where", "what"),
    [pytest.param(u, w, x, id=name) for name, u, w, x in MALFORMED],
)
def test_a_malformed_file_gives_a_clear_error_and_stores_nothing(
    personas: Any, client_for: Any, upload: tuple[str, bytes], where: str, what: str
) -> None:
    name, content = upload
    file = io.BytesIO(content)
    file.name = name
    response = client_for(personas.admin).post("/admin/bikes/spot/import/", {"file": file})
    assert response.status_code == 200
    errors = response.context["errors"]
    assert errors, response.content.decode()[:500]
    hit = [e for e in errors if where in e]
    assert hit and what in hit[0], errors
    assert not Spot.objects.exists() and not SpotVersion.objects.exists()


def test_good_features_next_to_bad_ones_are_not_stored(personas: Any, client_for: Any) -> None:
    name, content = _geojson(_collection(GOOD, feature("OK2"), 7, {**GOOD, "properties": [1]}))
    file = io.BytesIO(content)
    file.name = name
    response = client_for(personas.admin).post("/admin/bikes/spot/import/", {"file": file})
    errors = response.context["errors"]
    assert [e.split("：")[0] for e in errors] == ["第 3 个要素", "第 4 个要素"]
    assert not Spot.objects.exists()
