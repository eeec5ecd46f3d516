from django.urls import path

from nuanxin.violations import views

app_name = "violations"
urlpatterns = [
    path("staff/violations/", views.violation_list_view, name="list"),
    path("staff/violations/new/", views.violation_new, name="new"),
    path("staff/violations/tags", views.tag_options, name="tag_options"),
    path("staff/violations/parties", views.party_options, name="party_options"),
    path("staff/violations/<int:violation_id>/", views.violation_detail, name="detail"),
    path(
        "staff/violations/parties/<int:party_id>/timeline/",
        views.party_timeline,
        name="party_timeline",
    ),
    path("v/slip/<str:token>", views.slip_verify, name="slip_verify"),
]
