from django.urls import path

from . import dept_views

app_name = "redress_dept"
urlpatterns = [
    path("objections/<int:pk>/decide/", dept_views.objection_decide, name="objection_decide"),
    path("repair/<int:pk>/review/", dept_views.repair_review, name="repair_review"),
    path("repair/<int:pk>/decide/", dept_views.repair_decide, name="repair_decide"),
]
