"""Field checks shared by the registry services, the forms and the Excel import.

Each check returns a translated message (or "") so the import can report every bad cell,
while the services raise the first problem as a DomainError.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.utils.translation import gettext as _

from nuanxin.lib.uscc import USCCError, uscc_validate
from nuanxin.merchants.models import Licence, Merchant

PHONE_RE = re.compile(r"^(1\d{10}|0\d{2,3}-?\d{7,8})$")


def uscc_message(exc: USCCError) -> str:
    """The specific reason, translated (the pure helper's text is Chinese only)."""
    messages = {
        "empty": _("统一社会信用代码为空。"),
        "length": _("统一社会信用代码应为18位。"),
        "charset": _("统一社会信用代码含非法字符（不使用 I、O、S、V、Z）。"),
        "authority": _("统一社会信用代码第1位（登记管理部门代码）无效。"),
        "entity_type": _("统一社会信用代码第2位（机构类别代码）无效。"),
        "division": _("统一社会信用代码第3-8位（行政区划码）应为6位数字。"),
        "org_code": _("统一社会信用代码第9-16位（组织机构代码）含非法字符。"),
        "org_check": _("统一社会信用代码第17位（组织机构代码校验码，GB 11714）错误。"),
        "check_digit": _("统一社会信用代码第18位校验码错误（GB 32100-2015）。"),
    }
    return f"{messages.get(exc.reason, _('统一社会信用代码无效。'))} {exc}"


def check_uscc(value: Any) -> tuple[str, str]:
    """(normalised code, error message)."""
    try:
        return uscc_validate(str(value or "")), ""
    except USCCError as exc:
        return "", uscc_message(exc)


def check_name(value: Any) -> str:
    name = str(value or "").strip()
    if not name:
        return _("名称不能为空。")
    if len(name) > Merchant._meta.get_field("name").max_length:  # type: ignore[operator]
        return _("名称过长（最多120字）。")
    return ""


def check_kind(value: Any) -> tuple[str, str]:
    text = str(value or "").strip()
    for choice_value, label in Merchant.Kind.choices:
        if text in (choice_value, str(label)):
            return choice_value, ""
    return "", _("主体类型应为“个体工商户”或“企业”。")


def check_licence_kind(value: Any) -> tuple[str, str]:
    text = str(value or "").strip()
    for choice_value, label in Licence.Kind.choices:
        if text in (choice_value, str(label)):
            return choice_value, ""
    return "", _("未知的证照类型：%(kind)s") % {"kind": text}


def check_phone(value: Any) -> str:
    phone = str(value or "").strip()
    if not phone:
        return _("负责人电话不能为空。")
    if not PHONE_RE.match(phone.replace(" ", "")):
        return _("电话号码格式不正确（手机11位，或区号-号码）。")
    return ""


def check_coordinate(lat: Any, lng: Any) -> tuple[float | None, float | None, str]:
    try:
        lat_f, lng_f = float(lat), float(lng)
    except (TypeError, ValueError):
        return None, None, _("经纬度必须是数字（WGS-84）。")
    if not (-90 <= lat_f <= 90 and -180 <= lng_f <= 180):
        return None, None, _("经纬度超出范围。")
    return lat_f, lng_f, ""


def check_date(value: Any, *, required: bool) -> tuple[dt.date | None, str]:
    if value is None or value == "":
        return None, (_("日期不能为空。") if required else "")
    if isinstance(value, dt.datetime):
        return value.date(), ""
    if isinstance(value, dt.date):
        return value, ""
    text = str(value).strip().replace("/", "-").replace(".", "-")
    if text in ("长期", "long-term"):
        return None, ""
    try:
        return dt.date.fromisoformat(text), ""
    except ValueError:
        return None, _("日期格式错误：%(value)s（应为 YYYY-MM-DD）") % {"value": value}
