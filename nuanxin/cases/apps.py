from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "nuanxin.cases"
    label = "cases"
    verbose_name = "执法案件"
