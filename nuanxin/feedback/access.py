"""Access helpers for complaints (staff and merchant portal) and ratings."""

from __future__ import annotations

from typing import Any

from nuanxin.core.access import STAFF_ROLES, not_found, require_role
from nuanxin.feedback.models import Complaint, Rating
from nuanxin.feedback.selectors import complaints_for_merchant_user, complaints_visible


def access_complaint(user: Any, complaint_id: int) -> Complaint:
    """Staff: city-wide roles see every complaint; an officer only their district's."""
    user = require_role(user, *STAFF_ROLES)
    complaint = complaints_visible(user).filter(pk=complaint_id).first()
    if complaint is None:
        raise not_found()
    return complaint


def access_portal_complaint(user: Any, complaint_id: int) -> Complaint:
    """Merchant portal: only complaints about the merchant's own shops, once notified."""
    user = require_role(user, "merchant")
    complaint = complaints_for_merchant_user(user).filter(pk=complaint_id).first()
    if complaint is None:
        raise not_found()
    return complaint


def access_rating(user: Any, rating_id: int) -> Rating:
    """Moderation: officers of the merchant's district, and city-wide staff."""
    from nuanxin.core.access import filter_by_district

    user = require_role(user, *STAFF_ROLES)
    qs = filter_by_district(user, Rating.objects.select_related("merchant"), "merchant__district")
    rating = qs.filter(pk=rating_id).first()
    if rating is None:
        raise not_found()
    return rating


def can_see_phone(user: Any, complaint: Complaint) -> bool:
    """The call-back number is shown in full only to the handling officer."""
    return bool(
        getattr(user, "is_authenticated", False)
        and complaint.handler_id is not None
        and complaint.handler_id == user.pk
    )
