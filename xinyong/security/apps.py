from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "xinyong.security"
    verbose_name = "安全与审计"
