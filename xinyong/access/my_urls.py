from django.urls import path

from . import views

app_name = "access_my"
urlpatterns = [
    path("consents/", views.my_consents, name="consents"),
    path("consents/<int:pk>/revoke/", views.my_consent_revoke, name="consent_revoke"),
    path("queries/", views.my_queries, name="queries"),
]
