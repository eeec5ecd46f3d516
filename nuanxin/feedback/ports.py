"""The few calls this app makes into other teams' apps, in one place.

credit: `credit_event_record` (ratings and complaint outcomes feed the score) and the public
credit level; lib.masking: masking of names and phone numbers.
"""

from __future__ import annotations

import datetime as dt
from typing import Any


def credit_record(
    *,
    merchant: Any,
    kind: str,
    source: Any,
    occurred_at: dt.datetime,
    by: Any,
    value: Any = None,
    note: str = "",
) -> None:
    from nuanxin.credit.services import credit_event_record

    credit_event_record(
        merchant=merchant,
        kind=kind,
        source=source,
        occurred_at=occurred_at,
        by=by,
        value=value,
        note=note,
    )


def credit_level_public(*, merchant: Any) -> str:
    """The merchant's credit level letter (A/B/C/D). A merchant with no credit events yet
    stands at the rules' base level."""
    from nuanxin.credit.models import CreditState
    from nuanxin.credit.rules import rules_current

    level = CreditState.objects.filter(merchant_id=merchant.pk).values_list("level", flat=True)
    found = level.first()
    return found or rules_current().base_level


def mask_phone(phone: str) -> str:
    from nuanxin.lib.masking import mask_phone as _mask

    return _mask(phone) if phone else ""


def mask_name(name: str) -> str:
    from nuanxin.lib.masking import mask_name as _mask

    return _mask(name) if name else ""
