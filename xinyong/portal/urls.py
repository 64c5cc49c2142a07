from django.urls import path

from . import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    # individuals by an opaque id only, never by ID number (nor by a guessable sequence)
    path("subjects/p/<str:public_id>/", views.person, name="person"),
    path("subjects/<str:uscc>/", views.subject, name="subject"),
    path("display/", views.display, name="display"),
]
