from django.apps import AppConfig


class CreditConfig(AppConfig):
    name = "nuanxin.credit"
    label = "credit"
    verbose_name = "商户信用"
