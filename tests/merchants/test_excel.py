import datetime as dt
from io import BytesIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import Workbook, load_workbook

from nuanxin.audit.models import AuditEvent
from nuanxin.merchants.excel import (
    LICENCE_COLUMNS,
    MERCHANT_COLUMNS,
    merchants_export,
    merchants_import,
    merchants_template,
)
from nuanxin.merchants.models import Licence, Merchant

GOOD_A = "9144030071526726XG"
GOOD_B = "91110108551385082Q"


def _merchant_row(
    uscc=GOOD_A,
    name="华联超市谯城店",
    lat=33.87,
    lng=115.75,
    district="",
    phone="13800001111",
    kind="企业",
):
    return [
        uscc,
        name,
        kind,
        "零售",
        district,
        "花戏楼街道",
        "亳州市谯城区人民路9号",
        lat,
        lng,
        "李四",
        phone,
    ]


def _book(merchants, licences) -> BytesIO:
    wb = Workbook()
    ws = wb.active
    ws.title = "市场主体"
    ws.append([h for h, _k in MERCHANT_COLUMNS])
    for row in merchants:
        ws.append(row)
    ls = wb.create_sheet("证照")
    ls.append([h for h, _k in LICENCE_COLUMNS])
    for row in licences:
        ls.append(row)
    out = BytesIO()
    wb.save(out)
    out.seek(0)
    return out


def test_a_clean_file_is_stored_in_one_audited_transaction(personas) -> None:
    book = _book(
        [_merchant_row(), _merchant_row(uscc=GOOD_B, name="同仁堂大药房", lat=33.82)],
        [
            [GOOD_A, "营业执照", "BL-1", "亳州市市场监督管理局", dt.date(2024, 1, 1), "长期"],
            [GOOD_B, "食品经营许可证", "JY-1", "", "2024-01-01", "2028-12-31"],
        ],
    )
    result = merchants_import(file=book, by=personas.chief)
    assert result.ok, result.problems
    assert (result.merchants, result.licences) == (2, 2)
    south = Merchant.objects.get(uscc=GOOD_B)
    assert south.district == personas.district_b  # derived from the coordinates
    assert Licence.objects.get(number="BL-1").valid_until is None
    assert Licence.objects.get(number="JY-1").valid_until == dt.date(2028, 12, 31)
    assert AuditEvent.objects.get(action="merchant.import").after["merchants"] == 2


def test_every_bad_row_is_reported_and_nothing_is_stored(personas) -> None:
    before = (Merchant.objects.count(), Licence.objects.count())
    book = _book(
        [
            _merchant_row(),  # row 2: fine
            _merchant_row(uscc="9144030071526726XH", name="坏码店"),  # row 3
            _merchant_row(name="重复店"),  # row 4: same code as row 2
            _merchant_row(uscc=personas.merchant_shop.uscc, name="在库店"),  # row 5
            _merchant_row(uscc=GOOD_B, name=""),  # row 6: missing name
            _merchant_row(uscc="91350100M000100Y43", name="城外店", lat=31.2, lng=121.4),  # 7
            _merchant_row(uscc="92341602MA2TE8K028X", name="长码店", district="XX-9"),  # 8
            _merchant_row(uscc="", name="无码店", phone="123"),  # row 9
        ],
        [
            [GOOD_A, "营业执照", "BL-1", "", "2024-02-30", ""],  # row 2: bad date
            [GOOD_A, "驾驶证", "BL-2", "", "2024-01-01", ""],  # row 3: unknown kind
            ["91110000100000000A", "营业执照", "BL-3", "", "2024-01-01", ""],  # 4: bad code
            [GOOD_A, "营业执照", "BL-4", "", "2024-05-01", "2024-01-01"],  # row 5: period
            [GOOD_A, "营业执照", "BL-TEST-0001", "", "2024-01-01", ""],  # row 6: in DB
        ],
    )
    result = merchants_import(file=book, by=personas.chief)
    assert not result.ok
    found = {(p.sheet, p.row, p.column) for p in result.problems}
    assert {
        ("市场主体", 3, "统一社会信用代码"),
        ("市场主体", 4, "统一社会信用代码"),
        ("市场主体", 5, "统一社会信用代码"),
        ("市场主体", 6, "名称"),
        ("市场主体", 7, "纬度"),
        ("市场主体", 8, "统一社会信用代码"),
        ("市场主体", 8, "辖区代码"),
        ("市场主体", 9, "统一社会信用代码"),
        ("市场主体", 9, "负责人电话"),
        ("证照", 2, "有效期自"),
        ("证照", 3, "证照类型"),
        ("证照", 4, "统一社会信用代码"),
        ("证照", 5, "有效期至"),
        ("证照", 6, "证号"),
    } <= found
    assert ("市场主体", 2, "统一社会信用代码") not in found
    messages = {(p.row, p.column): p.message for p in result.problems if p.sheet == "市场主体"}
    assert "校验码" in messages[(3, "统一社会信用代码")]
    assert "第2行" in messages[(4, "统一社会信用代码")]
    assert "不在本市" in messages[(7, "纬度")]
    assert (Merchant.objects.count(), Licence.objects.count()) == before
    assert not AuditEvent.objects.filter(action="merchant.import").exists()


