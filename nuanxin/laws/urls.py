from django.urls import path

from nuanxin.laws import views

app_name = "laws"
urlpatterns = [
    path("staff/laws/", views.tag_list, name="tag_list"),
    path("staff/laws/<slug:code>/", views.tag_detail, name="tag_detail"),
]
