from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "xinyong.security"
    verbose_name = "安全与审计"

    def ready(self):
        # the admin signs in through the staff login (throttling, two-factor authentication),
        # never through its own login form
        from django.contrib import admin
        from django.contrib.auth.views import redirect_to_login
        from django.core.exceptions import PermissionDenied
        from django.urls import reverse

        def admin_login(request, extra_context=None):
            if request.user.is_authenticated:  # signed in, but not staff: no loop through the login page
                raise PermissionDenied("您的账号无权使用管理后台。")
            return redirect_to_login(request.GET.get("next") or reverse("admin:index"), reverse("login"))

        admin.site.login = admin_login
