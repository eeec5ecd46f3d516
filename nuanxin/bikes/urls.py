from django.urls import path

from nuanxin.bikes import views

app_name = "bikes"
urlpatterns = [
    path("staff/bikes/", views.staff_overview, name="staff_overview"),
]
