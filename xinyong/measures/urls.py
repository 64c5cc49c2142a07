from django.urls import path

from . import views

app_name = "measures"
urlpatterns = [
    path("", views.catalog_page, name="catalog"),
    path("loop/", views.loop_page, name="loop"),
]
