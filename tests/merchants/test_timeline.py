import datetime as dt

from django.utils import timezone

from nuanxin.merchants.services import inspection_record
from nuanxin.merchants.timeline import timeline_for
from tests.merchants.helpers import add_licence


def test_registration_licences_inspections_and_credit_changes(personas) -> None:
    shop = personas.merchant_shop
    add_licence(shop, "food", days_left=-3, n=1)
    inspection_record(
        merchant=shop,
        by=personas.officer_a,
        result="pass",
        at=timezone.now() - dt.timedelta(days=1),
    )
    entries = timeline_for(merchant=shop)
    kinds = [e.kind for e in entries]
    assert {
        "merchant.registered",
        "licence.valid_from",
        "licence.expired",
        "inspection.pass",
        "credit.change",
    } <= set(kinds)
    assert [e.at for e in entries] == sorted((e.at for e in entries), reverse=True)
    credit = next(e for e in entries if e.kind == "credit.change")
    assert "+2: 检查合格" in credit.detail


def test_public_timeline_leaves_out_inspections_and_credit(personas) -> None:
    shop = personas.merchant_shop
    inspection_record(merchant=shop, by=personas.officer_a, result="fail", notes="占道")
    public = timeline_for(merchant=shop, public_only=True)
    assert public
    assert all(e.kind.startswith(("merchant.", "licence.")) or e.public for e in public)
    assert not any(e.kind.startswith(("inspection", "credit")) for e in public)
