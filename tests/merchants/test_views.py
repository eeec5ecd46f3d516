import datetime as dt

import pytest

from nuanxin.merchants.models import Inspection
from tests.merchants.helpers import make_merchant

STAFF_PAGES = [
    "/staff/merchants/",
    "/staff/merchants/template.xlsx",
    "/staff/merchants/export.xlsx",
]


@pytest.mark.parametrize("url", STAFF_PAGES)
def test_staff_pages_refuse_non_staff(personas, client_for, url) -> None:
    for who in ("merchant", "outsider", "operator_admin"):
        assert client_for(getattr(personas, who)).get(url).status_code == 403


def test_staff_pages_need_a_login(client) -> None:
    response = client.get("/staff/merchants/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_list_filters_and_htmx_returns_the_results_fragment(personas, client_for) -> None:
    make_merchant(personas.district_b, name="南区水果店", street="芍花街道")
    client = client_for(personas.chief)
    page = client.get("/staff/merchants/", {"district": "QC-S"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "南区水果店" in text and "老王烧烤店" not in text and "<html" in text
    fragment = client.get("/staff/merchants/", {"q": "老王"}, HTTP_HX_REQUEST="true")
    body = fragment.content.decode()
    assert "老王烧烤店" in body and "<html" not in body


def test_officer_list_is_scoped(personas, client_for) -> None:
    make_merchant(personas.district_b, name="南区水果店")
    text = client_for(personas.officer_a).get("/staff/merchants/").content.decode()
    assert "老王烧烤店" in text and "南区水果店" not in text


def test_detail_shows_licences_credit_and_timeline(personas, client_for) -> None:
    shop = personas.merchant_shop
    client = client_for(personas.officer_a)
    response = client.post(
        f"/staff/merchants/{shop.pk}/inspections/",
        {"result": "rectify", "notes": "门头破损", "at": "2026-11-20T10:30"},
    )
    assert response.status_code == 302
    inspection = Inspection.objects.get()
    assert inspection.at.date() == dt.date(2026, 11, 20)
    text = client.get(f"/staff/merchants/{shop.pk}/").content.decode()
    assert "BL-TEST-0001" in text
    assert "日常检查：责令整改" in text
    assert "检查责令整改" in text  # the credit breakdown line
    assert "13905581234" in text  # staff see the responsible person's phone


def test_detail_is_refused_out_of_scope(personas, client_for) -> None:
    shop = personas.merchant_shop
    assert client_for(personas.officer_b).get(f"/staff/merchants/{shop.pk}/").status_code == 404
    assert client_for(personas.merchant).get(f"/staff/merchants/{shop.pk}/").status_code == 403
    assert client_for(personas.outsider).get(f"/staff/merchants/{shop.pk}/").status_code == 403


def test_inspections_are_refused_to_other_districts_and_roles(personas, client_for) -> None:
    url = f"/staff/merchants/{personas.merchant_shop.pk}/inspections/"
    assert client_for(personas.officer_b).post(url, {"result": "pass"}).status_code == 404
    assert client_for(personas.analyst).post(url, {"result": "pass"}).status_code == 403
    assert client_for(personas.merchant).post(url, {"result": "pass"}).status_code == 403
    assert not Inspection.objects.exists()


def test_import_page_is_for_admins_and_chiefs(personas, client_for) -> None:
    assert client_for(personas.chief).get("/staff/merchants/import/").status_code == 200
    for who in ("officer_a", "merchant", "outsider"):
        assert client_for(getattr(personas, who)).get("/staff/merchants/import/").status_code == 403


def test_portal_shows_only_own_shops(personas, client_for) -> None:
    other = make_merchant(personas.district_a, name="别家店")
    client = client_for(personas.merchant)
    home = client.get("/portal/").content.decode()
    assert "老王烧烤店" in home and "别家店" not in home
    assert "/portal/complaints/" in home
    detail = client.get(f"/portal/merchants/{personas.merchant_shop.pk}/")
    assert detail.status_code == 200
    assert "基础分" in detail.content.decode()
    assert client.get(f"/portal/merchants/{other.pk}/").status_code == 404


def test_portal_refuses_staff_and_outsiders(personas, client_for) -> None:
    for who in ("officer_a", "chief", "outsider"):
        client = client_for(getattr(personas, who))
        assert client.get("/portal/").status_code == 403
        assert client.get(f"/portal/merchants/{personas.merchant_shop.pk}/").status_code == 403


def test_pages_are_available_in_english(personas, client_for) -> None:
    import subprocess
    from pathlib import Path

    from django.conf import settings
    from django.utils.translation import trans_real

    # `make test` compiles every catalogue first; compile ours here so a bare pytest run works.
    po = Path(settings.BASE_DIR) / "nuanxin/merchants/locale/en/LC_MESSAGES/django.po"
    subprocess.run(["msgfmt", "-o", str(po.with_suffix(".mo")), str(po)], check=True)
    trans_real._translations = {}  # drop catalogues cached before the .mo existed
    client = client_for(personas.chief)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    text = client.get("/staff/merchants/").content.decode()
    assert "Licence state" in text and "Export these results (Excel)" in text
