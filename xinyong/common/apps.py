from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "xinyong.common"
    verbose_name = "公共"
