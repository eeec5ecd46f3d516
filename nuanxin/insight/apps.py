from django.apps import AppConfig


class InsightConfig(AppConfig):
    name = "nuanxin.insight"
    label = "insight"
    verbose_name = "一网感知与运演"

    def ready(self) -> None:
        from nuanxin.insight import jobs  # noqa: F401 - registers the follow-up job
