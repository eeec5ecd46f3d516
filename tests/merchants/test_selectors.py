from django.db import connection
from django.test.utils import CaptureQueriesContext

from nuanxin.credit.models import CreditState
from nuanxin.merchants.selectors import MerchantFilters, merchant_page, merchant_search
from tests.merchants.helpers import add_licence, make_merchant


def _names(user, **filters) -> set[str]:
    return {m.name for m in merchant_search(user=user, filters=MerchantFilters(**filters))}


def _city(personas):
    a = personas.district_a
    valid = make_merchant(a, name="有效店", street="薛阁街道")
    add_licence(valid, "business", days_left=None, n=1)
    expiring = make_merchant(a, name="将到期店")
    add_licence(expiring, "business", days_left=None, n=2)
    add_licence(expiring, "food", days_left=10, n=3)
    expired = make_merchant(a, name="过期店")
    add_licence(expired, "business", days_left=-1, n=4)
    add_licence(expired, "food", days_left=10, n=5)
    missing = make_merchant(a, name="无照店")
    add_licence(missing, "signboard", days_left=100, n=6)
    south = make_merchant(personas.district_b, name="南区店", street="芍花街道")
    add_licence(south, "business", days_left=None, n=7)
    CreditState.objects.create(merchant=expired, score=55, level="D", rules_version="t")
    CreditState.objects.create(merchant=valid, score=92, level="A", rules_version="t")
    return valid, expiring, expired, missing, south


def test_licence_states(personas) -> None:
    _city(personas)
    chief = personas.chief
    assert _names(chief, licence_state="valid") == {"有效店", "南区店", "老王烧烤店"}
    assert _names(chief, licence_state="expiring") == {"将到期店"}
    assert _names(chief, licence_state="expired") == {"过期店"}
    assert _names(chief, licence_state="missing") == {"无照店"}


def test_filters_by_district_street_credit_and_text(personas) -> None:
    *_rest, south = _city(personas)
    chief = personas.chief
    assert _names(chief, district="QC-S") == {"南区店"}
    assert _names(chief, street="薛阁街道") == {"有效店"}
    assert _names(chief, credit_level="D") == {"过期店"}
    assert _names(chief, credit_level="A") == {"有效店"}
    # Unscored merchants have the base level (B).
    assert "无照店" in _names(chief, credit_level="B")
    assert "有效店" not in _names(chief, credit_level="B")
    assert _names(chief, q="过期") == {"过期店"}
    assert _names(chief, q=south.uscc.lower()) == {"南区店"}


def test_an_officer_sees_only_their_district(personas) -> None:
    _city(personas)
    assert "南区店" not in _names(personas.officer_a)
    assert _names(personas.officer_b) == {"南区店"}


def test_a_page_costs_a_fixed_number_of_queries(personas) -> None:
    for i in range(30):
        m = make_merchant(personas.district_a, name=f"店{i:02d}")
        add_licence(m, "business", days_left=None, n=100 + i)
    counts = []
    for per_page in (5, 25):
        with CaptureQueriesContext(connection) as ctx:
            page = merchant_page(user=personas.chief, filters=MerchantFilters(), per_page=per_page)
            for m in page:
                list(m.licences.all())
                getattr(m, "credit", None)
                _ = m.district.name
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1] <= 4
