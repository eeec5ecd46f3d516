from django.apps import AppConfig


class MdsConfig(AppConfig):
    name = "nuanxin.mds"
    label = "mds"
    verbose_name = "MDS与GBFS接口"
