from django.apps import AppConfig


class MdsConfig(AppConfig):
    name = "nuanxin.mds"
    label = "mds"
    verbose_name = "MDS与GBFS接口"

    def ready(self) -> None:
        from nuanxin.mds import jobs  # noqa: F401  (registers the worker jobs)
