from django.apps import AppConfig


class BikesConfig(AppConfig):
    name = "nuanxin.bikes"
    label = "bikes"
    verbose_name = "共享单车"
