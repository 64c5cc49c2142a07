from django.urls import path

app_name = "dept"
urlpatterns: list = []
