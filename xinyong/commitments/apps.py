from django.apps import AppConfig


class CommitmentsConfig(AppConfig):
    name = "xinyong.commitments"
    label = "commitments"
    verbose_name = "信用承诺"

    def ready(self) -> None:
        from . import templates  # noqa: F401  (registers the system check of the templates)
