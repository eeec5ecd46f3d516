from django.urls import path  # noqa: F401

# The insight pages live on the dashboard (/dashboard/…); its JSON is under /api/v1/insight/.
app_name = "insight"
urlpatterns: list = []
