from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    name = "xinyong.evaluation"
    verbose_name = "信用评价"
