from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "xinyong.records"
    verbose_name = "信用记录"
