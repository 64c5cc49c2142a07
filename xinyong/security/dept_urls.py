from django.urls import path

from . import views

app_name = "security_dept"
urlpatterns = [
    path("", views.operations, name="operations"),
    path("alerts/<int:pk>/acknowledge/", views.alert_acknowledge, name="alert_acknowledge"),
]
