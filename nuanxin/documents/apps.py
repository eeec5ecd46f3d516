from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "nuanxin.documents"
    label = "documents"
    verbose_name = "执法文书"
