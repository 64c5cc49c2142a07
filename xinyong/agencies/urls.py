from django.urls import path

from . import views

app_name = "agencies"
urlpatterns = [
    path("", views.directory, name="directory"),
    path("<str:uscc>/complaints/new/", views.complaint_new, name="complaint_new"),
    path("complaints/<uuid:public_id>/cancel/", views.complaint_cancel, name="complaint_cancel"),
]
