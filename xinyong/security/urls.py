from django.urls import path

from . import views

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("login/verify/", views.login_verify, name="login_verify"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("security/", views.account_security, name="account_security"),
    path("security/two-factor/", views.two_factor, name="two_factor"),
    path("security/password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("security/logout-everywhere/", views.logout_everywhere, name="logout_everywhere"),
]
