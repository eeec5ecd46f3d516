from django.urls import path

from nuanxin.dashboard import views

app_name = "dashboard"
urlpatterns: list = [
    path("dashboard/", views.dashboard, name="screen"),
    path("dashboard/rebalance/", views.rebalance, name="rebalance"),
    path("dashboard/notices/<int:notice_id>/", views.notice_detail, name="notice"),
    path("dashboard/fleet/", views.fleet_runs, name="fleet"),
]
