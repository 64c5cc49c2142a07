from django.apps import AppConfig


class TipoffsConfig(AppConfig):
    name = "xinyong.tipoffs"
    verbose_name = "失信举报"
