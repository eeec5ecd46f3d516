from __future__ import annotations

import secrets
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from nuanxin.accounts.models import ApiToken, Role, User
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
def user_create(
    *,
    username: str,
    password: str | None,
    role: str,
    by: User | None,
    district: Any = None,
    display_name: str = "",
    phone: str = "",
    badge_no: str = "",
    is_superuser: bool = False,
) -> User:
    if role not in Role.values:
        raise DomainError("bad_role", _("未知角色：%(role)s") % {"role": role})
    if role == Role.OFFICER and district is None:
        raise DomainError("district_required", _("执法队员必须分配到一个中队/辖区。"))
    user = User(
        username=username,
        role=role,
        district=district,
        display_name=display_name,
        phone=phone,
        badge_no=badge_no,
        is_staff=is_superuser or role == Role.BUREAU_ADMIN,
        is_superuser=is_superuser,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    audit_record(
        actor=by,
        action="user.create",
        obj=user,
        after={"username": username, "role": role, "district_id": user.district_id},
    )
    return user
