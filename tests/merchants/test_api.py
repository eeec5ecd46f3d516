import pytest

from tests.merchants.helpers import make_merchant


def test_staff_list_is_scoped_and_filtered(personas, client_for) -> None:
    make_merchant(personas.district_b, name="南区水果店")
    data = client_for(personas.officer_a).get("/api/v1/merchants/").json()
    assert [m["name"] for m in data["results"]] == ["老王烧烤店"]
    data = client_for(personas.chief).get("/api/v1/merchants/", {"district": "QC-S"}).json()
    assert data["count"] == 1 and data["results"][0]["name"] == "南区水果店"
    assert "contact_phone" not in data["results"][0]


def test_staff_detail_has_licences_and_contact(personas, client_for) -> None:
    shop = personas.merchant_shop
    data = client_for(personas.officer_a).get(f"/api/v1/merchants/{shop.pk}").json()
    assert data["uscc"] == shop.uscc
    assert data["licences"][0]["number"] == "BL-TEST-0001"
    assert data["licences"][0]["state"] == "valid"
    assert data["contact_phone"] == "13905581234"


@pytest.mark.parametrize(
    ("who", "status"), [("officer_b", 404), ("merchant", 403), ("outsider", 403)]
)
def test_wrong_personas_are_refused(personas, client_for, who, status) -> None:
    client = client_for(getattr(personas, who))
    assert client.get(f"/api/v1/merchants/{personas.merchant_shop.pk}").status_code == status
    if status == 403:
        assert client.get("/api/v1/merchants/").status_code == 403


def test_anonymous_is_unauthorised(personas, client) -> None:
    assert client.get("/api/v1/merchants/").status_code == 401
