from django.urls import path

from . import views

app_name = "annualreports_public"
urlpatterns = [
    path("subjects/<str:uscc>/annual-reports/", views.publicity, name="publicity"),
]
