"""Django admin writes are audited like every other write path."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django import forms
from django.contrib import admin
from django.core.management import call_command

from nuanxin.audit.admin_audit import AuditedAdminSite, is_audited
from nuanxin.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_every_registered_admin_class_uses_the_audited_base(db: Any) -> None:
    assert isinstance(admin.site, AuditedAdminSite)
    registry = admin.site._registry
    assert len(registry) > 30  # ours and third-party ones (auth, axes)
    unaudited = [m._meta.label for m, ma in registry.items() if not is_audited(ma)]
    assert unaudited == []


def admin_form_data(response: Any) -> dict[str, Any]:
    """The admin change form's current values, as the browser would post them back."""
    data: dict[str, Any] = {}
    form = response.context["adminform"].form
    for name, field in form.fields.items():
        value = form[name].value()
        if value is None or field.disabled:
            continue
        if isinstance(field.widget, forms.MultiWidget):  # split date and time
            for index, part in enumerate(field.widget.decompress(value)):
                data[f"{name}_{index}"] = "" if part is None else str(part)
        elif isinstance(value, list | tuple):
            data[name] = [str(v) for v in value]
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        else:
            data[name] = str(value)
    for formset in response.context.get("inline_admin_formsets", []):
        management = formset.formset.management_form
        for name in management.fields:
            data[f"{management.prefix}-{name}"] = management[name].value()
        for index, inline_form in enumerate(formset.formset.forms):
            for name in inline_form.fields:
                value = inline_form[name].value()
                if value is not None and value is not False:
                    data[f"{formset.formset.prefix}-{index}-{name}"] = (
                        "on" if value is True else str(value)
                    )
    return data


def _no_secrets_recorded() -> None:
    text = json.dumps(list(AuditEvent.objects.values("before", "after")), ensure_ascii=False)
    assert "pbkdf2" not in text and "argon2" not in text and "persona-pass" not in text


def test_an_admin_change_of_a_user_writes_an_audit_row(client_for: Any, personas: Any) -> None:
    client = client_for(personas.admin)
    url = f"/admin/accounts/user/{personas.officer_b.pk}/change/"
    data = admin_form_data(client.get(url))
    data.update({"display_name": "改名后的队员", "district": str(personas.district_a.pk)})
    response = client.post(url, data, REMOTE_ADDR="10.9.8.7")
    assert response.status_code == 302, response.context["adminform"].form.errors
    row = AuditEvent.objects.get(action="admin.change", object_id=str(personas.officer_b.pk))
    assert row.object_type == "accounts.user" and row.actor == personas.admin
    assert row.source_ip == "10.9.8.7"
    # Only changed fields (the form also drops date_joined's microseconds, a real change).
    assert row.after["display_name"] == "改名后的队员"
    assert row.after["district_id"] == personas.district_a.pk
    assert set(row.after) <= {"display_name", "district_id", "date_joined"}
    assert row.before["district_id"] == personas.district_b.pk
    _no_secrets_recorded()
    call_command("audit_verify")


def test_an_admin_password_change_is_recorded_masked(client_for: Any, personas: Any) -> None:
    client = client_for(personas.admin)
    url = f"/admin/accounts/user/{personas.outsider.pk}/password/"
    response = client.post(
        url,
        {
            "password1": "Brand-new-pass-482",
            "password2": "Brand-new-pass-482",
            "usable_password": "true",
            "set-password": "1",
        },
    )
    assert response.status_code == 302
    row = AuditEvent.objects.get(action="admin.change", object_id=str(personas.outsider.pk))
    assert row.before == {"password": "***"} and row.after == {"password": "***"}
    _no_secrets_recorded()
    # A refused form changes nothing and records nothing.
    client.post(url, {"password1": "a", "password2": "b", "usable_password": "true"})
    assert AuditEvent.objects.filter(action="admin.change").count() == 1
    call_command("audit_verify")


def test_an_admin_added_user_is_recorded_without_the_hash(client_for: Any, personas: Any) -> None:
    from nuanxin.accounts.models import User

    client = client_for(personas.admin)
    response = client.post(
        "/admin/accounts/user/add/",
        {
            "username": "newclerk",
            "password1": "Brand-new-pass-482",
            "password2": "Brand-new-pass-482",
            "usable_password": "true",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(username="newclerk")
    row = AuditEvent.objects.get(action="admin.add", object_id=str(user.pk))
    assert row.before is None and row.after["username"] == "newclerk"
    assert row.after["password"] == "***"
    _no_secrets_recorded()


def test_admin_deletes_are_recorded_one_row_each(client_for: Any, personas: Any) -> None:
    from nuanxin.accounts.models import ApiToken
    from nuanxin.accounts.services import api_token_issue

    tokens = [api_token_issue(name=f"集成{n}", by=None, integration="open311")[0] for n in range(3)]
    client = client_for(personas.admin)
    first = tokens[0]
    response = client.post(f"/admin/accounts/apitoken/{first.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    row = AuditEvent.objects.get(action="admin.delete", object_id=str(first.pk))
    assert row.before["name"] == "集成0" and row.before["key_hash"] == "***"
    assert row.after is None
    response = client.post(
        "/admin/accounts/apitoken/",
        {
            "action": "delete_selected",
            "_selected_action": [t.pk for t in tokens[1:]],
            "post": "yes",
        },
    )
    assert response.status_code == 302
    assert not ApiToken.objects.exists()
    assert AuditEvent.objects.filter(action="admin.delete").count() == 3
    call_command("audit_verify")


def test_inline_rows_are_recorded(client_for: Any, personas: Any) -> None:
    shop = personas.merchant_shop
    licence = shop.licences.first()
    client = client_for(personas.admin)
    url = f"/admin/merchants/merchant/{shop.pk}/change/"
    data = admin_form_data(client.get(url))
    key = next(k for k, v in data.items() if k.endswith("-number") and v == licence.number)
    data[key] = "BL-TEST-0002"
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    row = AuditEvent.objects.get(action="admin.change", object_type="merchants.licence")
    assert row.before == {"number": licence.number} and row.after == {"number": "BL-TEST-0002"}
    # The merchant row itself only re-saved its timestamps.
    for merchant_row in AuditEvent.objects.filter(object_type="merchants.merchant"):
        assert set(merchant_row.after) <= {"created_at", "updated_at"}


def test_the_admin_refuses_non_staff(client_for: Any, personas: Any) -> None:
    for who in (personas.officer_a, personas.merchant, personas.outsider):
        response = client_for(who).get("/admin/accounts/user/")
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
