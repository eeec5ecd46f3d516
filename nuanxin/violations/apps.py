from django.apps import AppConfig


class ViolationsConfig(AppConfig):
    name = "nuanxin.violations"
    label = "violations"
    verbose_name = "首违普法与告诫"
