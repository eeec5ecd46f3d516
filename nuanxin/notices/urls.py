from django.urls import path

from nuanxin.notices import views, views_staff, views_webhooks

app_name = "notices"
urlpatterns = [
    path("operator/", views.portal_home, name="portal_home"),
    path("operator/notices/<str:number>/", views.portal_notice, name="portal_notice"),
    path("operator/notices/<str:number>/report", views.portal_fix_report, name="portal_fix_report"),
    path("operator/webhook/", views_webhooks.webhook_home, name="webhook_home"),
    path("operator/webhook/<slug:code>/", views_webhooks.webhook_settings, name="webhook_settings"),
    path("operator/webhook/<slug:code>/url", views_webhooks.webhook_url_set, name="webhook_url"),
    path(
        "operator/webhook/<slug:code>/rotate",
        views_webhooks.webhook_secret_rotate,
        name="webhook_rotate",
    ),
    path("staff/bikes/notices/", views_staff.staff_notice_list, name="staff_list"),
    path("staff/bikes/notices/<str:number>/", views_staff.staff_notice_detail, name="staff_detail"),
]
