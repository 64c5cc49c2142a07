from django.urls import path

from . import views

app_name = "shuanggongshi"
urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/", views.decision, name="decision"),
]
