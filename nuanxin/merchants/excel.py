"""Excel import and export of merchants with their licences (openpyxl).

Workbook layout (the template download has both sheets with headers and one example):
- sheet "市场主体": one row per merchant, keyed by 统一社会信用代码;
- sheet "证照": one row per licence, naming its merchant by 统一社会信用代码.

An import is all or nothing: every bad cell is reported (sheet, row, column, reason) and
nothing is stored; a clean file is stored in one transaction and audited.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from io import BytesIO
from typing import IO, Any

from django.db import transaction
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from nuanxin.audit.services import audit_record
from nuanxin.merchants import validation as v
from nuanxin.merchants.models import Licence, Merchant
from nuanxin.orgs.models import District

MERCHANT_SHEET = "市场主体"
LICENCE_SHEET = "证照"

# (header, key)
MERCHANT_COLUMNS = [
    ("统一社会信用代码", "uscc"),
    ("名称", "name"),
    ("主体类型", "kind"),
    ("经营类别", "category"),
    ("辖区代码", "district"),
    ("街道", "street"),
    ("经营地址", "address"),
    ("纬度", "lat"),
    ("经度", "lng"),
    ("负责人", "contact_name"),
    ("负责人电话", "contact_phone"),
]
LICENCE_COLUMNS = [
    ("统一社会信用代码", "uscc"),
    ("证照类型", "kind"),
    ("证号", "number"),
    ("发证机关", "issuer"),
    ("有效期自", "valid_from"),
    ("有效期至", "valid_until"),
]
MAX_ROWS = 20000


@dataclass(frozen=True)
class ImportProblem:
    sheet: str
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"{self.sheet} 第{self.row}行 [{self.column}] {self.message}"


@dataclass
class ImportResult:
    problems: list[ImportProblem] = field(default_factory=list)
    merchants: int = 0
    licences: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def _rows(sheet: Any, columns: list[tuple[str, str]], problems: list[ImportProblem]) -> list:
    header = [str(c.value or "").strip() for c in next(sheet.iter_rows(min_row=1, max_row=1))]
    index: dict[str, int] = {}
    for title, key in columns:
        if title not in header:
            problems.append(
                ImportProblem(sheet.title, 1, title, _("缺少列“%(col)s”。") % {"col": title})
            )
        else:
            index[key] = header.index(title)
    if len(index) != len(columns):
        return []
    out = []
    for row_no, row in enumerate(sheet.iter_rows(min_row=2, values_only=True), start=2):
        if row_no > MAX_ROWS + 1:
            problems.append(
                ImportProblem(sheet.title, row_no, "", _("行数超过上限 %(n)s。") % {"n": MAX_ROWS})
            )
            break
        values = {key: (row[i] if i < len(row) else None) for key, i in index.items()}
        if all(value in (None, "") for value in values.values()):
            continue
        out.append((row_no, values))
    return out


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def merchants_import(
    *, file: IO[bytes] | str, by: Any, source_ip: str | None = None
) -> ImportResult:
    """Validate the whole workbook; store everything only if every row is clean."""
    from nuanxin.orgs.selectors import district_for_point

    result = ImportResult()
    problems = result.problems
    try:
        workbook = load_workbook(file, read_only=True, data_only=True)
    except Exception:  # openpyxl raises several unrelated types for a non-xlsx file
        problems.append(
            ImportProblem("", 0, "", _("无法读取文件：请上传 .xlsx 格式的 Excel 工作簿。"))
        )
        return result
    for name in (MERCHANT_SHEET, LICENCE_SHEET):
        if name not in workbook.sheetnames:
            problems.append(ImportProblem(name, 0, "", _("缺少工作表“%(s)s”。") % {"s": name}))
    if problems:
        return result
    merchant_rows = _rows(workbook[MERCHANT_SHEET], MERCHANT_COLUMNS, problems)
    licence_rows = _rows(workbook[LICENCE_SHEET], LICENCE_COLUMNS, problems)
    if problems:
        return result
    titles = {key: title for title, key in MERCHANT_COLUMNS + LICENCE_COLUMNS}
    districts = {d.code: d for d in District.objects.all()}
    codes_in_file: dict[str, int] = {}
    new_merchants: list[Merchant] = []
    sheet = MERCHANT_SHEET

    def bad(row: int, key: str, message: str, sheet_name: str = sheet) -> None:
        problems.append(ImportProblem(sheet_name, row, titles[key], message))

    raw_codes = [v.check_uscc(_text(values["uscc"]))[0] for _, values in merchant_rows]
    existing = set(
        Merchant.objects.filter(uscc__in=[c for c in raw_codes if c]).values_list("uscc", flat=True)
    )
    for row_no, values in merchant_rows:
        code, error = v.check_uscc(_text(values["uscc"]))
        if error:
            bad(row_no, "uscc", error)
        elif code in codes_in_file:
            bad(row_no, "uscc", _("与第%(row)s行重复。") % {"row": codes_in_file[code]})
        elif code in existing:
            bad(row_no, "uscc", _("该代码已登记在库。"))
        if code:
            codes_in_file.setdefault(code, row_no)
        error = v.check_name(_text(values["name"]))
        if error:
            bad(row_no, "name", error)
        kind, error = v.check_kind(_text(values["kind"]))
        if error:
            bad(row_no, "kind", error)
        if not _text(values["address"]):
            bad(row_no, "address", _("经营地址不能为空。"))
        if not _text(values["contact_name"]):
            bad(row_no, "contact_name", _("负责人不能为空。"))
        error = v.check_phone(_text(values["contact_phone"]))
        if error:
            bad(row_no, "contact_phone", error)
        lat, lng, error = v.check_coordinate(values["lat"], values["lng"])
        district = None
        if error:
            bad(row_no, "lat", error)
        else:
            assert lat is not None and lng is not None
            located = district_for_point(lat=lat, lng=lng)
            if located is None:
                bad(
                    row_no,
                    "lat",
                    _("坐标 (%(lat)s, %(lng)s) 不在本市范围内。") % {"lat": lat, "lng": lng},
                )
            district = located
        district_code = _text(values["district"])
        if district_code:
            if district_code not in districts:
                bad(row_no, "district", _("未知的辖区代码：%(code)s") % {"code": district_code})
            else:
                district = districts[district_code]
        if not problems or all(p.row != row_no or p.sheet != sheet for p in problems):
            new_merchants.append(
                Merchant(
                    uscc=code,
                    name=_text(values["name"]),
                    kind=kind,
                    category=_text(values["category"])[:40],
                    district=district,
                    street=_text(values["street"])[:60],
                    address=_text(values["address"])[:200],
                    lat=lat or 0.0,
                    lng=lng or 0.0,
                    contact_name=_text(values["contact_name"])[:50],
                    contact_phone=_text(values["contact_phone"])[:20],
                )
            )
    licence_specs: list[tuple[str, dict[str, Any]]] = []
    numbers_in_file: dict[tuple[str, str], int] = {}
    for row_no, values in licence_rows:
        code, error = v.check_uscc(_text(values["uscc"]))
        if error:
            bad(row_no, "uscc", error, LICENCE_SHEET)
        elif code not in codes_in_file:
            bad(row_no, "uscc", _("该代码不在“市场主体”表中。"), LICENCE_SHEET)
        kind, error = v.check_licence_kind(_text(values["kind"]))
        if error:
            bad(row_no, "kind", error, LICENCE_SHEET)
        number = _text(values["number"])
        if not number:
            bad(row_no, "number", _("证号不能为空。"), LICENCE_SHEET)
        elif (kind, number) in numbers_in_file:
            bad(
                row_no,
                "number",
                _("与第%(row)s行重复。") % {"row": numbers_in_file[(kind, number)]},
                LICENCE_SHEET,
            )
        elif Licence.objects.filter(kind=kind, number=number).exists():
            bad(row_no, "number", _("该证号已登记在库。"), LICENCE_SHEET)
        numbers_in_file.setdefault((kind, number), row_no)
        valid_from, error = v.check_date(values["valid_from"], required=True)
        if error:
            bad(row_no, "valid_from", error, LICENCE_SHEET)
        valid_until, error = v.check_date(values["valid_until"], required=False)
        if error:
            bad(row_no, "valid_until", error, LICENCE_SHEET)
        elif valid_from and valid_until and valid_until < valid_from:
            bad(row_no, "valid_until", _("有效期至不能早于有效期自。"), LICENCE_SHEET)
        licence_specs.append(
            (
                code,
                {
                    "kind": kind,
                    "number": number,
                    "issuer": _text(values["issuer"])[:100],
                    "valid_from": valid_from,
                    "valid_until": valid_until,
                },
            )
        )
    if problems:
        return result
    with transaction.atomic():
        created = Merchant.objects.bulk_create(new_merchants, batch_size=500)
        by_code = {m.uscc: m for m in created}
        if any(m.pk is None for m in created):  # backends without RETURNING
            by_code = {m.uscc: m for m in Merchant.objects.filter(uscc__in=list(by_code))}
        licences = [Licence(merchant=by_code[code], **spec) for code, spec in licence_specs]
        Licence.objects.bulk_create(licences, batch_size=500)
        audit_record(
            actor=by,
            action="merchant.import",
            object_type="merchants.merchant",
            after={
                "merchants": len(created),
                "licences": len(licences),
                "uscc": sorted(by_code),
            },
            source_ip=source_ip,
        )
    result.merchants, result.licences = len(created), len(licence_specs)
    return result


def _sheet(
    workbook: Workbook,
    title: str,
    columns: list[tuple[str, str]],
    rows: Iterable[list[Any]],
    first: bool,
) -> None:
    sheet = workbook.active if first else workbook.create_sheet()
    assert sheet is not None
    sheet.title = title
    sheet.append([header for header, _key in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="FFE8CC")
    for row in rows:
        sheet.append(row)
    for i, (header, _key) in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = max(12, len(header) * 2 + 4)
    sheet.freeze_panes = "A2"


def merchants_export(*, merchants: Iterable[Merchant]) -> bytes:
    """A workbook in the import layout (so an export can be edited and re-imported elsewhere)."""
    workbook = Workbook()
    merchant_rows: list[list[Any]] = []
    licence_rows: list[list[Any]] = []
    for m in merchants:
        merchant_rows.append(
            [
                m.uscc,
                m.name,
                m.get_kind_display(),
                m.category,
                m.district.code,
                m.street,
                m.address,
                m.lat,
                m.lng,
                m.contact_name,
                m.contact_phone,
            ]
        )
        for lic in m.licences.all():
            licence_rows.append(
                [
                    m.uscc,
                    lic.get_kind_display(),
                    lic.number,
                    lic.issuer,
                    lic.valid_from,
                    lic.valid_until or "长期",
                ]
            )
    _sheet(workbook, MERCHANT_SHEET, MERCHANT_COLUMNS, merchant_rows, first=True)
    _sheet(workbook, LICENCE_SHEET, LICENCE_COLUMNS, licence_rows, first=False)
    out = BytesIO()
    workbook.save(out)
    return out.getvalue()


def merchants_template() -> bytes:
    workbook = Workbook()
    _sheet(
        workbook,
        MERCHANT_SHEET,
        MERCHANT_COLUMNS,
        [
            [
                "92341602MA2TE8K028",
                "老王烧烤店",
                "个体工商户",
                "餐饮",
                "",
                "北关街道",
                "亳州市谯城区人民路18号",
                33.87,
                115.75,
                "王大明",
                "13905581234",
            ]
        ],
        first=True,
    )
    _sheet(
        workbook,
        LICENCE_SHEET,
        LICENCE_COLUMNS,
        [
            [
                "92341602MA2TE8K028",
                "营业执照",
                "BL-2024-0001",
                "亳州市市场监督管理局",
                dt.date(2024, 1, 1),
                "长期",
            ]
        ],
        first=False,
    )
    out = BytesIO()
    workbook.save(out)
    return out.getvalue()
