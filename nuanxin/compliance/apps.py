from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "nuanxin.compliance"
    label = "compliance"
    verbose_name = "停放合规"
