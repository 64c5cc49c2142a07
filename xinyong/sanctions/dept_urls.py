from django.urls import path

from . import dept_views as views

app_name = "dept_lists"
urlpatterns = [
    path("", views.index, name="index"),
    path("propose/<slug:code>/", views.propose, name="propose"),
    path("<int:entry_id>/", views.entry, name="entry"),
    path("<int:entry_id>/<slug:step>/", views.step, name="step"),
]
