from django.apps import AppConfig


class NoticesConfig(AppConfig):
    name = "nuanxin.notices"
    label = "notices"
    verbose_name = "暖心提醒"

    def ready(self) -> None:
        from nuanxin.notices import jobs  # noqa: F401  (registers the worker jobs)
