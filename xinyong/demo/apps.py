from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "xinyong.demo"
    verbose_name = "演示数据"
