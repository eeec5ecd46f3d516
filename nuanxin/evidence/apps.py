from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    name = "nuanxin.evidence"
    label = "evidence"
    verbose_name = "电子证据"
