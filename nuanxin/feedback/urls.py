from django.urls import path

from nuanxin.feedback import views_intake, views_public, views_staff
from nuanxin.feedback.open311 import views as open311

app_name = "feedback"
urlpatterns = [
    # Public, from a door code.
    path("q/<str:token>/rate", views_public.rate, name="rate"),
    path("q/<str:token>/complain", views_public.complain, name="complain"),
    path("c/", views_public.track_lookup, name="track_lookup"),
    path("c/<str:tracking_no>", views_public.track, name="track"),
    path("c/<str:tracking_no>/feedback", views_public.track_feedback, name="track_feedback"),
    path("c/<str:tracking_no>/photo/<int:photo_id>", views_public.track_photo, name="track_photo"),
    # Staff.
    path("staff/complaints/", views_staff.complaint_index, name="staff_list"),
    path("staff/complaints/new/", views_intake.complaint_new, name="staff_new"),
    path(
        "staff/complaints/new/merchants",
        views_intake.complaint_new_merchants,
        name="staff_new_merchants",
    ),
    path("staff/complaints/overdue/", views_staff.complaint_overdue, name="staff_overdue"),
    path("staff/complaints/<int:complaint_id>/", views_staff.complaint_detail, name="staff_detail"),
    path(
        "staff/complaints/<int:complaint_id>/photo/<int:photo_id>/<str:variant>",
        views_staff.complaint_photo,
        name="staff_photo",
    ),
    path(
        "staff/complaints/<int:complaint_id>/<str:action>",
        views_staff.complaint_action,
        name="staff_action",
    ),
    path("staff/ratings/<int:rating_id>/hide", views_staff.rating_hide_view, name="rating_hide"),
    # Merchant portal.
    path("portal/complaints/", views_staff.portal_list, name="portal_list"),
    path("portal/complaints/<int:complaint_id>/", views_staff.portal_detail, name="portal_detail"),
    path(
        "portal/complaints/<int:complaint_id>/photo/<int:photo_id>",
        views_staff.portal_photo,
        name="portal_photo",
    ),
    # Open311 GeoReport v2.
    path("open311/v2/discovery.json", open311.discovery, name="open311_discovery"),
    path("open311/v2/services.<str:fmt>", open311.services, name="open311_services"),
    path(
        "open311/v2/services/<str:code>.<str:fmt>",
        open311.service_definition,
        name="open311_service",
    ),
    path("open311/v2/requests.<str:fmt>", open311.requests_view, name="open311_requests"),
    path(
        "open311/v2/requests/<str:request_id>.<str:fmt>",
        open311.request_detail,
        name="open311_request",
    ),
]
