from django.urls import path

from . import views

app_name = "annualreports"
urlpatterns = [
    path("", views.my_reports, name="my_reports"),
    path("file/", views.my_file, name="my_file"),
    path("<int:year>/correct/", views.my_correct, name="my_correct"),
]
