"""Bike plates (一车一牌). Pure functions; the format itself is data (data/bikes/policy.json).

Default format: city prefix 亳 + one upper-case operator letter + 7 digits, e.g. 亳Q0000001.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache


class PlateError(ValueError):
    """A plate does not match the bureau's format (code says which rule failed)."""

    def __init__(self, code: str, plate: str) -> None:
        super().__init__(f"{code}: {plate!r}")
        self.code = code
        self.plate = plate


@lru_cache(maxsize=16)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def plate_normalize(raw: str) -> str:
    """Full-width letters/digits to ASCII (NFKC), upper case, spaces and dashes removed."""
    text = unicodedata.normalize("NFKC", raw or "")
    return re.sub(r"[\s\-·]", "", text).upper()


def plate_validate(raw: str, *, pattern: str, operator_letter: str = "") -> str:
    """Return the normalised plate, or raise PlateError.

    `operator_letter`, when given, must be the letter right after the city prefix.
    """
    plate = plate_normalize(raw)
    if not plate:
        raise PlateError("empty", raw)
    if not _compiled(pattern).fullmatch(plate):
        raise PlateError("format", raw)
    if operator_letter and operator_letter.upper() not in plate[1:2]:
        raise PlateError("operator_letter", raw)
    return plate


def plate_make(*, prefix: str, letter: str, number: int, digits: int = 7) -> str:
    return f"{prefix}{letter.upper()}{number:0{digits}d}"
