from django.urls import path, re_path

from . import views

app_name = "dept"
urlpatterns = [
    path("", views.home, name="home"),
    path("upload/", views.upload, name="upload"),
    path("batches/<uuid:public_id>/", views.batch_detail, name="batch"),
    path("batches/<uuid:public_id>/errors.csv", views.batch_errors, name="batch_errors"),
    path("templates/", views.template_index, name="templates"),
    re_path(r"^templates/(?P<item_code>[a-z0-9_.\-]{1,40})\.(?P<fmt>xlsx|csv)$", views.template_download, name="template"),
    path("records/", views.records, name="records"),
    path("records/<int:pk>/", views.record_detail, name="record"),
    path("records/<int:pk>/withdraw/", views.record_withdraw_view, name="record_withdraw"),
    path("review/", views.review_queue, name="review"),
    path("review/<int:pk>/", views.review_detail, name="review_item"),
    path("review/<int:pk>/link/", views.review_link_view, name="review_link"),
    path("review/<int:pk>/reject/", views.review_reject_view, name="review_reject"),
]
