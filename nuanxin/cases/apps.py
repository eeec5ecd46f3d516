from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "nuanxin.cases"
    label = "cases"
    verbose_name = "执法案件"

    def ready(self) -> None:
        from nuanxin.cases import jobs  # noqa: F401  (registers the deadline job)
