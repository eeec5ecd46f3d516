from __future__ import annotations

from django.utils import timezone

from nuanxin.accounts.models import ApiToken


def api_token_authenticate(raw: str | None) -> ApiToken | None:
    """The active token with this secret, or None. Marks it used (at most once a minute)."""
    if not raw:
        return None
    token = (
        ApiToken.objects.select_related("operator")
        .filter(key_hash=ApiToken.hash_secret(raw.strip()), revoked_at__isnull=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token
