"""统一社会信用代码 (Unified Social Credit Code) per GB 32100-2015.

Layout of the 18 characters:
  1     registration authority (登记管理部门代码): 1-9, A, N, Y
  2     entity type (机构类别代码)
  3-8   administrative division (登记管理机关行政区划码), 6 digits
  9-17  organisation code (主体标识码), itself check-digited per GB 11714-1997
  18    check character over the first 17, modulo 31

Pure Python, no Django, so imports, forms and demo data share one implementation.
"""

from __future__ import annotations

import random

# GB 32100-2015 character set: digits and capitals without I, O, S, V, Z.
CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {ch: i for i, ch in enumerate(CHARSET)}
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

# GB 11714-1997 organisation code: 8 body characters (digits/capitals), one check character.
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

REGISTRATION_AUTHORITIES = set("123456789ANY")


class USCCError(ValueError):
    """A code that is not a valid USCC; `reason` is a stable machine key."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def uscc_check_char(first17: str) -> str:
    total = sum(_VALUE[ch] * w for ch, w in zip(first17, WEIGHTS, strict=True))
    check = 31 - total % 31
    return CHARSET[0 if check == 31 else check]


def _org_char_value(ch: str) -> int:
    if ch.isdigit():
        return int(ch)
    return ord(ch) - ord("A") + 10


def org_code_check_char(body8: str) -> str:
    total = sum(_org_char_value(ch) * w for ch, w in zip(body8, ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    if check == 10:
        return "X"
    if check == 11:
        return "0"
    return str(check)


def uscc_normalise(code: str) -> str:
    return "".join(str(code or "").split()).upper()


def uscc_validate(code: str) -> str:
    """Return the normalised code, or raise USCCError (a ValueError) with a specific reason."""
    value = uscc_normalise(code)
    if not value:
        raise USCCError("empty", "统一社会信用代码为空")
    if len(value) != 18:
        raise USCCError("length", f"统一社会信用代码应为18位，实际为{len(value)}位")
    bad = [ch for ch in value if ch not in _VALUE]
    if bad:
        raise USCCError(
            "charset",
            f"统一社会信用代码含非法字符“{bad[0]}”（不使用 I、O、S、V、Z）",
        )
    if value[0] not in REGISTRATION_AUTHORITIES:
        raise USCCError("authority", f"第1位登记管理部门代码“{value[0]}”无效")
    if not value[1].isdigit() or value[1] == "0":
        raise USCCError("entity_type", f"第2位机构类别代码“{value[1]}”无效")
    if not value[2:8].isdigit():
        raise USCCError("division", "第3-8位行政区划码应为6位数字")
    body, org_check = value[8:16], value[16]
    if not all(ch.isdigit() or "A" <= ch <= "Z" for ch in body):
        raise USCCError("org_code", "第9-16位组织机构代码本体含非法字符")
    expected_org = org_code_check_char(body)
    if org_check != expected_org:
        raise USCCError(
            "org_check",
            f"第17位组织机构代码校验码应为“{expected_org}”，实际为“{org_check}”",
        )
    expected = uscc_check_char(value[:17])
    if value[17] != expected:
        raise USCCError("check_digit", f"第18位校验码应为“{expected}”，实际为“{value[17]}”")
    return value


def uscc_is_valid(code: str) -> bool:
    try:
        uscc_validate(code)
    except ValueError:
        return False
    return True


# Body characters usable in a generated organisation code: the GB 32100 set (so the
# whole USCC stays in its charset) and never a letter the org code check could clash with.
_ORG_BODY_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def uscc_generate(
    rng: random.Random,
    *,
    authority: str = "9",
    entity_type: str | None = None,
    division: str = "341602",
    individual: bool = False,
) -> str:
    """A valid code for demo data and tests, drawn only from `rng` (deterministic).

    Individual businesses (个体工商户) get entity type 2 (工商: 92…), enterprises 1 (91…).
    New-style organisation codes begin with "MA", as issued since 2015.
    """
    if entity_type is None:
        entity_type = "2" if individual else "1"
    while True:
        body = "MA" + "".join(rng.choice(_ORG_BODY_CHARS) for _ in range(6))
        org_check = org_code_check_char(body)
        if org_check in _VALUE:  # "X" is allowed in GB 32100's set; "0"-"9" are too
            break
    first17 = f"{authority}{entity_type}{division}{body}{org_check}"
    return first17 + uscc_check_char(first17)
