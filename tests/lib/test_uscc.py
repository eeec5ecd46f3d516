import random

import pytest

from nuanxin.lib.uscc import (
    USCCError,
    org_code_check_char,
    uscc_check_char,
    uscc_generate,
    uscc_is_valid,
    uscc_validate,
)

# Published codes of real companies (from their business-licence notices).
REAL_CODES = ["9144030071526726XG", "91110108551385082Q"]


@pytest.mark.parametrize("code", REAL_CODES)
def test_it_accepts_real_codes(code: str) -> None:
    assert uscc_validate(code) == code


def test_it_normalises_case_and_spaces() -> None:
    assert uscc_validate(" 9144 0300 7152 6726xg ") == "9144030071526726XG"


def test_the_persona_fixture_code_is_valid() -> None:
    assert uscc_validate("92341602MA2TE8K028") == "92341602MA2TE8K028"


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("", "empty"),
        ("91440300715267", "length"),
        ("9144030071526726XGX", "length"),
        ("9144030071526726OG", "charset"),  # O is not in the GB 32100 set
        ("Z144030071526726XG", "charset"),
        ("B144030071526726XG", "authority"),
        ("9044030071526726XG", "entity_type"),
        ("91A4030071526726XG", "division"),
        ("91440300715267261G", "org_check"),  # GB 11714 check of 71526726 is X
        ("9144030071526726XH", "check_digit"),
        ("92341602MA2TEST01", "length"),  # the old, invalid fixture code
    ],
)
def test_it_names_the_reason_for_a_bad_code(code: str, reason: str) -> None:
    with pytest.raises(USCCError) as info:
        uscc_validate(code)
    assert info.value.reason == reason
    assert isinstance(info.value, ValueError)
    assert str(info.value)


def test_check_digit_wraps_31_to_0() -> None:
    # Search a body whose weighted sum is a multiple of 31: its check must be "0".
    rng = random.Random(5)
    for _ in range(5000):
        code = uscc_generate(rng)
        if code[-1] == "0":
            assert uscc_check_char(code[:17]) == "0"
            return
    pytest.fail("no code with check 0 generated")


def test_org_code_check_handles_x_and_zero() -> None:
    assert org_code_check_char("71526726") == "X"
    assert org_code_check_char("55138508") == "2"


def test_every_single_character_change_is_detected() -> None:
    code = "91110108551385082Q"
    for i in range(18):
        for ch in "0123456789ABCDEFGHJKLMNPQRTUWXY":
            if ch == code[i]:
                continue
            mutated = code[:i] + ch + code[i + 1 :]
            assert not uscc_is_valid(mutated), mutated


def test_generated_codes_are_valid_and_deterministic() -> None:
    first = [uscc_generate(random.Random(42)) for _ in range(3)]
    again = [uscc_generate(random.Random(42)) for _ in range(3)]
    assert first == again
    rng = random.Random(7)
    codes = [uscc_generate(rng, individual=i % 2 == 0) for i in range(2000)]
    assert all(uscc_is_valid(c) for c in codes)
    assert {c[:2] for c in codes} == {"91", "92"}
