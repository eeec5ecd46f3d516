from django.apps import AppConfig


class CreditConfig(AppConfig):
    name = "nuanxin.credit"
    label = "credit"
    verbose_name = "商户信用"

    def ready(self) -> None:
        from nuanxin.credit import jobs  # noqa: F401  (registers the daily refresh job)
