from __future__ import annotations

import pytest

from nuanxin.bikes.policy import bike_policy
from nuanxin.lib.plates import PlateError, plate_make, plate_validate

PATTERN = "^亳[A-Z][0-9]{7}$"


def test_plates_are_normalised_and_checked() -> None:
    assert plate_validate(" 亳ｑ0000123 ", pattern=PATTERN) == "亳Q0000123"  # full-width, spaces
    assert plate_validate("亳Q-0000123", pattern=PATTERN, operator_letter="Q") == "亳Q0000123"
    with pytest.raises(PlateError) as err:
        plate_validate("亳Q0000123", pattern=PATTERN, operator_letter="H")
    assert err.value.code == "operator_letter"
    for bad in ["", "京Q0000123", "亳Q123", "亳QQ000123"]:
        with pytest.raises(PlateError):
            plate_validate(bad, pattern=PATTERN)


def test_policy_data_defines_the_format_and_the_fix_window(monkeypatch: pytest.MonkeyPatch) -> None:
    policy = bike_policy()
    assert policy.plate_pattern == PATTERN
    assert plate_make(prefix=policy.plate_prefix, letter="m", number=42) == "亳M0000042"
    assert policy.fix_window_seconds in (
        900,
        int(__import__("os").environ.get("FIX_WINDOW_SECONDS", 900)),
    )
    bike_policy.cache_clear()
    monkeypatch.setenv("FIX_WINDOW_SECONDS", "60")
    try:
        assert bike_policy().fix_window_seconds == 60
    finally:
        bike_policy.cache_clear()
