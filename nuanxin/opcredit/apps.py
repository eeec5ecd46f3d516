from django.apps import AppConfig


class OpcreditConfig(AppConfig):
    name = "nuanxin.opcredit"
    label = "opcredit"
    verbose_name = "企业考核"
