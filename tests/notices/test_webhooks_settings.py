"""The operator portal's webhook settings page (/operator/webhook/): only the operator's
admin opens it; the secret is shown once; the signing scheme and its own delivery log."""

from __future__ import annotations

import html
from typing import Any

from django.utils import timezone

from nuanxin.audit.models import AuditEvent
from nuanxin.bikes.models import Operator
from nuanxin.notices.models import WebhookDelivery
from nuanxin.notices.webhooks import NOT_SENT_NO_SECRET, VERIFY_SNIPPET, webhooks_deliver_due
from tests.compliance.factories import make_worker
from tests.notices.test_loop import violate

HOME = "/operator/webhook/"
PAGE = "/operator/webhook/qingju/"
OTHER_PAGE = "/operator/webhook/hellobike/"
HOOK = "https://hooks.qingju.example/nuanxin"


def text(response: Any) -> str:
    return html.unescape(response.content.decode())


def test_the_operator_admin_sees_its_settings_and_the_signing_scheme(client_for, personas):
    response = client_for(personas.operator_admin).get(HOME)
    assert response.status_code == 200
    assert response.context["operator"] == personas.operator
    body = text(response)
    for header in ("X-Nuanxin-Signature", "X-Nuanxin-Timestamp", "X-Nuanxin-Delivery"):
        assert header in body
    assert VERIFY_SNIPPET in body
    assert 'name="csrfmiddlewaretoken"' in body
    assert client_for(personas.operator_admin).get(PAGE).status_code == 200


def test_the_page_reads_in_english(client_for, personas):
    client = client_for(personas.operator_admin)
    body = text(client.get(PAGE, HTTP_ACCEPT_LANGUAGE="en"))
    assert "Webhook settings" in body and "How requests are signed" in body


def test_setting_the_url_shows_the_generated_secret_once(client_for, personas):
    client = client_for(personas.operator_admin)
    response = client.post(f"{PAGE}url", {"url": HOOK})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    operator = Operator.objects.get(pk=personas.operator.pk)
    assert operator.webhook_url == HOOK and len(operator.webhook_secret) >= 43
    assert operator.webhook_secret in text(response)
    again = text(client.get(PAGE))
    assert operator.webhook_secret not in again
    assert operator.webhook_secret_hint() in again
    assert AuditEvent.objects.filter(action="operator.webhook_set").count() == 1


def test_changing_the_url_keeps_the_secret_and_shows_no_secret(client_for, personas):
    client = client_for(personas.operator_admin)
    client.post(f"{PAGE}url", {"url": HOOK})
    secret = Operator.objects.get(pk=personas.operator.pk).webhook_secret
    response = client.post(f"{PAGE}url", {"url": HOOK + "/v2"})
    assert response.status_code == 302
    operator = Operator.objects.get(pk=personas.operator.pk)
    assert operator.webhook_url == HOOK + "/v2" and operator.webhook_secret == secret
    assert secret not in text(client.get(PAGE))


def test_a_plain_http_url_is_refused_with_the_reason(client_for, personas):
    response = client_for(personas.operator_admin).post(
        f"{PAGE}url", {"url": "http://hooks.qingju.example/"}
    )
    assert response.status_code == 400
    assert "https://" in text(response)
    assert Operator.objects.get(pk=personas.operator.pk).webhook_url == ""


def test_rotation_shows_the_new_secret_once_and_audits(client_for, personas):
    client = client_for(personas.operator_admin)
    client.post(f"{PAGE}url", {"url": HOOK})
    first = Operator.objects.get(pk=personas.operator.pk).webhook_secret
    response = client.post(f"{PAGE}rotate")
    assert response.status_code == 200
    second = Operator.objects.get(pk=personas.operator.pk).webhook_secret
    assert second != first and second in text(response)
    assert second not in text(client.get(PAGE))
    event = AuditEvent.objects.get(action="operator.webhook_secret_rotate")
    assert event.actor == personas.operator_admin


def test_it_refuses_the_maintenance_worker(client_for, personas):
    worker = make_worker(personas.operator, "worker_w", 33.87, 115.75)
    client = client_for(worker.user)
    assert client.get(HOME).status_code == 403
    assert client.get(PAGE).status_code == 403
    assert client.post(f"{PAGE}url", {"url": HOOK}).status_code == 403
    assert client.post(f"{PAGE}rotate").status_code == 403
    assert Operator.objects.get(pk=personas.operator.pk).webhook_secret == ""


def test_it_refuses_city_staff(client_for, personas):
    client = client_for(personas.admin)
    assert client.get(HOME).status_code == 403
    assert client.post(f"{PAGE}rotate").status_code == 403


def test_it_validates_ownership(client_for, personas):
    client = client_for(personas.other_operator_admin)
    assert client.get(PAGE).status_code == 404
    assert client.post(f"{PAGE}url", {"url": HOOK}).status_code == 404
    assert client.post(f"{PAGE}rotate").status_code == 404
    operator = Operator.objects.get(pk=personas.operator.pk)
    assert operator.webhook_url == "" and operator.webhook_secret == ""
    # Its own page is its own operator's.
    assert client.get(HOME).context["operator"] == personas.other_operator
    assert client.get(OTHER_PAGE).status_code == 200


def test_it_sends_anonymous_users_to_log_in(client):
    assert client.get(HOME).status_code == 302
    assert client.post(f"{PAGE}rotate").status_code == 302


def test_the_log_shows_only_its_own_deliveries_and_why_one_was_not_sent(city, client_for, personas):
    for operator in (personas.operator, personas.other_operator):
        operator.webhook_url = f"https://hooks.{operator.code}.example/"
        operator.save()  # no secret: stored before clean() refused it
    violate(city.bike)
    violate(city.other_bike)
    webhooks_deliver_due(timezone.now())
    own = WebhookDelivery.objects.get(operator=personas.operator)
    other = WebhookDelivery.objects.get(operator=personas.other_operator)
    response = client_for(personas.operator_admin).get(PAGE)
    assert [d.pk for d in response.context["deliveries"]] == [own.pk]
    assert {a.delivery_id for a in response.context["attempts"]} == {own.pk}
    body = text(response)
    assert f'data-delivery="{own.pk}"' in body and f'data-delivery="{other.pk}"' not in body
    assert NOT_SENT_NO_SECRET in body
    assert 'id="held-warning"' in body
    english = text(client_for(personas.operator_admin).get(PAGE, HTTP_ACCEPT_LANGUAGE="en"))
    assert "Not sent: the operator has no signing secret" in english


def test_the_portal_links_the_page_for_its_admins_only(client_for, personas):
    assert HOME in text(client_for(personas.operator_admin).get("/operator/"))
    worker = make_worker(personas.operator, "worker_w", 33.87, 115.75)
    assert HOME not in text(client_for(worker.user).get("/operator/"))


def test_the_api_description_documents_the_signing_scheme(client):
    description = client.get("/api/v1/openapi.json").json()["info"]["description"]
    assert "X-Nuanxin-Signature" in description and "X-Nuanxin-Delivery" in description
    assert VERIFY_SNIPPET in description
