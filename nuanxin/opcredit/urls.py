from django.urls import path

from nuanxin.opcredit import views

app_name = "opcredit"
urlpatterns = [
    path("assessments/", views.assessment_list, name="assessment_list"),
    path("assessments/<int:assessment_id>/", views.assessment_detail, name="assessment_detail"),
    path(
        "assessments/<int:assessment_id>/report.pdf",
        views.assessment_report,
        name="assessment_report",
    ),
]
