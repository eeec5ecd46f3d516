"""Authentication for the JSON APIs (django-ninja)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import APIKeyHeader, HttpBearer, SessionAuth

from nuanxin.accounts.models import ApiToken
from nuanxin.accounts.selectors import api_token_authenticate


class OperatorTokenAuth(HttpBearer):
    """`Authorization: Bearer <token>` of an operator-scoped token; sets request.auth to the token."""

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        found = api_token_authenticate(token)
        if found is None or found.kind != ApiToken.Kind.OPERATOR:
            return None
        return found


class IntegrationKeyAuth(APIKeyHeader):
    param_name = "X-Api-Key"

    def authenticate(self, request: HttpRequest, key: str | None) -> ApiToken | None:
        found = api_token_authenticate(key)
        if found is None or found.kind != ApiToken.Kind.INTEGRATION:
            return None
        return found


class StaffSessionAuth(SessionAuth):
    """A logged-in staff session (CSRF-checked for unsafe methods)."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        if user and user.is_active:
            return user
        return None


operator_auth = OperatorTokenAuth()
integration_auth = IntegrationKeyAuth()
staff_auth = StaffSessionAuth()
