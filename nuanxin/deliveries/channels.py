"""Pluggable delivery channels. Each returns when the message reached the party's system.

The legal date of electronic service is the date the document *reaches the recipient's
specific system* (民事诉讼法 Art. 90, applied through 行政处罚法 Art. 61):
- portal: the moment it is placed in the merchant's or operator's inbox on this platform
  (the inbox is the recipient's system; operators read it through their API);
- e-mail: the moment the configured mail server accepts it for the recipient's address;
- SMS: the gateway's delivery receipt (POST to the receipt endpoint). Without a gateway
  (SMS_GATEWAY_URL unset) the message waits in the outbox table and never counts as
  delivered by itself; the party opening the signed link then fixes the date.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import urllib.request
from typing import Protocol

from django.core.mail import send_mail
from django.utils import timezone
from django.utils.translation import gettext as _

from nuanxin.deliveries.models import Channel, Delivery, DeliveryAttempt, SmsOutbox
from nuanxin.lib.env import envint, envstr

log = logging.getLogger(__name__)


def sms_gateway_url() -> str:
    from django.conf import settings

    return str(getattr(settings, "SMS_GATEWAY_URL", "") or envstr("SMS_GATEWAY_URL"))


class ChannelBackend(Protocol):
    def send(
        self, *, attempt: DeliveryAttempt, delivery: Delivery, link: str
    ) -> dt.datetime | None:
        """Send; return when it reached the recipient's system, or None if not (yet) known."""


class PortalChannel:
    def send(
        self, *, attempt: DeliveryAttempt, delivery: Delivery, link: str
    ) -> dt.datetime | None:
        attempt.provider_ref = f"inbox:{delivery.pk}"
        return timezone.now()


class EmailChannel:
    def send(
        self, *, attempt: DeliveryAttempt, delivery: Delivery, link: str
    ) -> dt.datetime | None:
        subject = _("【%(bureau)s】文书送达：%(title)s %(number)s") % {
            "bureau": _bureau_name(),
            "title": delivery.document_title,
            "number": delivery.document_number,
        }
        body = _(
            "%(party)s：\n\n根据您签署的送达地址确认书，现向您送达%(title)s（%(number)s）。"
            "请点击以下链接查阅并签收：\n%(link)s\n\n本邮件到达您的电子邮箱之日即为送达之日。"
        ) % {
            "party": delivery.party_name,
            "title": delivery.document_title,
            "number": delivery.document_number,
            "link": link,
        }
        send_mail(subject, body, None, [attempt.address], fail_silently=False)
        return timezone.now()


class SmsChannel:
    def send(
        self, *, attempt: DeliveryAttempt, delivery: Delivery, link: str
    ) -> dt.datetime | None:
        text = _("【%(bureau)s】%(party)s，您有一份%(title)s（%(number)s）待查阅签收：%(link)s") % {
            "bureau": _bureau_name(),
            "party": delivery.party_name,
            "title": delivery.document_title,
            "number": delivery.document_number,
            "link": link,
        }
        row = SmsOutbox.objects.create(phone=attempt.address, text=text, attempt=attempt)
        url = sms_gateway_url()
        if not url:
            log.info("SMS outbox (no gateway): %s %s", attempt.address, text)
            return None
        payload = json.dumps({"phone": attempt.address, "text": text, "ref": row.pk}).encode()
        request = urllib.request.Request(
            url, data=payload, headers={"Content-Type": "application/json"}, method="POST"
        )
        with urllib.request.urlopen(request, timeout=envint("SMS_GATEWAY_TIMEOUT", 5)) as reply:
            body = reply.read().decode("utf-8", "replace")[:1000]
        row.sent_at = timezone.now()
        row.gateway_response = body
        row.save(update_fields=["sent_at", "gateway_response"])
        attempt.provider_ref = f"sms:{row.pk}"
        return None  # delivered only when the gateway's receipt arrives


def _bureau_name() -> str:
    from django.conf import settings

    return str(getattr(settings, "BUREAU_NAME", ""))


BACKENDS: dict[str, ChannelBackend] = {
    Channel.PORTAL: PortalChannel(),
    Channel.EMAIL: EmailChannel(),
    Channel.SMS: SmsChannel(),
}
