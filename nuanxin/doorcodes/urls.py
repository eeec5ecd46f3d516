from django.urls import path

from nuanxin.doorcodes import views

app_name = "doorcodes"
urlpatterns = [
    # Public: what a door code opens.
    path("q/_baseline", views.baseline, name="baseline"),
    path("q/_report", views.counterfeit_report, name="counterfeit_report"),
    path("q/<str:token>", views.scan, name="scan"),
    # Staff.
    path("staff/doorcodes/counterfeits/", views.staff_counterfeits, name="staff_counterfeits"),
    path("staff/doorcodes/<int:merchant_id>/", views.staff_door_code, name="staff_code"),
    path(
        "staff/doorcodes/<int:merchant_id>/issue",
        views.staff_door_code_issue,
        name="staff_code_issue",
    ),
    path("staff/doorcodes/<int:merchant_id>/qr.png", views.staff_door_code_png, name="staff_png"),
    path("staff/doorcodes/<int:merchant_id>/qr.svg", views.staff_door_code_svg, name="staff_svg"),
    path(
        "staff/doorcodes/<int:merchant_id>/plate.pdf", views.staff_door_code_pdf, name="staff_pdf"
    ),
]
