"""Access to a merchant's door code: through the merchants app's access_merchant."""

from __future__ import annotations

from typing import Any

from nuanxin.core.access import require_role

ISSUE_ROLES = ("officer", "chief", "bureau_admin")


def access_door_code_merchant(user: Any, merchant_id: int) -> Any:
    """The merchant whose code `user` may see and download (staff within scope, or the
    merchant's own portal login)."""
    from nuanxin.merchants.access import access_merchant

    return access_merchant(user, merchant_id)


def access_door_code_issue(user: Any, merchant_id: int) -> Any:
    """Issuing or reissuing needs an officer (own district), a chief or an admin."""
    require_role(user, *ISSUE_ROLES)
    return access_door_code_merchant(user, merchant_id)
