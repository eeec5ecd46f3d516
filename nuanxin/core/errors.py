"""Errors that services raise and that views/APIs turn into clear, translated messages."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A rule of the domain refused the request.

    `code` is stable and machine-readable; `message` is already translated (use gettext
    at the raise site) so the user reads it in their own language.
    """

    status_code = 400

    def __init__(self, code: str, message: str, **details: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = str(message)
        self.details = details

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "detail": self.message, **self.details}


class Conflict(DomainError):
    status_code = 409


class NotAllowed(DomainError):
    """The actor lacks the power for this action (role or scope)."""

    status_code = 403
