from django.urls import path

from . import dept_views

app_name = "cases_dept"
urlpatterns = [
    path("", dept_views.queue, name="queue"),
    path("sla/", dept_views.sla, name="sla"),
    path("<int:pk>/", dept_views.detail, name="case"),
    path("<int:pk>/assign/", dept_views.assign, name="assign"),
    path("<int:pk>/message/", dept_views.message, name="message"),
    path("<int:pk>/files/<uuid:file_id>/", dept_views.attachment, name="file"),
]
