from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "nuanxin.feedback"
    label = "feedback"
    verbose_name = "评价与投诉"

    def ready(self) -> None:
        from nuanxin.feedback import jobs  # noqa: F401  (registers the worker jobs)
