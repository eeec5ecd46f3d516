from __future__ import annotations

import secrets
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from nuanxin.accounts.models import ApiToken, User
from nuanxin.audit.services import audit_record
from nuanxin.core.errors import DomainError


@transaction.atomic
def api_token_issue(
    *,
    name: str,
    by: User | None,
    operator: Any = None,
    integration: str = "",
    raw: str | None = None,
) -> tuple[ApiToken, str]:
    """Create a token for one operator or one integration; returns it and the secret (shown once)."""
    if (operator is None) == (not integration):
        raise DomainError("token_scope", _("令牌必须且只能属于一个运营企业或一个集成。"))
    raw = raw or f"nx_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        name=name,
        kind=ApiToken.Kind.OPERATOR if operator is not None else ApiToken.Kind.INTEGRATION,
        operator=operator,
        integration=integration,
        prefix=raw[:10],
        key_hash=ApiToken.hash_secret(raw),
        created_by=by,
    )
    audit_record(
        actor=by,
        action="api_token.issue",
        obj=token,
        after={"name": name, "operator_id": token.operator_id, "integration": integration},
    )
    return token, raw


@transaction.atomic
def api_token_revoke(*, token: ApiToken, by: User | None) -> ApiToken:
    if token.revoked_at is not None:
        return token
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_record(
        actor=by,
        action="api_token.revoke",
        obj=token,
        before={"revoked": False},
        after={"revoked": True},
    )
    return token


@transaction.atomic
def user_password_change(*, user: User, new_password: str, source_ip: str | None = None) -> User:
    """The user's own password, already validated (Django's PasswordChangeForm: the old one
    checked, the new one through AUTH_PASSWORD_VALIDATORS). The audit row says that it
    changed, never what to."""
    user.set_password(new_password)
    user.save(update_fields=["password"])
    audit_record(
        actor=user,
        action="user.password_change",
        obj=user,
        after={"password_changed": True},
        source_ip=source_ip,
    )
    return user
