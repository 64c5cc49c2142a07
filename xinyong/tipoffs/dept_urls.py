from django.urls import path

from . import dept_views

app_name = "tipoffs_dept"
urlpatterns = [
    path("<int:pk>/route/", dept_views.route, name="route"),
    path("<int:pk>/reject/", dept_views.reject, name="reject"),
    path("<int:pk>/finding/", dept_views.finding, name="finding"),
    path("<int:pk>/record/", dept_views.record, name="record"),
    path("<int:pk>/reveal/", dept_views.reveal, name="reveal"),
    path("<int:pk>/flag/", dept_views.flag, name="flag"),
]
