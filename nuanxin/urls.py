from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

from nuanxin.api import api

# Each app's urls.py owns its own path prefixes (documented in docs/architecture.md).
# The two hottest public paths come first (URL resolution tries includes in order, and each
# miss costs): door-code scans (/q/…, every plate in the city) and MDS ingest (/mds/…).
HOT_APP_URLS = ["doorcodes", "mds"]
APP_URLS = [
    "core",
    "accounts",
    "merchants",
    "feedback",
    "credit",
    "laws",
    "violations",
    "documents",
    "evidence",
    "deliveries",
    "cases",
    "bikes",
    "compliance",
    "notices",
    "opcredit",
    "insight",
    "dashboard",
]

urlpatterns: list = [
    *[path("", include(f"nuanxin.{app}.urls")) for app in HOT_APP_URLS],
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    *[path("", include(f"nuanxin.{app}.urls")) for app in APP_URLS],
]
if settings.DEBUG or settings.DEMO_MODE:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
