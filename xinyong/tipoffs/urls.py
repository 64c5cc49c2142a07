from django.urls import path

from . import views

app_name = "tipoffs"
urlpatterns = [
    path("new/", views.new, name="new"),
    path("filed/", views.filed, name="filed"),
    path("track/", views.track, name="track"),
]
