from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("password/", views.password_change, name="password_change"),
    path("register/", views.register, name="register"),
    path("register/organization/", views.register_organization, name="register_organization"),
    path("register/individual/", views.register_individual, name="register_individual"),
    path("authorization/", views.authorization, name="authorization"),
    path("report/", views.report, name="report"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.notifications_read, name="notifications_read"),
    path("notifications/<int:pk>/open/", views.notification_open, name="notification_open"),
]
