from django.apps import AppConfig


class LawsConfig(AppConfig):
    name = "nuanxin.laws"
    label = "laws"
    verbose_name = "法条与行为匹配库"
