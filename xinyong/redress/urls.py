from django.urls import path

from . import views

app_name = "redress"
urlpatterns = [
    path("objections/new/<int:record_id>/", views.objection_new, name="objection_new"),
    path("objections/<uuid:public_id>/cancel/", views.objection_cancel, name="objection_cancel"),
    path("repair/", views.repair_index, name="repair_index"),
    path("repair/new/<int:record_id>/", views.repair_new, name="repair_new"),
    path("repair/<uuid:public_id>/cancel/", views.repair_cancel, name="repair_cancel"),
    path("cases/<uuid:public_id>/filed/", views.filed, name="filed"),
]
