"""Parse spot files (GeoJSON FeatureCollection, Excel) into SpotIn rows. Nothing is stored here."""

from __future__ import annotations

import io
import json
from typing import Any

from django.utils.translation import gettext as _

from nuanxin.bikes.services_spots import SpotIn
from nuanxin.core.errors import DomainError

EXCEL_COLUMNS = ["编号", "名称", "类别", "容量", "范围GeoJSON", "蓝牙道钉", "位置描述"]


def _beacons(value: Any) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    return tuple(p.strip() for p in str(value).replace("，", ",").split(",") if p.strip())


def _capacity(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return value


def spots_from_geojson(raw: bytes | str) -> list[SpotIn]:
    try:
        doc = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise DomainError("spot_import", _("GeoJSON 文件无法解析：%(e)s") % {"e": exc}) from exc
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise DomainError("spot_import", _("GeoJSON 文件必须是 FeatureCollection。"))
    rows = []
    for feature in doc.get("features") or []:
        props = (feature or {}).get("properties") or {}
        rows.append(
            SpotIn(
                code=str(props.get("code") or props.get("编号") or ""),
                name=str(props.get("name") or props.get("名称") or ""),
                polygon=(feature or {}).get("geometry") or {},
                capacity=_capacity(props.get("capacity", props.get("容量"))),
                category=str(props.get("category") or props.get("类别") or ""),
                beacon_ids=_beacons(props.get("beacon_ids", props.get("蓝牙道钉"))),
                address=str(props.get("address") or props.get("位置描述") or ""),
            )
        )
    return rows


def spots_from_excel(raw: bytes) -> list[SpotIn]:
    """First sheet, header row with the EXCEL_COLUMNS titles (order free)."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile/KeyError/… for non-xlsx input
        raise DomainError("spot_import", _("Excel 文件无法读取：%(e)s") % {"e": exc}) from exc
    sheet = book.worksheets[0]
    rows_iter = sheet.iter_rows(values_only=True)
    header = [str(c or "").strip() for c in next(rows_iter, ())]
    missing = [c for c in EXCEL_COLUMNS[:5] if c not in header]
    if missing:
        raise DomainError(
            "spot_import", _("Excel 表头缺少列：%(cols)s") % {"cols": "、".join(missing)}
        )
    col = {name: header.index(name) for name in EXCEL_COLUMNS if name in header}
    rows = []
    for values in rows_iter:
        if values is None or all(v in (None, "") for v in values):
            continue

        def get(name: str, values: tuple = values) -> Any:
            i = col.get(name)
            return values[i] if i is not None and i < len(values) else None

        try:
            polygon = json.loads(get("范围GeoJSON") or "null")
        except ValueError:
            polygon = None
        rows.append(
            SpotIn(
                code=str(get("编号") or ""),
                name=str(get("名称") or ""),
                polygon=polygon,
                capacity=_capacity(get("容量")),
                category=str(get("类别") or ""),
                beacon_ids=_beacons(get("蓝牙道钉")),
                address=str(get("位置描述") or ""),
            )
        )
    return rows
