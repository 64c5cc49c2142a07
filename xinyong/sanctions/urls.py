from django.urls import path

from . import views

app_name = "lists"
urlpatterns = [
    path("", views.index, name="index"),
    path("<slug:code>/", views.list_page, name="list"),
    path("<slug:code>/<int:entry_id>/", views.entry_page, name="entry"),
]
