from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "xinyong.reports"
    verbose_name = "信用报告"
