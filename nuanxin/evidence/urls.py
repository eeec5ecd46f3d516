from django.urls import path

from nuanxin.evidence import views

app_name = "evidence"
urlpatterns = [
    path("staff/evidence/cases/<int:case_id>/", views.case_evidence, name="case"),
    path("staff/evidence/<int:item_id>/", views.evidence_detail, name="detail"),
    path("staff/evidence/<int:item_id>/verify/", views.evidence_check, name="verify"),
    path("staff/evidence/<int:item_id>/file", views.evidence_file, name="file"),
]
