from django.apps import AppConfig


class RedressConfig(AppConfig):
    name = "xinyong.redress"
    verbose_name = "异议与信用修复"
