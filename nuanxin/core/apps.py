from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "nuanxin.core"
    label = "core"
    verbose_name = "平台核心"

    def ready(self) -> None:
        from nuanxin.core import jobs_sqlite  # noqa: F401  (registers the worker job)
