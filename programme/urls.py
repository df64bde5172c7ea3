from django.urls import path

from . import views

app_name = "programme"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
]
