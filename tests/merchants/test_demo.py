import random
import time

from nuanxin.core.demo import DemoContext, run_seeders
from nuanxin.credit.models import CreditState
from nuanxin.lib.uscc import uscc_is_valid
from nuanxin.merchants.models import Licence, Merchant
from nuanxin.merchants.selectors import MerchantFilters, merchant_search


def _seed(scale: float) -> DemoContext:
    ctx = DemoContext(rng=random.Random(7), scale=scale)
    run_seeders(ctx, only=["orgs", "accounts", "merchants", "credit"])
    return ctx


def test_demo_city_is_realistic_valid_and_idempotent(db) -> None:
    started = time.perf_counter()
    ctx = _seed(0.1)
    elapsed = time.perf_counter() - started
    merchants = list(Merchant.objects.select_related("district"))
    assert len(merchants) == 200
    assert all(uscc_is_valid(m.uscc) for m in merchants)
    assert all(m.district.contains(lat=m.lat, lng=m.lng) for m in merchants)
    assert len({m.name for m in merchants}) == len(merchants)
    assert any(m.address.startswith("亳州市") and "路" in m.address for m in merchants)
    assert CreditState.objects.count() == 200
    portal = next(u for u in ctx.users if u["username"] == "merchant")
    assert portal["role"] == "merchant"
    from nuanxin.accounts.models import User

    assert User.objects.get(username="merchant").merchants.count() == 2
    chief = User.objects.get(username="chief")
    for state in ("expired", "expiring", "valid"):
        assert merchant_search(user=chief, filters=MerchantFilters(licence_state=state)).exists()
    counts = (Merchant.objects.count(), Licence.objects.count(), CreditState.objects.count())
    _seed(0.1)
    assert (
        Merchant.objects.count(),
        Licence.objects.count(),
        CreditState.objects.count(),
    ) == counts
    assert elapsed < 20


def test_demo_is_deterministic(db) -> None:
    _seed(0.02)
    first = sorted(Merchant.objects.values_list("uscc", "name"))
    Merchant.objects.all().delete()
    from nuanxin.accounts.models import User

    User.objects.filter(username="merchant").delete()
    _seed(0.02)
    assert sorted(Merchant.objects.values_list("uscc", "name")) == first
