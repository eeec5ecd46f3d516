from django.urls import path

from nuanxin.notices import views, views_staff

app_name = "notices"
urlpatterns = [
    path("operator/", views.portal_home, name="portal_home"),
    path("operator/notices/<str:number>/", views.portal_notice, name="portal_notice"),
    path("operator/notices/<str:number>/report", views.portal_fix_report, name="portal_fix_report"),
    path("staff/bikes/notices/", views_staff.staff_notice_list, name="staff_list"),
    path("staff/bikes/notices/<str:number>/", views_staff.staff_notice_detail, name="staff_detail"),
]
