from django.apps import AppConfig


class AnnualReportsConfig(AppConfig):
    name = "xinyong.annualreports"
    label = "annualreports"
    verbose_name = "企业年度报告"
