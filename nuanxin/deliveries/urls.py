from django.urls import path

from nuanxin.deliveries import views

app_name = "deliveries"
urlpatterns = [
    path("service/<str:token>/", views.service_open, name="open"),
]
