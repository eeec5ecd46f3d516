from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from nuanxin.audit.services import audit_record
from nuanxin.core.errors import Conflict, DomainError
from nuanxin.feedback.catalog import abusive_words_in, all_rating_tags
from nuanxin.feedback.models import Rating
from nuanxin.feedback.ports import credit_record
from nuanxin.feedback.ratelimit import rate_limit_hit
from nuanxin.lib.env import envint

RATINGS_PER_IP_PER_HOUR = envint("RATING_MAX_PER_IP_HOUR", 30)
RATING_TEXT_MAX = 500


class RateLimited(DomainError):
    status_code = 429


def rating_submit(
    *,
    merchant: Any,
    door_code: Any,
    stars: int,
    tags: list[str],
    text: str,
    device_key: str,
    ip: str | None,
) -> Rating:
    """A public rating. One per device per merchant per (Beijing) day; rate limited per IP;
    abusive text refused; the rating is sent to the merchant's credit record."""
    if not isinstance(stars, int) or not 1 <= stars <= 5:
        raise DomainError("bad_stars", _("请选择1到5颗星。"))
    known = set(all_rating_tags())
    unknown = [t for t in tags if t not in known]
    if unknown:
        raise DomainError("bad_tags", _("未知的评价标签：%(tags)s") % {"tags": "、".join(unknown)})
    text = (text or "").strip()
    if len(text) > RATING_TEXT_MAX:
        raise DomainError("text_too_long", _("评价内容不能超过%(n)d字。") % {"n": RATING_TEXT_MAX})
    if abusive_words_in(text):
        raise DomainError("abusive_text", _("评价内容含有不文明用语，请修改后再提交。"))
    if not device_key:
        raise DomainError("no_device", _("无法识别您的设备，请允许Cookie后重试。"))
    now = timezone.now()
    day = timezone.localdate(now)
    if Rating.objects.filter(merchant=merchant, device_key=device_key, day=day).exists():
        raise Conflict("rated_today", _("您今天已经评价过这家商户，明天再来吧。"))
    if ip and not rate_limit_hit(bucket="rating", key=ip, limit=RATINGS_PER_IP_PER_HOUR):
        raise RateLimited("rate_limited", _("提交过于频繁，请稍后再试。"))
    try:
        with transaction.atomic():
            rating = Rating.objects.create(
                merchant=merchant,
                door_code=door_code,
                stars=stars,
                tags=list(dict.fromkeys(tags)),
                text=text,
                device_key=device_key[:64],
                ip=ip,
                day=day,
                created_at=now,
            )
            audit_record(
                actor=None,
                actor_label="public",
                action="rating.submit",
                obj=rating,
                after={"merchant_id": merchant.pk, "stars": stars, "tags": rating.tags},
                source_ip=ip,
            )
            credit_record(
                merchant=merchant,
                kind="rating",
                source=rating,
                occurred_at=now,
                by=None,
                value=stars,
                note=_("公众评价 %(stars)d 星") % {"stars": stars},
            )
    except IntegrityError as exc:  # the same device raced itself
        raise Conflict("rated_today", _("您今天已经评价过这家商户，明天再来吧。")) from exc
    from nuanxin.doorcodes.selectors import scan_summary_invalidate

    transaction.on_commit(lambda: scan_summary_invalidate(merchant_id=merchant.pk))
    return rating


@transaction.atomic
def rating_hide(*, rating: Rating, by: Any, reason: str, source_ip: str | None = None) -> Rating:
    """Staff moderation: the rating stops counting on the public page (kept for the record)."""
    if not reason.strip():
        raise DomainError("reason_required", _("请填写屏蔽原因。"))
    if rating.hidden:
        return rating
    rating.hidden = True
    rating.save(update_fields=["hidden"])
    audit_record(
        actor=by,
        action="rating.hide",
        obj=rating,
        before={"hidden": False},
        after={"hidden": True, "reason": reason.strip()},
        source_ip=source_ip,
    )
    return rating
