"""Masking of personal data on public pages (个人信息去标识化展示).

Used by every public page that names a responsible person or a complainant: the
surname, the phone's network prefix and last four digits, the ID number's region
and last four characters stay; everything else becomes "*".
"""

from __future__ import annotations

import re

MASK = "*"


def mask_name(name: str | None) -> str:
    """王大明 → 王**, 王明 → 王*, 欧阳娜娜 → 欧***; a Latin name keeps its first letter."""
    value = (name or "").strip()
    if not value:
        return ""
    if len(value) == 1:
        return MASK
    return value[0] + MASK * (len(value) - 1)


def mask_phone(phone: str | None) -> str:
    """13905581234 → 139****1234; 0558-5123456 → 0558-****456; short numbers keep 2."""
    value = (phone or "").strip()
    if not value:
        return ""
    digits = re.sub(r"\D", "", value)
    if re.fullmatch(r"(?:\+?86)?1\d{10}", digits) and len(digits) in (11, 13):
        mobile = digits[-11:]
        return f"{mobile[:3]}{MASK * 4}{mobile[-4:]}"
    landline = re.fullmatch(r"(0\d{2,3})[-\s]?(\d{7,8})", value)
    if landline:
        area, number = landline.groups()
        return f"{area}-{MASK * (len(number) - 3)}{number[-3:]}"
    if len(digits) <= 4:
        return MASK * len(digits)
    return MASK * (len(digits) - 2) + digits[-2:]


def mask_id_number(number: str | None) -> str:
    """身份证号 341602199001011234 → 341602********1234; other IDs keep first 2, last 2."""
    value = (number or "").strip().upper()
    if not value:
        return ""
    if len(value) in (15, 18):
        return value[:6] + MASK * (len(value) - 10) + value[-4:]
    if len(value) <= 4:
        return MASK * len(value)
    return value[:2] + MASK * (len(value) - 4) + value[-2:]
