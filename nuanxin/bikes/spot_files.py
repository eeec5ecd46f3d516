"""Parse spot files (GeoJSON FeatureCollection, Excel) into SpotIn rows. Nothing is stored here.

A file that cannot be read at all is a DomainError. A feature or a row of the wrong shape
(a number where an object is expected, a list for a name) becomes a row with a `problem`,
so that `spots_import` lists it with every other bad row, by feature number or Excel row,
and stores nothing.
"""

from __future__ import annotations

import io
import json
from typing import Any

from django.utils.translation import gettext as _

from nuanxin.bikes.services_spots import SpotIn
from nuanxin.core.errors import DomainError

EXCEL_COLUMNS = ["编号", "名称", "类别", "容量", "范围GeoJSON", "蓝牙道钉", "位置描述"]
# How a message names a field: its Excel column title and its GeoJSON property, as the file
# has them (the same in every language).
FIELD = {
    "编号": "编号 / code",
    "名称": "名称 / name",
    "类别": "类别 / category",
    "容量": "容量 / capacity",
    "蓝牙道钉": "蓝牙道钉 / beacon_ids",
    "位置描述": "位置描述 / address",
}


class _Bad(Exception):
    """One field of one row has the wrong shape (the message names the field)."""


def _text(value: Any, field: str) -> str:
    """A text cell or property: text, or a whole number (an Excel code typed as 101)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    raise _Bad(
        _("“%(field)s”必须是文字，不能是 %(value)s。") % {"field": field, "value": _show(value)}
    )


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 40 else text[:40] + "…"


def _beacons(value: Any) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, list):
        return tuple(_text(v, FIELD["蓝牙道钉"]) for v in value)
    if not isinstance(value, str):
        raise _Bad(
            _("“%(field)s”必须是编号列表或用逗号分隔的文字，不能是 %(value)s。")
            % {"field": FIELD["蓝牙道钉"], "value": _show(value)}
        )
    return tuple(p.strip() for p in value.replace("，", ",").split(",") if p.strip())


def _capacity(value: Any) -> Any:
    """A whole number as int; anything else is passed on for the content check to refuse."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    if value is None or isinstance(value, int | float | str):
        return value
    raise _Bad(
        _("“%(field)s”必须是正整数，不能是 %(value)s。")
        % {"field": FIELD["容量"], "value": _show(value)}
    )


def _feature_row(feature: Any, ref: str) -> SpotIn:
    if not isinstance(feature, dict):
        raise _Bad(
            _("要素必须是 JSON 对象（GeoJSON Feature），不能是 %(value)s。")
            % {"value": _show(feature)}
        )
    props = feature.get("properties")
    if props is None:
        props = {}
    if not isinstance(props, dict):
        raise _Bad(_("properties 必须是 JSON 对象，不能是 %(value)s。") % {"value": _show(props)})

    def prop(*names: str) -> Any:
        return next((props[n] for n in names if props.get(n) not in (None, "")), None)

    return SpotIn(
        code=_text(prop("code", "编号"), FIELD["编号"]),
        name=_text(prop("name", "名称"), FIELD["名称"]),
        polygon=feature.get("geometry") or {},
        capacity=_capacity(prop("capacity", "容量")),
        category=_text(prop("category", "类别"), FIELD["类别"]),
        beacon_ids=_beacons(prop("beacon_ids", "蓝牙道钉")),
        address=_text(prop("address", "位置描述"), FIELD["位置描述"]),
        ref=ref,
    )


def _problem(ref: str, message: str) -> SpotIn:
    return SpotIn(code="", name="", polygon={}, capacity=0, category="", ref=ref, problem=message)


def spots_from_geojson(raw: bytes | str) -> list[SpotIn]:
    try:
        doc = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise DomainError("spot_import", _("GeoJSON 文件无法解析：%(e)s") % {"e": exc}) from exc
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise DomainError("spot_import", _("GeoJSON 文件必须是 FeatureCollection。"))
    features = doc.get("features")
    if not isinstance(features, list):
        raise DomainError(
            "spot_import",
            _("GeoJSON 的 features 必须是要素数组，不能是 %(value)s。")
            % {"value": _show(features)},
        )
    rows = []
    for number, feature in enumerate(features, start=1):
        ref = _("第 %(n)d 个要素") % {"n": number}
        try:
            rows.append(_feature_row(feature, ref))
        except _Bad as exc:
            rows.append(_problem(ref, str(exc)))
    return rows


def _polygon_cell(value: Any) -> Any:
    if value is None or value == "":
        raise _Bad(_("“范围GeoJSON”不能为空。"))
    if not isinstance(value, str):
        raise _Bad(
            _("“范围GeoJSON”必须是 GeoJSON Polygon 文字，不能是 %(value)s。")
            % {"value": _show(value)}
        )
    try:
        return json.loads(value)
    except (ValueError, RecursionError) as exc:
        raise _Bad(_("“范围GeoJSON”不是有效的 JSON：%(e)s") % {"e": exc}) from exc


def spots_from_excel(raw: bytes) -> list[SpotIn]:
    """First sheet, header row (row 1) with the EXCEL_COLUMNS titles (order free). Rows are
    named by their number in the sheet, as Excel shows it."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
        sheet = book.worksheets[0]
        table = list(sheet.iter_rows(min_row=1, values_only=True))
    except Exception as exc:  # openpyxl raises zipfile/KeyError/… for non-xlsx input
        raise DomainError("spot_import", _("Excel 文件无法读取：%(e)s") % {"e": exc}) from exc
    header = [str(c or "").strip() for c in (table[0] if table else ())]
    missing = [c for c in EXCEL_COLUMNS[:5] if c not in header]
    if missing:
        raise DomainError(
            "spot_import", _("Excel 表头缺少列：%(cols)s") % {"cols": "、".join(missing)}
        )
    col = {name: header.index(name) for name in EXCEL_COLUMNS if name in header}
    rows = []
    for number, values in enumerate(table[1:], start=2):
        if values is None or all(v in (None, "") for v in values):
            continue

        def get(name: str, values: tuple = values) -> Any:
            i = col.get(name)
            return values[i] if i is not None and i < len(values) else None

        ref = _("第 %(n)d 行") % {"n": number}
        try:
            rows.append(
                SpotIn(
                    code=_text(get("编号"), FIELD["编号"]),
                    name=_text(get("名称"), FIELD["名称"]),
                    polygon=_polygon_cell(get("范围GeoJSON")),
                    capacity=_capacity(get("容量")),
                    category=_text(get("类别"), FIELD["类别"]),
                    beacon_ids=_beacons(get("蓝牙道钉")),
                    address=_text(get("位置描述"), FIELD["位置描述"]),
                    ref=ref,
                )
            )
        except _Bad as exc:
            rows.append(_problem(ref, str(exc)))
    return rows
