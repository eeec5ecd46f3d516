from django.apps import AppConfig


class BikesConfig(AppConfig):
    name = "nuanxin.bikes"
    label = "bikes"
    verbose_name = "共享单车"

    def ready(self) -> None:
        from nuanxin.bikes import jobs  # noqa: F401  (registers the worker jobs)
