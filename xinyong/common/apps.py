from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "xinyong.common"
    verbose_name = "公共"

    def ready(self) -> None:
        from django.core import checks

        from .calendar import check_calendar
        from .ratelimit import check_shared_cache

        checks.register(check_calendar, "xinyong")
        checks.register(check_shared_cache, checks.Tags.security, deploy=True)
