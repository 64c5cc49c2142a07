from django.urls import path

from . import views

app_name = "dept_annualreports"
urlpatterns = [
    path("", views.dept_index, name="index"),
    path("file/", views.dept_file, name="file"),
    path("applications/<int:application_id>/decide/", views.dept_decide, name="decide"),
]
