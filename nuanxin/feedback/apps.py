from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "nuanxin.feedback"
    label = "feedback"
    verbose_name = "评价与投诉"
