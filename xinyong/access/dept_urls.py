from django.urls import path

from . import views

app_name = "access_dept"
urlpatterns = [
    path("query/", views.dept_query, name="query"),
    path("access/rights/", views.rights, name="rights"),
    path("access/rights/<int:pk>/revoke/", views.right_revoke, name="right_revoke"),
    path("access/consents/", views.dept_consents, name="consents"),
    path("access/consents/<int:pk>/document", views.consent_document, name="consent_document"),
    path("access/requests/", views.requests_index, name="requests"),
    path("access/requests/<int:pk>/", views.request_detail, name="request"),
    path("access/requests/<int:pk>/decide/", views.request_decide, name="request_decide"),
]
