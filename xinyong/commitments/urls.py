from django.urls import path

from . import views

app_name = "commitments"
urlpatterns = [
    path("", views.my_list, name="my_list"),
    path("sign/", views.my_sign, name="my_sign"),
    path("<str:code>/", views.my_detail, name="my_detail"),
]
