from django.urls import path

from . import views

app_name = "cases"
urlpatterns = [
    path("track/", views.track, name="track"),
    path("<uuid:public_id>/", views.detail, name="detail"),
    path("<uuid:public_id>/message/", views.message, name="message"),
    path("<uuid:public_id>/files/<uuid:file_id>/", views.attachment, name="file"),
]
