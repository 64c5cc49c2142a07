from django.apps import AppConfig


class SanctionsConfig(AppConfig):
    name = "xinyong.sanctions"
    verbose_name = "联合奖惩"
