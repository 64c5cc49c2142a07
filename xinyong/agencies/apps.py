from django.apps import AppConfig


class AgenciesConfig(AppConfig):
    name = "xinyong.agencies"
    label = "agencies"
    verbose_name = "信用服务机构"
