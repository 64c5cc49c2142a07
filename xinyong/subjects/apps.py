from django.apps import AppConfig


class SubjectsConfig(AppConfig):
    name = "xinyong.subjects"
    verbose_name = "信用主体"
