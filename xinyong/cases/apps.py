from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "xinyong.cases"
    verbose_name = "办件"
