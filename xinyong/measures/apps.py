from django.apps import AppConfig


class MeasuresConfig(AppConfig):
    name = "xinyong.measures"
    verbose_name = "联合奖惩措施、核查与反馈"
