from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

from nuanxin.api import api

# Each app's urls.py owns its own path prefixes (documented in docs/architecture.md).
APP_URLS = [
    "core",
    "accounts",
    "merchants",
    "doorcodes",
    "feedback",
    "credit",
    "laws",
    "violations",
    "documents",
    "evidence",
    "deliveries",
    "cases",
    "bikes",
    "mds",
    "compliance",
    "notices",
    "opcredit",
    "insight",
    "dashboard",
]

urlpatterns: list = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    *[path("", include(f"nuanxin.{app}.urls")) for app in APP_URLS],
]
if settings.DEBUG or settings.DEMO_MODE:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