def test_a_file_that_is_not_a_workbook_is_refused(personas) -> None:
    result = merchants_import(file=BytesIO(b"uscc,name\n1,2\n"), by=personas.chief)
    assert not result.ok and ".xlsx" in result.problems[0].message


def test_missing_sheets_and_columns_are_named(personas) -> None:
    wb = Workbook()
    wb.active.title = "市场主体"
    wb.active.append(["名称"])
    wb.create_sheet("证照").append([h for h, _k in LICENCE_COLUMNS])
    out = BytesIO()
    wb.save(out)
    out.seek(0)
    result = merchants_import(file=out, by=personas.chief)
    assert {p.column for p in result.problems} >= {"统一社会信用代码", "纬度"}


def test_export_round_trips_through_import(personas) -> None:
    data = merchants_export(merchants=Merchant.objects.prefetch_related("licences"))
    wb = load_workbook(BytesIO(data))
    assert wb["市场主体"]["A2"].value == personas.merchant_shop.uscc
    assert wb["证照"]["C2"].value == "BL-TEST-0001"
    Merchant.objects.all().delete()
    result = merchants_import(file=BytesIO(data), by=personas.chief)
    assert result.ok, result.problems
    assert Merchant.objects.get().name == "老王烧烤店"


def test_the_template_imports_cleanly_into_an_empty_registry(personas) -> None:
    Merchant.objects.all().delete()
    result = merchants_import(file=BytesIO(merchants_template()), by=personas.chief)
    assert result.ok, result.problems


def test_the_import_page_reports_problems_with_400(personas, client_for) -> None:
    book = _book([_merchant_row(uscc="9144030071526726XH")], [])
    book.name = "bad.xlsx"
    response = client_for(personas.chief).post("/staff/merchants/import/", {"file": book})
    assert response.status_code == 400
    assert "第18位校验码" in response.content.decode()
    good = _book([_merchant_row()], [])
    good.name = "good.xlsx"
    response = client_for(personas.chief).post("/staff/merchants/import/", {"file": good})
    assert response.status_code == 200
    assert Merchant.objects.filter(uscc=GOOD_A).exists()


def test_staff_download_the_export_and_template(personas, client_for) -> None:
    client = client_for(personas.officer_a)
    response = client.get("/staff/merchants/export.xlsx")
    assert response.status_code == 200
    wb = load_workbook(BytesIO(response.content))
    assert wb["市场主体"].max_row == 2
    assert client.get("/staff/merchants/template.xlsx").status_code == 200


def test_the_commands_import_and_export(personas, tmp_path: Path) -> None:
    out = tmp_path / "all.xlsx"
    call_command("merchants_export", "--out", str(out))
    Merchant.objects.all().delete()
    call_command("merchants_import", str(out))
    assert Merchant.objects.count() == 1
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("merchants_import", str(out))  # now every code is already registered
