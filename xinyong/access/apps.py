from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "xinyong.access"
    label = "access"
    verbose_name = "分级查询与授权"
