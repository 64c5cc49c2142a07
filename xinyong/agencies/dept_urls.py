from django.urls import path

from . import dept_views

app_name = "dept_agencies"
urlpatterns = [
    path("", dept_views.index, name="index"),
    path("register/", dept_views.register, name="register"),
    path("<int:agency_id>/", dept_views.agency, name="agency"),
    path("<int:agency_id>/update/", dept_views.update, name="update"),
    path("<int:agency_id>/<str:action>/", dept_views.status, name="status"),
    path("complaints/<int:pk>/close/", dept_views.complaint_close, name="complaint_close"),
    path("complaints/<int:pk>/record/", dept_views.complaint_record, name="complaint_record"),
]
