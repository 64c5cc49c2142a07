from django.urls import path

from . import views

app_name = "commitments_public"
urlpatterns = [
    path("", views.public_list, name="list"),
    path("<str:code>/", views.public_detail, name="detail"),
]
