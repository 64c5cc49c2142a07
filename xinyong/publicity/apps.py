from django.apps import AppConfig


class PublicityConfig(AppConfig):
    name = "xinyong.publicity"
    verbose_name = "双公示"
