from django.urls import path

from . import views

app_name = "evaluation"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("subjects/<int:subject_id>/", views.subject_detail, name="subject"),
]
