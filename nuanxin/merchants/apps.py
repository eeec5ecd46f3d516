from django.apps import AppConfig


class MerchantsConfig(AppConfig):
    name = "nuanxin.merchants"
    label = "merchants"
    verbose_name = "市场主体"
