from django.urls import path

from . import views

app_name = "dept_commitments"
urlpatterns = [
    path("", views.dept_index, name="index"),
    path("record/", views.dept_record, name="record"),
    path("<int:commitment_id>/", views.dept_detail, name="detail"),
    path("<int:commitment_id>/outcome/", views.dept_outcome, name="outcome"),
]
