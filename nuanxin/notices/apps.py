from django.apps import AppConfig


class NoticesConfig(AppConfig):
    name = "nuanxin.notices"
    label = "notices"
    verbose_name = "暖心提醒"
