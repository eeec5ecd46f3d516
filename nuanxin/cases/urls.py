from django.urls import path

from nuanxin.cases import views

app_name = "cases"
urlpatterns = [
    path("staff/cases/", views.case_list, name="list"),
    path("staff/cases/new/", views.case_new, name="new"),
    path("staff/cases/onspot/", views.case_onspot, name="onspot"),
    path("staff/cases/report/", views.consistency_page, name="report"),
    path("staff/cases/report.xlsx", views.consistency_xlsx, name="report_xlsx"),
    path("staff/cases/parties/<int:party_id>/", views.party_timeline_page, name="party"),
    path(
        "staff/cases/parties/<int:party_id>/timeline.pdf",
        views.party_timeline_pdf,
        name="party_pdf",
    ),
    path("staff/cases/<int:case_id>/", views.case_detail, name="detail"),
    path("staff/cases/<int:case_id>/<slug:action>/", views.case_act, name="act"),
]
