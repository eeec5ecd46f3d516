"""Demo data: a current door code for every merchant (bulk, idempotent)."""

from __future__ import annotations

from django.utils import timezone

from nuanxin.core.demo import DemoContext
from nuanxin.doorcodes.models import DoorCode
from nuanxin.doorcodes.tokens import CODE_ID_LENGTH


def _code_id(ctx: DemoContext, taken: set[str]) -> str:
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    while True:
        code = "".join(ctx.rng.choice(alphabet) for _ in range(CODE_ID_LENGTH))
        if code not in taken:
            taken.add(code)
            return code


def seed(ctx: DemoContext) -> None:
    """Idempotent: merchants that already have a code keep it."""
    from nuanxin.merchants.models import Merchant

    have = set(DoorCode.objects.values_list("merchant_id", flat=True))
    taken = set(DoorCode.objects.values_list("code_id", flat=True))
    now = timezone.now()
    new = [
        DoorCode(merchant_id=mid, code_id=_code_id(ctx, taken), version=1, issued_at=now)
        for mid in Merchant.objects.exclude(status="closed")
        .order_by("pk")
        .values_list("pk", flat=True)
        if mid not in have
    ]
    DoorCode.objects.bulk_create(new, batch_size=500)
    ctx.say(f"doorcodes: {len(new)} codes issued, {DoorCode.objects.count()} in all")
