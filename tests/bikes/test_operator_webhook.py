"""An operator's webhook settings: the model refuses a URL without a secret (and plain http
in production), the services generate and rotate secrets, and audit without the secret."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError
from django.test import RequestFactory

from nuanxin.audit.models import AuditEvent
from nuanxin.bikes.models import Operator
from nuanxin.bikes.services import operator_webhook_secret_rotate, operator_webhook_set
from nuanxin.core.errors import DomainError

HOOK = "https://hooks.qingju.example/nuanxin"
STRONG = "k" * 43


def test_clean_refuses_a_url_without_a_secret(personas):
    operator = personas.operator
    operator.webhook_url = HOOK
    operator.webhook_secret = ""
    with pytest.raises(ValidationError) as refused:
        operator.full_clean()
    assert "webhook_url" in refused.value.message_dict
    operator.webhook_secret = STRONG
    operator.full_clean()


def test_clean_allows_a_secret_without_a_url_and_neither(personas):
    operator = personas.operator
    operator.webhook_secret = STRONG
    operator.full_clean()
    operator.webhook_secret = ""
    operator.full_clean()


def test_clean_refuses_a_short_secret(personas):
    operator = personas.operator
    operator.webhook_url, operator.webhook_secret = HOOK, "short"
    with pytest.raises(ValidationError) as refused:
        operator.full_clean()
    assert "webhook_secret" in refused.value.message_dict


def test_clean_wants_https_outside_development(personas, settings):
    operator = personas.operator
    operator.webhook_url, operator.webhook_secret = "http://hooks.qingju.example/", STRONG
    with pytest.raises(ValidationError) as refused:
        operator.full_clean()
    assert "https://" in " ".join(refused.value.message_dict["webhook_url"])
    settings.DEBUG = True
    operator.full_clean()


def test_the_admin_refuses_a_url_without_a_secret(personas):
    from django.contrib import admin

    personas.admin.is_superuser = personas.admin.is_staff = True
    request = RequestFactory().get("/admin/")
    request.user = personas.admin
    operator = personas.operator
    model_admin = admin.site._registry[Operator]
    form_class = model_admin.get_form(request, operator, change=True)
    data = {
        "provider_id": str(operator.provider_id),
        "code": operator.code,
        "name": operator.name,
        "status": operator.status,
        "quota": operator.quota,
        "webhook_url": HOOK,
        "webhook_secret": "",
        "unregistered_event_count": 0,
    }
    form = form_class(data=data, instance=operator)
    assert not form.is_valid()
    assert "webhook_url" in form.errors
    form = form_class(data={**data, "webhook_secret": STRONG}, instance=operator)
    assert form.is_valid(), form.errors


def test_setting_a_url_generates_a_strong_secret_and_audits_without_it(personas):
    operator, secret = operator_webhook_set(
        operator=personas.operator, url=HOOK, by=personas.operator_admin, source_ip="10.0.0.8"
    )
    assert secret and len(secret) >= 43
    operator.refresh_from_db()
    assert operator.webhook_url == HOOK and operator.webhook_secret == secret
    event = AuditEvent.objects.get(action="operator.webhook_set")
    assert event.actor == personas.operator_admin and event.source_ip == "10.0.0.8"
    assert event.after["webhook_url"] == HOOK and event.after["secret_generated"] is True
    assert secret not in json.dumps([event.before, event.after])


def test_setting_a_url_keeps_an_existing_secret(personas):
    Operator.objects.filter(pk=personas.operator.pk).update(webhook_secret=STRONG)
    operator, secret = operator_webhook_set(
        operator=personas.operator, url=HOOK, by=personas.operator_admin
    )
    assert secret is None and operator.webhook_secret == STRONG


def test_a_refused_url_changes_nothing(personas):
    with pytest.raises(DomainError) as refused:
        operator_webhook_set(
            operator=personas.operator, url="http://plain.example/", by=personas.operator_admin
        )
    assert refused.value.code == "bad_webhook" and "https://" in refused.value.message
    personas.operator.refresh_from_db()
    assert personas.operator.webhook_url == "" and personas.operator.webhook_secret == ""
    assert not AuditEvent.objects.filter(action="operator.webhook_set").exists()


def test_clearing_the_url_turns_pushes_off(personas):
    operator_webhook_set(operator=personas.operator, url=HOOK, by=personas.operator_admin)
    operator, secret = operator_webhook_set(
        operator=personas.operator, url="", by=personas.operator_admin
    )
    assert operator.webhook_url == "" and secret is None
    assert AuditEvent.objects.filter(action="operator.webhook_set").count() == 2


def test_rotation_changes_the_secret_and_audits_only_its_hint(personas):
    _, first = operator_webhook_set(
        operator=personas.operator, url=HOOK, by=personas.operator_admin
    )
    second = operator_webhook_secret_rotate(operator=personas.operator, by=personas.operator_admin)
    assert second != first and len(second) >= 43
    personas.operator.refresh_from_db()
    assert personas.operator.webhook_secret == second
    event = AuditEvent.objects.get(action="operator.webhook_secret_rotate")
    assert event.before["secret_hint"].endswith(first[-4:])
    assert event.after["secret_hint"].endswith(second[-4:])
    assert first not in json.dumps(event.before) and second not in json.dumps(event.after)


def test_the_hint_shows_only_the_last_four_characters(personas):
    personas.operator.webhook_secret = "abcdefghijklmnopqrstuvwxyz"
    hint = personas.operator.webhook_secret_hint()
    assert hint.endswith("wxyz") and "abcd" not in hint
    personas.operator.webhook_secret = ""
    assert personas.operator.webhook_secret_hint() == ""
