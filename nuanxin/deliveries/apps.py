from django.apps import AppConfig


class DeliveriesConfig(AppConfig):
    name = "nuanxin.deliveries"
    label = "deliveries"
    verbose_name = "文书送达"
