from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "xinyong.common"
    verbose_name = "公共"

    def ready(self) -> None:
        from django.core import checks

        from .calendar import check_calendar

        checks.register(check_calendar, "xinyong")
