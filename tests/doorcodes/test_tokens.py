from __future__ import annotations

import pytest

from nuanxin.doorcodes.tokens import TokenError, new_code_id, token_make, token_parse


def test_it_round_trips_a_token() -> None:
    code_id = new_code_id()
    token = token_make(code_id=code_id, version=3)
    parsed = token_parse(token)
    assert parsed.code_id == code_id
    assert parsed.version == 3
    assert len(token) <= 30  # short enough for a small, clean QR


@pytest.mark.parametrize(
    "mutate",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # altered signature
        lambda t: ("b" if t[0] != "b" else "c") + t[1:],  # altered code id
        lambda t: t.replace(".1.", ".2."),  # altered version
    ],
)
def test_it_refuses_an_altered_token(mutate) -> None:  # type: ignore[no-untyped-def]
    token = token_make(code_id="abcdefgh", version=1)
    with pytest.raises(TokenError) as err:
        token_parse(mutate(token))
    assert err.value.reason == "bad_signature"


def test_it_refuses_a_token_signed_with_another_key(settings) -> None:  # type: ignore[no-untyped-def]
    settings.SECRET_KEY = "another-installation-key-" + "x" * 40
    forged = token_make(code_id="abcdefgh", version=1)
    settings.SECRET_KEY = "our-key-" + "y" * 50
    with pytest.raises(TokenError):
        token_parse(forged)


@pytest.mark.parametrize(
    "junk", ["", "hello", "abcdefgh.1", "ABCDEFGH.1.AAAAAAAAAAAAAAAA", "x" * 300]
)
def test_it_refuses_malformed_tokens(junk: str) -> None:
    with pytest.raises(TokenError) as err:
        token_parse(junk)
    assert err.value.reason == "malformed"
