from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class AuditConfig(AppConfig):
    name = "nuanxin.audit"
    label = "audit"
    verbose_name = "审计日志"


class AuditedAdminConfig(admin_apps.AdminConfig):
    """Replaces "django.contrib.admin" in INSTALLED_APPS, so `admin.site` records every
    admin write (nuanxin/audit/admin_audit.py)."""

    default = False  # this module's default is AuditConfig
    default_site = "nuanxin.audit.admin_audit.AuditedAdminSite"
