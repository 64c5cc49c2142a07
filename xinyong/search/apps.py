from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "xinyong.search"
    verbose_name = "信用主体检索"
