from django.apps import AppConfig


class IngestionConfig(AppConfig):
    name = "xinyong.ingestion"
    verbose_name = "信用信息归集"
