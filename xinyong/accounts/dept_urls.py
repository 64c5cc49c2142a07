from django.urls import path

from . import views

app_name = "accounts_dept"
urlpatterns = [
    path("", views.dept_letters, name="letters"),
    path("letters/<int:pk>/", views.dept_letter, name="letter"),
    path("letters/<int:pk>/file", views.dept_letter_file, name="letter_file"),
    path("<int:pk>/disable/", views.dept_account_disable, name="disable"),
]
