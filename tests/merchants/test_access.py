import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from nuanxin.merchants.access import access_merchant


def test_staff_in_scope_and_city_wide_roles_see_the_merchant(personas) -> None:
    shop = personas.merchant_shop
    for user in (
        personas.officer_a,
        personas.officer_a2,
        personas.chief,
        personas.reviewer,
        personas.dispatcher,
        personas.analyst,
        personas.admin,
    ):
        assert access_merchant(user, shop.pk) == shop


def test_an_officer_of_another_district_gets_not_found(personas) -> None:
    with pytest.raises(Http404):
        access_merchant(personas.officer_b, personas.merchant_shop.pk)


def test_the_owner_sees_its_own_shop_only(personas, django_user_model) -> None:
    shop = personas.merchant_shop
    assert access_merchant(personas.merchant, shop.pk) == shop
    other = django_user_model.objects.create(username="m2", role="merchant")
    with pytest.raises(Http404):
        access_merchant(other, shop.pk)


@pytest.mark.parametrize("who", ["outsider", "operator_admin"])
def test_roles_without_the_power_are_refused(personas, who) -> None:
    with pytest.raises(PermissionDenied):
        access_merchant(getattr(personas, who), personas.merchant_shop.pk)


def test_anonymous_and_garbage_ids_are_refused(personas) -> None:
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(PermissionDenied):
        access_merchant(AnonymousUser(), personas.merchant_shop.pk)
    with pytest.raises(Http404):
        access_merchant(personas.chief, "x1")
    with pytest.raises(Http404):
        access_merchant(personas.chief, 999999)
