"""The signed door-code token: `<code_id>.<version>.<signature>`.

`code_id` is random (unguessable, 8 base32 characters), `version` counts reissues for the
merchant, and the signature is an HMAC-SHA256 (Django's `salted_hmac`, keyed by SECRET_KEY)
over both, truncated to 96 bits. The token is short so the QR stays small and clean; its
validity (not revoked) is checked against the database on every scan. The key is
DOORCODE_SIGNING_KEY (falling back to SECRET_KEY): keep it stable, or every printed plate
becomes invalid.
"""

from __future__ import annotations

import base64
import re
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac

from nuanxin.lib.env import envstr

SALT = "nuanxin.doorcodes.token.v1"
_CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: safe to read aloud
CODE_ID_LENGTH = 8
_TOKEN_RE = re.compile(r"^([a-z2-9]{8})\.([1-9][0-9]{0,5})\.([A-Za-z0-9_-]{16})$")


@dataclass(frozen=True)
class ParsedToken:
    code_id: str
    version: int


class TokenError(Exception):
    """The token is malformed or its signature does not match (forged or altered)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def new_code_id() -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(CODE_ID_LENGTH))


def _signing_key() -> str:
    # Printed plates outlive SECRET_KEY rotations: a bureau sets DOORCODE_SIGNING_KEY once
    # and keeps it (SECRET_KEY is only the fallback).
    return envstr("DOORCODE_SIGNING_KEY") or settings.SECRET_KEY


def _signature(code_id: str, version: int) -> str:
    digest = salted_hmac(
        SALT, f"{code_id}:{version}", secret=_signing_key(), algorithm="sha256"
    ).digest()
    return base64.urlsafe_b64encode(digest[:12]).decode("ascii")


def token_make(*, code_id: str, version: int) -> str:
    return f"{code_id}.{version}.{_signature(code_id, version)}"


def token_parse(token: str) -> ParsedToken:
    """Check the form and signature; raises TokenError("malformed" | "bad_signature")."""
    match = _TOKEN_RE.match(token or "")
    if match is None:
        raise TokenError("malformed")
    code_id, version_text, signature = match.groups()
    version = int(version_text)
    if not constant_time_compare(signature, _signature(code_id, version)):
        raise TokenError("bad_signature")
    return ParsedToken(code_id=code_id, version=version)
