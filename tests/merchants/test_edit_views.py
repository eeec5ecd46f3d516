from nuanxin.audit.models import AuditEvent
from nuanxin.merchants.models import Licence, Merchant

FORM = {
    "uscc": "91110108551385082Q",
    "name": "芍花路水果店",
    "kind": "individual",
    "category": "零售",
    "street": "芍花街道",
    "address": "亳州市谯城区芍花路3号",
    "lat": "33.82",
    "lng": "115.74",
    "contact_name": "孙七",
    "contact_phone": "13600003333",
    "status": "active",
}


def test_chief_registers_a_merchant_with_the_district_derived(personas, client_for) -> None:
    response = client_for(personas.chief).post("/staff/merchants/new/", FORM)
    assert response.status_code == 302
    merchant = Merchant.objects.get(uscc=FORM["uscc"])
    assert merchant.district == personas.district_b
    assert AuditEvent.objects.filter(action="merchant.create").exists()


def test_a_bad_code_is_shown_on_the_field_and_nothing_is_stored(personas, client_for) -> None:
    response = client_for(personas.chief).post(
        "/staff/merchants/new/", {**FORM, "uscc": "91110108551385082R"}
    )
    assert response.status_code == 400
    assert "第18位校验码" in response.content.decode()
    assert not Merchant.objects.filter(name=FORM["name"]).exists()


def test_an_officer_registers_only_inside_their_district(personas, client_for) -> None:
    client = client_for(personas.officer_a)
    assert client.post("/staff/merchants/new/", FORM).status_code == 400
    assert not Merchant.objects.filter(uscc=FORM["uscc"]).exists()
    ok = client.post("/staff/merchants/new/", {**FORM, "lat": "33.88"})
    assert ok.status_code == 302


def test_edit_and_licence_add_are_audited(personas, client_for) -> None:
    shop = personas.merchant_shop
    client = client_for(personas.officer_a)
    page = client.get(f"/staff/merchants/{shop.pk}/edit/")
    assert page.status_code == 200
    data = {**FORM, "uscc": shop.uscc, "name": "老王烧烤（总店）", "lat": "33.87", "lng": "115.75"}
    assert client.post(f"/staff/merchants/{shop.pk}/edit/", data).status_code == 302
    shop.refresh_from_db()
    assert shop.name == "老王烧烤（总店）"
    response = client.post(
        f"/staff/merchants/{shop.pk}/licences/",
        {
            "kind": "food",
            "number": "JY1341602000001",
            "valid_from": "2025-01-01",
            "valid_until": "2029-12-31",
        },
    )
    assert response.status_code == 302
    assert Licence.objects.filter(merchant=shop, kind="food").exists()
    assert AuditEvent.objects.filter(action="licence.add").exists()


def test_wrong_personas_cannot_edit(personas, client_for) -> None:
    shop = personas.merchant_shop
    assert (
        client_for(personas.officer_b).get(f"/staff/merchants/{shop.pk}/edit/").status_code == 404
    )
    for who in ("merchant", "outsider", "analyst"):
        client = client_for(getattr(personas, who))
        assert client.get("/staff/merchants/new/").status_code == 403
        assert client.get(f"/staff/merchants/{shop.pk}/edit/").status_code == 403
        assert (
            client.post(f"/staff/merchants/{shop.pk}/licences/", {"kind": "food"}).status_code
            == 403
        )
